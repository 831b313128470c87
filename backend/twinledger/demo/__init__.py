"""The campaign scenario that `twinledger demo` (and `make demo`) runs."""

from twinledger.demo.scenario import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
