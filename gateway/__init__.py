"""intake-gateway's core and composition root, in rooms by job.

cli/ (commands), config/ (config.toml), core/ (calendar, SLA, intake, directory),
email/ (the email pipeline), calls/ (the call desk), outbound/ (composing mail),
web/ (the Flask app), runtime/ (services, components, server, logs), sim/ (call simulator).
`errors` is the gateway's error family. The rules between rooms are in each room's docstring
and checked by tests/test_layout.py.
"""

__version__ = "0.1.0"
