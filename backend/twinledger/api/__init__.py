"""The HTTP API (FastAPI): routers per concept over the services."""

from twinledger.api.app import create_app

__all__ = ["create_app"]
