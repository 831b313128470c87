"""The campaign scenario runs to its end on the embedded chain and its reconciliation passes."""

from __future__ import annotations

import io

from rich.console import Console

from twinledger.demo import run_demo
from twinledger.demo.scenario import MIN_LOG_WIDTH, demo_console


def test_demo_runs_to_end_embedded() -> None:
    output = io.StringIO()

    result = run_demo(console=Console(file=output, width=160))

    failed = [(name, values) for name, ok, values in result.checks if not ok]
    assert failed == []
    assert result.confirmed_usages == 17
    # The takedown step reports one more use of a taken-down image, which the chain rejects.
    assert result.rejected_usages == 1
    text = output.getvalue()
    assert "line 10: usage id imp-2026-01-fr-social-c seen before" in text
    assert "A.jpg = IMG_0003.jpg" in text
    assert "POST /usages (same usage id)  -> 200" in text


def test_demo_console_widened_for_logs(monkeypatch) -> None:
    # Rich reads COLUMNS for a console that writes to no terminal; without it the width is 80.
    monkeypatch.delenv("COLUMNS", raising=False)

    assert demo_console(Console(file=io.StringIO())).width == MIN_LOG_WIDTH
    assert MIN_LOG_WIDTH >= 120
    assert demo_console(Console(file=io.StringIO(), width=160)).width == 160


def test_demo_console_terminal_keeps_width() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True, width=80)

    assert demo_console(terminal).width == 80
