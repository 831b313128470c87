"""The README's cast commands reproduce a twin's earnings from the chain alone, matching the export."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from tests.audit.conftest import run_campaign
from tests.builders import deposit, license_twin, register_usages, usage_record
from tests.chains import REPOSITORY_ROOT
from tests.harness import Harness
from twinledger.audit import AuditContext
from twinledger.audit.trail import TrailFilter, iter_trail, write_json

HEADING = "### Reproducing a twin's earnings with cast"


def readme_cast_block() -> str:
    """The first ```sh block after the cast heading of README.md, verbatim."""
    text = (REPOSITORY_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(HEADING):]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "README.md has no sh block under the cast heading"
    return match.group(1)


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("bc") is None, reason="jq and bc are needed")
def test_cast_earnings_match_export(anvil_only: Harness, audit: AuditContext, tmp_path: Path) -> None:
    h = anvil_only
    campaign = run_campaign(h)
    # A second license of the same twin by another brand, and another twin's credits that must not count.
    second = license_twin(h, campaign.licensed.twin_id, brand=h.accounts.brand2, pricePerUse=3)
    deposit(h, 10**15, brand=h.accounts.brand2)
    register_usages(h, second.license_id, usage_record(b"\x55" * 32, quantity=7), brand=h.accounts.brand2)
    run_campaign(h)
    audit.indexer().sync()

    env = {
        **os.environ,
        "PATH": f"{REPOSITORY_ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
        "RPC_URL": h.client.rpc_url,
        "VAULT": h.deployment.address("PaymentVault"),
        "FROM_BLOCK": str(h.deployment.deployment_block),
        "TWIN_ID": str(campaign.licensed.twin_id),
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_cast_block()],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr

    from_cast = {}
    for line in result.stdout.strip().splitlines():
        recipient, currency, total = line.split()
        from_cast[(recipient.lower(), currency.lower())] = int(total)

    stream = io.StringIO()
    with audit.session_factory() as session:
        write_json(iter_trail(session, TrailFilter(twin_id=campaign.licensed.twin_id, events=("Credited",))), stream)
    from_export: dict[tuple[str, str], int] = defaultdict(int)
    for record in json.loads(stream.getvalue()):
        from_export[(record["recipient"].lower(), record["currency"].lower())] += int(record["amount"])

    assert len(from_cast) == 3
    assert from_cast == dict(from_export)
