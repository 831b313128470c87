"""Fixtures and builders shared by the consent and takedown tests of the services and the API.

A TwinLedger is deployed once per session on the session's Anvil node; each test gets an
:class:`AppContext` in dev mode over it with a fresh SQLite outbox, and the chain is reverted to
its snapshot afterwards. Test modules import the fixtures they use from here.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.chains import AnvilProcess
from twinledger.api.app import create_app
from twinledger.chain import ChainClient, Ledger, TransactionSender, deploy_ledger, dev_accounts, save_deployment
from twinledger.chain.deploy import Deployment
from twinledger.config import Settings
from twinledger.services.batcher import UsageBatcher
from twinledger.services.consent import ConsentInput
from twinledger.services.context import DEV_ROLES, AppContext, SignerDirectory
from twinledger.services.licenses import TermsInput
from twinledger.services.twins import SplitShare
from twinledger.services.usages import UsageInput
from twinledger.store import make_engine, migrate

DAY = 86_400
ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets" / "campaign"


def account(role: str):
    return dev_accounts()[DEV_ROLES[role]]


@dataclass(frozen=True)
class _Chain:
    client: ChainClient
    deployment: Deployment
    deployment_file: Path


@pytest.fixture(scope="session")
def consent_chain(anvil: AnvilProcess, tmp_path_factory: pytest.TempPathFactory) -> _Chain:
    """A TwinLedger deployed on the session's Anvil node, with the studio as registrar."""
    client = ChainClient.connect(anvil.url)
    deployment = deploy_ledger(client.w3, TransactionSender(client.w3), dev_accounts()[0], [account("studio").address])
    deployment_file = tmp_path_factory.mktemp("consent-deployment") / "deployment.json"
    save_deployment(deployment, deployment_file)
    return _Chain(client, deployment, deployment_file)


@pytest.fixture
def app_context(consent_chain: _Chain, tmp_path: Path) -> Iterator[AppContext]:
    """A dev-mode application context on Anvil with an empty outbox, reverted after the test."""
    client = consent_chain.client
    snapshot = client.snapshot()
    database_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    settings = Settings(
        rpc_url=client.rpc_url, deployment_file=consent_chain.deployment_file, database_url=database_url,
        dev_mode=True, require_api_key=False, _env_file=None,
    )
    engine = make_engine(database_url)
    migrate(engine)
    context = AppContext(
        settings, client, Ledger(client.w3, consent_chain.deployment), TransactionSender(client.w3), engine,
        SignerDirectory(dev_accounts()[0], dev_mode=True),
    )
    try:
        yield context
    finally:
        context.close()
        client.revert(snapshot)


@pytest.fixture
def api(app_context: AppContext) -> Iterator[TestClient]:
    """The API over ``app_context``, without the batcher thread (tests drain the outbox themselves)."""
    with TestClient(create_app(app_context, run_batcher=False)) as client:
        yield client


def acting(role: str) -> dict[str, str]:
    """The header that makes an API request act for a development account."""
    return {"X-TwinLedger-Account": role}


def register_twin(context: AppContext, model_role: str = "model") -> int:
    model = account(model_role)
    twin, _ = context.twins.register(
        account("studio"),
        model=model.address,
        provenance_hash=hashlib.sha256(uuid.uuid4().bytes).digest(),
        metadata_uri="ipfs://twin",
        split=[SplitShare(model.address, 8000), SplitShare(account("agency").address, 2000)],
    )
    return twin.twin_id


def consent_input(context: AppContext, twin_id: int, **overrides) -> ConsentInput:
    """A grant for social, web and print in France, the US and the EU for 90 days, with a 7-day notice period."""
    now = context.client.latest_timestamp()
    values = dict(
        twin_id=twin_id,
        channels=["social", "web", "print"],
        territories=["FR", "US", "eu"],
        purpose="AI-generated campaign imagery for the spring apparel line",
        remuneration="Upfront fee plus a fee per image",
        valid_from=now - 60,
        valid_until=now + 90 * DAY,
        ai_uses=["ai_use"],
        notice_period=7 * DAY,
    )
    values.update(overrides)
    return ConsentInput(**values)


def publish_terms(context: AppContext, twin_id: int, consent_id: int, model_role: str = "model") -> int:
    terms, _ = context.licenses.publish_terms(
        account(model_role),
        twin_id,
        TermsInput(
            consent_id=consent_id, currency=context.payments.currency("ETH"), upfront_fee=10**15, price_per_use=10**12,
            usage_unit="image", end=context.client.latest_timestamp() + 60 * DAY, channels=["social", "web"],
            territories=["FR", "US"], legal_text_uri="ipfs://agreement",
        ),
    )
    return terms.terms_id


@dataclass(frozen=True)
class Licensed:
    twin_id: int
    consent_id: int
    terms_id: int
    license_id: int


def licensed_twin(context: AppContext, brand_role: str = "brand") -> Licensed:
    """A twin with consent, terms, a license bought by ``brand_role`` and an ETH deposit for usage fees."""
    twin_id = register_twin(context)
    consent, _ = context.consents.grant(account("model"), consent_input(context, twin_id))
    terms_id = publish_terms(context, twin_id, consent.consent_id)
    license, _ = context.licenses.buy(account(brand_role), terms_id)
    context.payments.deposit(account(brand_role), context.payments.currency("ETH"), 10**17)
    return Licensed(twin_id, consent.consent_id, terms_id, license.license_id)


def report_usage(context: AppContext, license_id: int, asset_hash: str, *, brand_role: str = "brand", channel: str = "social"):
    """Post one usage for the brand and run the batcher until it settles; return the stored usage."""
    usage_id = str(uuid.uuid4())
    context.usages.submit(
        "tests",
        UsageInput(usage_id=usage_id, license_id=license_id, asset_hash=asset_hash, quantity=1, channel=channel, territory="FR"),
        acting=account(brand_role),
    )
    UsageBatcher(context).drain(timeout=60)
    return context.usages.get("tests", usage_id)


def asset_sha256(name: str) -> str:
    return "0x" + hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()
