"""Typer sub-apps of the ``twinledger`` command line, one module per concept."""
