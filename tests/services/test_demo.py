"""The campaign scenario runs to its end on the embedded chain and its reconciliation passes."""

from __future__ import annotations

import io

from rich.console import Console

from twinledger.demo import run_demo


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
