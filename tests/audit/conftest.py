"""Fixtures of the audit tests: an empty event index on SQLite, and on PostgreSQL when configured.

Set TWINLEDGER_TEST_POSTGRES_URL (for example ``postgresql+psycopg://user@127.0.0.1:5432/postgres``)
to run every index test on PostgreSQL too; each test gets its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.builders import (
    CHANNEL_SOCIAL,
    CHANNEL_WEB,
    FRANCE,
    UNITED_STATES,
    LicensedTwin,
    deposit,
    licensed_twin,
    register_usages,
    usage_record,
)
from tests.harness import Harness
from twinledger.audit import AuditContext
from twinledger.config import Settings
from twinledger.store import make_engine, make_session_factory, migrate

POSTGRES_URL = os.environ.get("TWINLEDGER_TEST_POSTGRES_URL")


def _postgres_database() -> Iterator[str]:
    admin_url = make_url(POSTGRES_URL)
    name = f"twinledger_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """URL of an empty database: SQLite in a temporary folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'index.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TWINLEDGER_TEST_POSTGRES_URL is not set")
    yield from _postgres_database()


@pytest.fixture
def audit(anvil_only: Harness, database_url: str) -> Iterator[AuditContext]:
    """An audit context on the Anvil harness with a migrated, empty index."""
    engine = make_engine(database_url)
    migrate(engine)
    settings = Settings(database_url=database_url, confirmations=0, _env_file=None)
    yield AuditContext(anvil_only.w3, anvil_only.deployment, make_session_factory(engine), settings)
    engine.dispose()


@dataclass
class Campaign:
    """A licensed twin with a deposit, two usage batches over three assets, and one withdrawal."""

    licensed: LicensedTwin
    assets: list[bytes]
    batch_fees: list[int]


ASSETS = [b"\x11" * 32, b"\x22" * 32, b"\x33" * 32]


def run_campaign(h: Harness) -> Campaign:
    """Buy a license, deposit 1 ETH, register two batches and withdraw part of the model's credit."""
    licensed = licensed_twin(h)
    deposit(h, 10**18)
    first = usage_record(ASSETS[0], quantity=3, channel=CHANNEL_SOCIAL, territory=FRANCE) + usage_record(
        ASSETS[1], quantity=1, channel=CHANNEL_WEB, territory=UNITED_STATES
    )
    second = usage_record(ASSETS[0], quantity=2) + usage_record(ASSETS[2], quantity=5)
    register_usages(h, licensed.license_id, first)
    register_usages(h, licensed.license_id, second)
    model = h.accounts.model
    balance = h.ledger.vault.functions.balanceOf(model.address, "0x" + "00" * 20).call()
    h.transact(model, h.ledger.vault.functions.withdraw("0x" + "00" * 20, balance // 2, model.address))
    price = 10**12
    return Campaign(licensed, ASSETS, [4 * price, 7 * price])
