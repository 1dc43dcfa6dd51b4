"""What the tests share besides fixtures: the only test modules a test module may import."""
