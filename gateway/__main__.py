"""`python -m gateway` is `intake-gateway`."""

from gateway.cli import main

main()
