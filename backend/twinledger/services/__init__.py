"""Services: one module per domain concept, shared by the API, the CLI and the demo."""

from twinledger.services.context import AppContext

__all__ = ["AppContext"]
