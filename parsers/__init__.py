"""Pure functions over input: no I/O, no config, no imports of the other packages."""
