"""A description of the machine and toolchain that a benchmark run used."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from tests.chains import ANVIL

__all__ = ["describe_machine", "load_average"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _command_version(*command: str) -> str:
    try:
        output = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "not found"
    return output.strip().splitlines()[0] if output.strip() else "unknown"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def describe_machine() -> dict[str, str]:
    """Cores, memory, CPU model, OS and the versions of every tool the benchmarks ran on."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": str(os.cpu_count()),
        "memory": _memory_gib(),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "node": _command_version("node", "--version"),
        "anvil": _command_version(str(ANVIL), "--version").removeprefix("anvil Version: "),
        "web3.py": version("web3"),
        "py-evm": version("py-evm"),
        "SQLAlchemy": version("SQLAlchemy"),
        "SQLite": __import__("sqlite3").sqlite_version,
    }
