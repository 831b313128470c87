#!/usr/bin/env python3
"""Run Slither over ``contracts/`` and fail on any High or Medium finding that is not accepted.

    .venv-slither/bin/python scripts/run_slither.py

Slither reads its settings from ``slither.config.json`` at the repository root: the compiler
wrapper ``tools/solc-pinned`` (solc-js with the pinned ``viaIR``, ``evmVersion`` and optimizer
settings), the ``@openzeppelin`` remapping, and the paths whose findings are ignored
(``node_modules/`` and ``contracts/test/``). This script reads Slither's JSON report and matches
each finding against the table of accepted findings in ``docs/known-issues.md``. A row there names
the detector and one or more locations as ``Contract.function`` (or ``Contract`` alone for a
finding about a whole contract), each in backticks.

Exit status: 0 when every High and Medium finding is accepted, 1 when one is not, 2 when Slither
itself fails (a compilation error, for example). Low, Informational and Optimization findings are
printed but never fail the run. The script uses only the standard library, so it runs with the
Python of Slither's own environment.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
KNOWN_ISSUES = REPOSITORY_ROOT / "docs" / "known-issues.md"
ENFORCED_IMPACTS = ("High", "Medium")
IMPACT_ORDER = ("High", "Medium", "Low", "Informational", "Optimization")

# A table row whose first cell is a detector id in backticks, for example
# | `arbitrary-send-eth` | `PaymentVault._send` | High | why it is safe |
_ROW = re.compile(r"^\|\s*`(?P<check>[a-z0-9-]+)`\s*\|(?P<locations>[^|]*)\|")
_LOCATION = re.compile(r"`([A-Za-z_]\w*(?:\.\w+)?)`")


@dataclass(frozen=True)
class Finding:
    """One Slither result, reduced to what the accepted-findings table matches on."""

    check: str
    impact: str
    location: str
    description: str


def read_accepted(path: Path) -> set[tuple[str, str]]:
    """Return the (detector, location) pairs listed in the accepted-findings table of ``path``."""
    accepted: set[tuple[str, str]] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line.strip())
        if match is None:
            continue
        for location in _LOCATION.findall(match["locations"]):
            accepted.add((match["check"], location))
    return accepted


def _location(result: dict) -> str:
    """Return the contract and function that a result is about, as ``Contract.function``."""
    for element in result.get("elements", []):
        kind = element.get("type")
        parent = element.get("type_specific_fields", {}).get("parent", {})
        if kind == "function":
            return f"{parent.get('name', '?')}.{element['name']}"
        if kind == "node" and parent.get("type") == "function":
            contract = parent.get("type_specific_fields", {}).get("parent", {}).get("name", "?")
            return f"{contract}.{parent['name']}"
        if kind == "contract":
            return element["name"]
        if parent.get("type") == "contract":
            return f"{parent['name']}.{element['name']}"
    return "?"


def parse_findings(report: dict) -> list[Finding]:
    """Return the detector results of a Slither JSON report."""
    return [
        Finding(
            check=result["check"],
            impact=result["impact"],
            location=_location(result),
            description=result["description"].strip(),
        )
        for result in report.get("results", {}).get("detectors", [])
    ]


def run_slither(slither: Path, target: str) -> tuple[dict | None, str]:
    """Run Slither on ``target`` from the repository root and return its JSON report and stderr.

    The report is None when Slither printed no JSON, for example when it crashed.
    """
    command = [str(slither), target, "--json", "-", "--fail-none"]
    completed = subprocess.run(command, cwd=REPOSITORY_ROOT, capture_output=True, text=True, check=False)
    try:
        return json.loads(completed.stdout), completed.stderr
    except json.JSONDecodeError:
        return None, completed.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--slither",
        type=Path,
        default=Path(sys.executable).parent / "slither",
        help="Slither executable (default: the one beside this Python interpreter)",
    )
    parser.add_argument("--known-issues", type=Path, default=KNOWN_ISSUES, help="file with the accepted-findings table")
    parser.add_argument("--target", default="contracts", help="folder to analyse, relative to the repository root")
    options = parser.parse_args(argv)

    if not options.slither.exists():
        print(f"run_slither: {options.slither} not found. Run `make slither` to install Slither.", file=sys.stderr)
        return 2
    started = time.monotonic()
    report, stderr = run_slither(options.slither, options.target)
    elapsed = time.monotonic() - started
    if report is None or not report.get("success", False):
        error = report.get("error") if report else "no JSON report on stdout"
        print(f"run_slither: Slither failed: {error}\n{stderr}", file=sys.stderr)
        return 2

    accepted = read_accepted(options.known_issues)
    findings = sorted(parse_findings(report), key=lambda f: (IMPACT_ORDER.index(f.impact), f.check, f.location))
    matched: set[tuple[str, str]] = set()
    unaccepted: list[Finding] = []
    for finding in findings:
        key = (finding.check, finding.location)
        if key in accepted:
            matched.add(key)
            status = "accepted"
        elif finding.impact in ENFORCED_IMPACTS:
            unaccepted.append(finding)
            status = "NOT ACCEPTED"
        else:
            status = "not listed"
        print(f"{finding.impact:<13} {finding.check:<28} {finding.location:<45} {status}")

    for check, location in sorted(accepted - matched):
        print(f"listed in {options.known_issues.name} but not reported by this run: {check} {location}")
    counts = ", ".join(f"{sum(f.impact == impact for f in findings)} {impact}" for impact in IMPACT_ORDER)
    print(f"Slither: {len(findings)} findings ({counts}) in {elapsed:.0f} s")

    if unaccepted:
        print(
            f"\n{len(unaccepted)} High or Medium findings are neither fixed nor accepted. Fix each one, or add a "
            f"row with its detector, location and justification to {options.known_issues}:",
            file=sys.stderr,
        )
        for finding in unaccepted:
            print(f"\n[{finding.impact}] {finding.check} at {finding.location}\n{finding.description}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
