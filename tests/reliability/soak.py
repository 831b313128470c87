"""``make soak``: the reliability suite, then the full load run, written to RELIABILITY.md.

Runs ``pytest tests/reliability`` and records its outcome per test, then 50 clients posting 200
usages each (10% repeats) to ``twinledger serve`` on 127.0.0.1, and rewrites RELIABILITY.md with
every figure, the command that produced it, the machine and the date. Exits non-zero when a test
fails or any usage is lost or charged twice.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from tests.reliability.load import PRICE, run_load
from tests.reliability.report import write_report

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, POSTS_PER_CLIENT = 50, 200


def run_suite() -> tuple[list[tuple[str, str]], float]:
    """Run tests/reliability; return (test id, outcome) pairs and the seconds it took."""
    report = ROOT / ".pytest_cache" / "reliability-junit.xml"
    report.parent.mkdir(exist_ok=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:logging", f"--junitxml={report}"],
        cwd=ROOT, check=False,
    )
    seconds = time.monotonic() - started
    outcomes = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped":
                outcome = "expected failure" if "xfail" in (child.get("type", "") + child.get("message", "")) else "skipped"
        outcomes.append((f"{case.get('classname').rsplit('.', 1)[-1]}::{case.get('name')}", outcome))
    return outcomes, seconds


def main() -> int:
    outcomes, suite_seconds = run_suite()
    started = time.monotonic()
    load = run_load(CLIENTS, POSTS_PER_CLIENT)
    load_seconds = time.monotonic() - started
    machine = f"{platform.node()}, {platform.system()} {platform.release()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    write_report(
        ROOT / "RELIABILITY.md",
        outcomes=outcomes, suite_seconds=suite_seconds, load=load, load_seconds=load_seconds, price=PRICE,
        machine=machine, date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    failed = [name for name, outcome in outcomes if outcome == "failed"]
    lost_or_twice = load.refs_missing + load.refs_charged_twice + load.refs_unexpected
    print(f"RELIABILITY.md written: {len(failed)} failed tests, {lost_or_twice} usages lost or charged twice, "
          f"{load.posts_per_second:.0f} posts/s")
    return 1 if failed or lost_or_twice or load.deposit_charged != load.expected_charge else 0


if __name__ == "__main__":
    sys.exit(main())
