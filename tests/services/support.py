"""Builders for service and API tests: an AppContext on the session's Anvil node, and licensed twins.

Each call of :func:`make_context` deploys a fresh ledger on the shared node, so test modules never
see each other's twins and licenses.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from tests.chains import AnvilProcess
from twinledger.chain import ChainClient, TransactionSender, deploy_ledger, dev_accounts, save_deployment
from twinledger.chain.deploy import Deployment
from twinledger.config import Settings
from twinledger.services import _vocabulary as vocabulary
from twinledger.services.context import DEV_ROLES, AppContext
from twinledger.services.licenses import TermsInput
from twinledger.services.twins import SplitShare
from twinledger.services.usages import UsageInput

DAY = 86_400


def account(role: str) -> LocalAccount:
    return dev_accounts()[DEV_ROLES[role]]


def deploy_fresh(anvil: AnvilProcess, directory: Path) -> Path:
    """Deploy a new ledger on ``anvil`` and write its deployment file into ``directory``."""
    client = ChainClient.connect(anvil.url)
    deployment: Deployment = deploy_ledger(client.w3, TransactionSender(client.w3), account("operator"), [account("studio").address])
    path = directory / "deployment.json"
    save_deployment(deployment, path)
    return path


def make_context(anvil: AnvilProcess, directory: Path, deployment_file: Path | None = None, **overrides) -> AppContext:
    """An AppContext on ``anvil`` with a SQLite file in ``directory`` (dev mode unless overridden)."""
    values = {
        "rpc_url": anvil.url,
        "deployment_file": deployment_file or deploy_fresh(anvil, directory),
        "database_url": f"sqlite:///{directory / 'twinledger.db'}",
        "dev_mode": True,
        "batch_interval_seconds": 0.05,
    }
    values.update(overrides)
    return AppContext.from_settings(Settings(**values))


@dataclass(frozen=True)
class Licensed:
    twin_id: int
    consent_id: int
    terms_id: int
    license_id: int


def register_twin(context: AppContext, model: str = "model") -> int:
    model_account = account(model)
    twin, _ = context.twins.register(
        account("studio"),
        model=model_account.address,
        provenance_hash=hashlib.sha256(uuid.uuid4().bytes).digest(),
        metadata_uri="ipfs://twin",
        split=[SplitShare(model_account.address, 7000), SplitShare(account("agency").address, 2000),
               SplitShare(account("studio").address, 1000)],
    )
    return twin.twin_id


def grant_consent(context: AppContext, twin_id: int, model: str = "model") -> int:
    now = context.client.latest_timestamp()
    grant = {
        "twinId": twin_id,
        "mediaMask": 0x7F,
        "territories": vocabulary.territory_bitmap([250, 276, 826, 840, 392]),
        "aiUseMask": 1,
        "purpose": "Campaign imagery",
        "remuneration": "Fee per use",
        "validFrom": now - 60,
        "validUntil": now + 365 * DAY,
        "noticePeriod": 7 * DAY,
        "nonce": 0,
        "deadline": now + DAY,
    }
    result = context.transact(account(model), context.ledger.consents.functions.grantConsent(grant))
    return context.events(result, context.ledger.consents, "ConsentGranted")[0]["args"]["consentId"]


def terms_input(context: AppContext, consent_id: int, **overrides) -> TermsInput:
    values = dict(
        consent_id=consent_id,
        currency=context.payments.currency("ETH"),
        upfront_fee=10**15,
        price_per_use=10**12,
        usage_unit="image",
        end=context.client.latest_timestamp() + 180 * DAY,
        channels=["social", "web", "print"],
        territories=["FR", "US"],
        legal_text_uri="ipfs://legal",
    )
    values.update(overrides)
    return TermsInput(**values)


def licensed_twin(
    context: AppContext, *, brand: str = "brand", model: str = "model", deposit: int = 10**17, approve: bool = True, **terms
) -> Licensed:
    """A twin with consent, terms and a license bought by ``brand``, which deposits ETH and approves the relayer."""
    twin_id = register_twin(context, model)
    consent_id = grant_consent(context, twin_id, model)
    published, _ = context.licenses.publish_terms(account(model), twin_id, terms_input(context, consent_id, **terms))
    license, _ = context.licenses.buy(account(brand), published.terms_id)
    if deposit:
        context.payments.deposit(account(brand), license.currency, deposit)
    if approve:
        context.licenses.approve_relayer(account(brand))
    return Licensed(twin_id, consent_id, published.terms_id, license.license_id)


def usage(license_id: int, usage_id: str | None = None, **overrides) -> UsageInput:
    values = dict(
        usage_id=usage_id or str(uuid.uuid4()),
        license_id=license_id,
        asset_hash="0x" + hashlib.sha256(b"campaign image").hexdigest(),
        quantity=1,
        channel="social",
        territory="FR",
    )
    values.update(overrides)
    return UsageInput(**values)


def usage_events(context: AppContext, license_id: int) -> list:
    event = context.ledger.usages.events.UsageRegistered()
    start = context.ledger.deployment.deployment_block
    return event.get_logs(from_block=start, argument_filters={"licenseId": license_id})
