"""The /audit API routes in the real app, and the `twinledger audit` commands."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from tests.audit.conftest import run_campaign
from tests.audit.test_asset_check import CAMPAIGN, tampered_copy
from tests.harness import Harness
from twinledger.api.app import create_app
from twinledger.audit import AuditContext
from twinledger.chain import ETH, dev_accounts, save_deployment
from twinledger.cli import app as cli_app
from twinledger.services.context import AppContext, SignerDirectory
from twinledger.store import make_engine
from twinledger.store.events import IndexedEvent


@pytest.fixture
def api(anvil_only: Harness, audit: AuditContext) -> TestClient:
    settings = audit.settings.model_copy(update={"require_api_key": False, "dev_mode": True})
    engine = make_engine(settings.database_url)
    context = AppContext(settings, anvil_only.client, anvil_only.ledger, anvil_only.sender, engine, SignerDirectory(dev_accounts()[0], dev_mode=True))
    with TestClient(create_app(context, run_batcher=False)) as client:
        yield client
    engine.dispose()


def test_api_index_then_trail(anvil_only: Harness, api: TestClient) -> None:
    campaign = run_campaign(anvil_only)

    indexed = api.post("/audit/index")
    page = api.get("/audit/trail", params={"license_id": campaign.licensed.license_id, "event": "UsageRegistered", "limit": 3})
    rest = api.get("/audit/trail", params={"license_id": campaign.licensed.license_id, "event": "UsageRegistered", "after": page.json()["next_after"]})

    assert indexed.status_code == 200
    assert indexed.json()["events"] > 0
    assert page.status_code == 200
    assert page.json()["total"] == 4
    assert len(page.json()["rows"]) == 3
    assert [row["amount"] for row in rest.json()["rows"]] == [str(5 * 10**12)]
    assert rest.json()["next_after"] is None


def test_api_trail_invalid_filter_422(api: TestClient) -> None:
    response = api.get("/audit/trail", params={"brand": "nobody"})

    assert response.status_code == 422
    assert response.json()["error"] == "InvalidInputError"


def test_api_export_csv_and_json(anvil_only: Harness, api: TestClient) -> None:
    run_campaign(anvil_only)
    api.post("/audit/index")

    as_csv = api.get("/audit/export", params={"format": "csv", "event": "Credited"})
    as_json = api.get("/audit/export", params={"format": "json", "event": "Credited"})

    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == len(as_json.json()) == 9
    assert [row["amount"] for row in rows] == [record["amount"] for record in as_json.json()]


def test_api_reconciliation_reports_mismatch(anvil_only: Harness, audit: AuditContext, api: TestClient) -> None:
    run_campaign(anvil_only)
    api.post("/audit/index")
    clean = api.get("/audit/reconciliation").json()
    with audit.session_factory() as session:
        session.execute(update(IndexedEvent).where(IndexedEvent.event == "Deposited").values(args={"account": anvil_only.accounts.brand.address, "currency": ETH, "funder": anvil_only.accounts.brand.address, "amount": "1"}))
        session.commit()

    broken = api.get("/audit/reconciliation").json()

    assert clean["ok"] is True
    assert broken["ok"] is False
    assert "deposit" in [mismatch["check"] for mismatch in broken["mismatches"]]


def test_api_asset_check_upload(anvil_only: Harness, api: TestClient, tmp_path: Path) -> None:
    valid = api.post("/audit/asset-check", content=(CAMPAIGN / "C.jpg").read_bytes(), headers={"content-type": "image/jpeg"})
    absent = api.post("/audit/asset-check", params={"filename": "A.jpg"}, content=(CAMPAIGN / "A.jpg").read_bytes())
    tampered = api.post("/audit/asset-check", content=tampered_copy(CAMPAIGN / "C.jpg", tmp_path / "t.jpg").read_bytes(), headers={"content-type": "image/jpeg"})
    empty = api.post("/audit/asset-check", content=b"")

    assert valid.status_code == 200
    assert valid.json()["manifest"]["state"] == "valid"
    assert absent.json()["manifest"]["state"] == "absent"
    assert tampered.json()["manifest"]["state"] == "invalid"
    assert empty.status_code == 422


def test_api_figures_and_open_takedowns(anvil_only: Harness, api: TestClient) -> None:
    h = anvil_only
    campaign = run_campaign(h)
    h.transact(h.accounts.model, h.ledger.takedowns.functions.fileLicenseTakedown(campaign.licensed.license_id, 2, b"\x02" * 32))
    h.client.increase_time(600)
    api.post("/audit/index")

    figures = api.get("/audit/figures", params={"twin_id": campaign.licensed.twin_id}).json()
    takedowns = api.get("/audit/takedowns/open").json()

    assert figures["total_uses"] == 4
    assert figures["reuse_rate"] == "1.333333"
    [takedown] = takedowns["takedowns"]
    assert takedown["target"] == "license"
    assert takedown["status"] == "filed"
    assert takedown["age_seconds"] >= 600


def _cli(anvil_only: Harness, audit: AuditContext, tmp_path: Path, *args: str):
    deployment = tmp_path / "deployment.json"
    save_deployment(anvil_only.deployment, deployment)
    options = ["--rpc-url", anvil_only.client.rpc_url, "--deployment", str(deployment), "--database-url", audit.settings.database_url]
    return CliRunner().invoke(cli_app, ["audit", *args, *options])


def test_cli_index_reconcile_and_mismatch_exit(anvil_only: Harness, audit: AuditContext, tmp_path: Path) -> None:
    run_campaign(anvil_only)

    indexed = _cli(anvil_only, audit, tmp_path, "index")
    clean = _cli(anvil_only, audit, tmp_path, "reconcile")
    with audit.session_factory() as session:
        row = session.query(IndexedEvent).filter(IndexedEvent.event == "Withdrawn").one()
        session.execute(update(IndexedEvent).where(IndexedEvent.id == row.id).values(args={**row.args, "amount": "0"}))
        session.commit()
    broken = _cli(anvil_only, audit, tmp_path, "reconcile")

    assert indexed.exit_code == 0, indexed.output
    assert "indexed blocks" in indexed.output
    assert clean.exit_code == 0, clean.output
    assert "no mismatch" in clean.output
    assert broken.exit_code == 1
    assert "mismatch balance" in broken.output


def test_cli_export_check_asset_and_figures(anvil_only: Harness, audit: AuditContext, tmp_path: Path) -> None:
    run_campaign(anvil_only)
    _cli(anvil_only, audit, tmp_path, "index")
    output = tmp_path / "credits.json"

    exported = _cli(anvil_only, audit, tmp_path, "export", "--format", "json", "-o", str(output), "--event", "Credited")
    checked = _cli(anvil_only, audit, tmp_path, "check-asset", str(CAMPAIGN / "C.jpg"))
    figures = _cli(anvil_only, audit, tmp_path, "figures", "--since", "2000-01-01T00:00:00Z")
    trail = _cli(anvil_only, audit, tmp_path, "trail", "--event", "UsageRegistered", "--limit", "2")

    assert exported.exit_code == 0, exported.output
    assert len(json.loads(output.read_text())) == 9
    assert checked.exit_code == 0, checked.output
    assert "manifest   valid" in checked.output
    assert figures.exit_code == 0, figures.output
    assert "reuse rate 1.333333" in figures.output
    assert trail.exit_code == 0, trail.output
    assert "2 of 4 rows" in trail.output


def test_cli_without_rpc_url_fails(audit: AuditContext, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TWINLEDGER_RPC_URL", raising=False)
    result = CliRunner().invoke(cli_app, ["audit", "index", "--database-url", audit.settings.database_url, "--deployment", str(tmp_path / "none.json")])

    assert result.exit_code == 1
    assert "TWINLEDGER_RPC_URL" in result.output
