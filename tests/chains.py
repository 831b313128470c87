"""Chains for the test suite: an Anvil node started once per session, and the embedded chain."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
ANVIL = REPOSITORY_ROOT / "node_modules" / ".bin" / "anvil"


def free_port() -> int:
    """Ask the OS for a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AnvilProcess:
    """An Anvil node on a free 127.0.0.1 port, with history pruned so nothing lands in $HOME.

    The last 2,000 states stay in memory: with none kept, a call at "latest" that races a new block
    fails with BlockOutOfRangeError, and the indexer's reads at a past block fail too.

    ``extra_args`` go to Anvil as given (for example ``--state FILE`` to save and load state).
    """

    def __init__(self, *extra_args: str, port: int | None = None) -> None:
        binary = str(ANVIL) if ANVIL.exists() else shutil.which("anvil")
        if binary is None:
            raise RuntimeError("anvil not found: run `npm ci` in the repository root")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [binary, "--host", "127.0.0.1", "--port", str(self.port), "--prune-history", "2000", "--silent", *extra_args]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with {self.process.returncode}: {self.process.stderr.read().decode()}")
            try:
                response = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=1)
                if response.ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"anvil did not respond on {self.url} within {timeout}s")

    def stop(self) -> None:
        """Stop the node by its PID and wait for it to exit."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def anvil_env_ok() -> bool:
    return ANVIL.exists() or shutil.which("anvil") is not None or bool(os.environ.get("TWINLEDGER_TEST_RPC_URL"))
