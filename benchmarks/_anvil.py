"""An Anvil node for the benchmarks that keeps recent states in memory."""

from __future__ import annotations

import shutil
import subprocess

from tests.chains import ANVIL, AnvilProcess, free_port

__all__ = ["BenchAnvil"]


class BenchAnvil(AnvilProcess):
    """:class:`AnvilProcess` that keeps the last ``states`` states in memory and writes nothing to disk.

    With a bare ``--prune-history`` (as the test suite runs it) Anvil 1.7.1 keeps no past state:
    ``debug_traceTransaction`` returns "Resource not found" even for the latest transaction, and
    an ``eth_call`` that races a newly mined block fails with "BlockOutOfRangeError", which the API
    turns into HTTP 500 under concurrent load. A node that keeps recent states does neither.
    ``steps_tracing`` records opcode steps, which ``structLogs`` traces need; it slows every
    transaction, so only the gas benchmark turns it on.
    """

    def __init__(self, *extra_args: str, states: int = 2000, steps_tracing: bool = False) -> None:
        binary = str(ANVIL) if ANVIL.exists() else shutil.which("anvil")
        if binary is None:
            raise RuntimeError("anvil not found: run `npm ci` in the repository root")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [binary, "--host", "127.0.0.1", "--port", str(self.port), "--prune-history", str(states), "--silent"]
        if steps_tracing:
            command.append("--steps-tracing")
        self.process = subprocess.Popen([*command, *extra_args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()
