"""``twinledger serve`` as a child process on 127.0.0.1, for tests that kill it and start it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.chains import free_port

TWINLEDGER = Path(sys.executable).parent / "twinledger"


class ServiceProcess:
    """Runs ``twinledger serve`` with ``settings`` (TWINLEDGER_* names without the prefix) until stopped."""

    def __init__(self, settings: dict[str, str], log_file: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {key: value for key, value in os.environ.items() if not key.startswith("TWINLEDGER_")}
        environment.update({f"TWINLEDGER_{name.upper()}": value for name, value in settings.items()})
        environment.update(TWINLEDGER_HOST="127.0.0.1", TWINLEDGER_PORT=str(self.port))
        self._log = open(log_file, "ab")
        self.process = subprocess.Popen(
            [str(TWINLEDGER), "serve"], env=environment, stdout=self._log, stderr=subprocess.STDOUT, cwd=log_file.parent
        )
        self._wait_ready(log_file)

    def _wait_ready(self, log_file: Path, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"twinledger serve exited with {self.process.returncode}: {log_file.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"twinledger serve did not respond on {self.url} within {timeout:.0f}s")

    def kill(self) -> None:
        """Kill the process by its PID with SIGKILL: no shutdown code runs."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self) -> None:
        """Stop the process by its PID with SIGINT, as Ctrl-C would, then SIGKILL after 20 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self._log.closed:
            self._log.close()
