"""The campaign scenario: three twins, two brands, real images, an impressions file, and a report.

Every step goes through the same services as the API and the CLI. The run deploys a fresh ledger
(on the embedded chain, or on the node at ``rpc_url``) in dev mode, so the development accounts act
for the studio, the models, the agency and the brands.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from twinledger.chain import ChainClient, TransactionSender, deploy_ledger, dev_accounts, save_deployment
from twinledger.chain.deploy import deploy_contract
from twinledger.config import Settings
from twinledger.services import _vocabulary as vocabulary
from twinledger.services.assets import AssetInfo, inspect_asset
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import DEV_ROLES, AppContext
from twinledger.services.licenses import TermsInput
from twinledger.services.payments import Currency, format_amount
from twinledger.services.twins import SplitShare
from twinledger.services.usage_import import ImportReport, import_usages
from twinledger.services.usages import UsageInput

__all__ = ["ASSETS_DIR", "DemoResult", "MIN_LOG_WIDTH", "demo_console", "run_demo"]

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parents[3] / "assets" / "campaign"
DAY = 86_400
CLIENT_ID = "demo"


@dataclass(frozen=True)
class Party:
    """A person or company in the scenario and the development account it signs with."""

    name: str
    role: str

    @property
    def account(self) -> LocalAccount:
        return dev_accounts()[DEV_ROLES[self.role]]

    @property
    def address(self) -> str:
        return self.account.address


STUDIO = Party("Lumen Capture Studio", "studio")
AGENCY = Party("Atelier Talent Agency", "agency")
MODELS = (Party("Ava Laurent", "model"), Party("Bea Okafor", "model2"), Party("Cleo Martins", "model3"))
MAISON_LUNE = Party("Maison Lune", "brand")
NORTHWIND = Party("Northwind Apparel", "brand2")


@dataclass
class DemoState:
    """The twins, licenses, deposits and assets the scenario created, for the report and the checks."""

    context: AppContext
    tusd: Currency | None = None
    twin_ids: dict[str, int] = field(default_factory=dict)
    license_ids: dict[str, int] = field(default_factory=dict)
    license_brand: dict[int, Party] = field(default_factory=dict)
    license_currency: dict[int, Currency] = field(default_factory=dict)
    deposits: dict[tuple[str, str], int] = field(default_factory=dict)
    assets: dict[str, AssetInfo] = field(default_factory=dict)
    import_report: ImportReport | None = None
    withdrawn: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoResult:
    """The outcome of a run: the checks passed, and how many usages were confirmed."""

    confirmed_usages: int
    rejected_usages: int
    checks: list[tuple[str, bool, str]]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def _open_context(rpc_url: str | None, workdir: Path, console: Console) -> AppContext:
    settings_values = {
        "database_url": f"sqlite:///{workdir / 'demo.db'}",
        "dev_mode": True,
        "batch_interval_seconds": 0.1,
    }
    if rpc_url is None:
        console.print("Starting the embedded chain (py-evm, in this process) and deploying the contracts …")
        return AppContext.from_settings(Settings(**settings_values))
    console.print(f"Deploying a fresh TwinLedger to {rpc_url} …")
    client = ChainClient.connect(rpc_url)
    deployment = deploy_ledger(client.w3, TransactionSender(client.w3), dev_accounts()[0], [STUDIO.address])
    deployment_file = workdir / "deployment.json"
    save_deployment(deployment, deployment_file)
    return AppContext.from_settings(Settings(rpc_url=rpc_url, deployment_file=deployment_file, **settings_values))


def _deploy_stablecoin(state: DemoState, console: Console) -> None:
    context = state.context
    operator = context.operator
    address, _, _ = deploy_contract(context.w3, context.sender, operator, "TestToken", "Test USD", "tUSD", 6)
    context.transact(operator, context.ledger.vault.functions.setCurrencyAllowed(address, True))
    state.tusd = context.payments.currency(address)
    console.print(f"  Test USD (tUSD, 6 decimals) deployed at {address} and allow-listed in the vault")


def _register_twins(state: DemoState, console: Console) -> None:
    context = state.context
    splits = ((7000, 2000, 1000), (6500, 2500, 1000), (7500, 1500, 1000))
    table = Table("twin", "model", "split (model / agency / studio)", "gas")
    for model, shares in zip(MODELS, splits):
        twin, result = context.twins.register(
            STUDIO.account,
            model=model.address,
            provenance_hash=hashlib.sha256(f"capture session of {model.name}".encode()).digest(),
            metadata_uri=f"ipfs://twinledger-demo/{model.role}.json",
            split=[SplitShare(model.address, shares[0]), SplitShare(AGENCY.address, shares[1]), SplitShare(STUDIO.address, shares[2])],
        )
        state.twin_ids[model.role] = twin.twin_id
        table.add_row(str(twin.twin_id), model.name, " / ".join(f"{s / 100:g}%" for s in shares), f"{result.gas_used:,}")
    console.print(table)


def _grant_consent(context: AppContext, model: Party, twin_id: int) -> int:
    # Consent routes and services belong to the consent module; the demo calls the registry directly.
    now = context.client.latest_timestamp()
    grant = {
        "twinId": twin_id,
        "mediaMask": vocabulary.channel_mask(["print", "social", "out_of_home", "web", "video", "ecommerce"]),
        "territories": vocabulary.territory_bitmap(vocabulary.territory_codes(["FR", "DE", "GB", "US", "JP"])),
        "aiUseMask": vocabulary.ai_use_mask(["ai_use"]),
        "purpose": "AI-generated campaign imagery for apparel and accessories",
        "remuneration": "Upfront license fee plus a fee per use, paid through the twin's payout split",
        "validFrom": now - 60,
        "validUntil": now + 365 * DAY,
        "noticePeriod": 7 * DAY,
        "nonce": 0,
        "deadline": now + DAY,
    }
    consents = context.ledger.consents
    result = context.transact(model.account, consents.functions.grantConsent(grant))
    return context.events(result, consents, "ConsentGranted")[0]["args"]["consentId"]


def _publish_offers(state: DemoState, console: Console) -> dict[str, int]:
    context = state.context
    end = context.client.latest_timestamp() + 180 * DAY
    eth = context.payments.currency("ETH")
    offers = {
        "model": dict(currency=eth, upfront_fee=5 * 10**16, price_per_use=2 * 10**15, usage_unit="image",
                      channels=["social", "web", "print"], territories=["FR", "US", "GB"], max_uses=1000),
        "model2": dict(currency=state.tusd, upfront_fee=250 * 10**6, price_per_use=12_500_000, usage_unit="image",
                       channels=["social", "web", "ecommerce"], territories=["FR", "DE", "US"], max_uses=500),
        "model3": dict(currency=eth, upfront_fee=2 * 10**16, price_per_use=4 * 10**13, usage_unit="thousand_impressions",
                       channels=["social", "web", "out_of_home"], territories=["FR", "US", "DE"], max_uses=0),
    }
    table = Table("twin", "consent", "terms", "currency", "upfront fee", "price per use", "unit", "channels", "territories")
    terms_ids = {}
    for model in MODELS:
        twin_id = state.twin_ids[model.role]
        consent_id = _grant_consent(context, model, twin_id)
        offer = offers[model.role]
        terms, _ = context.licenses.publish_terms(
            model.account,
            twin_id,
            TermsInput(consent_id=consent_id, end=end, legal_text_uri=f"ipfs://twinledger-demo/agreement-{model.role}.pdf",
                       resale_royalty_bps=500, **offer),
        )
        terms_ids[model.role] = terms.terms_id
        table.add_row(
            str(twin_id), str(consent_id), str(terms.terms_id), terms.currency.symbol,
            format_amount(terms.upfront_fee, terms.currency), format_amount(terms.price_per_use, terms.currency),
            terms.usage_unit, ", ".join(terms.channels), ", ".join(terms.territories),
        )
    console.print(table)
    return terms_ids


def _buy_and_deposit(state: DemoState, terms_ids: dict[str, int], console: Console) -> None:
    context = state.context
    tusd = state.tusd
    token = context.ledger.token(tusd.address)
    # Northwind needs test dollars: the test token lets anyone mint.
    context.transact(NORTHWIND.account, token.functions.mint(NORTHWIND.address, 1_000 * 10**6))

    purchases = (("model", MAISON_LUNE), ("model2", NORTHWIND), ("model3", MAISON_LUNE))
    table = Table("license", "brand", "twin", "upfront fee paid", "gas")
    for role, brand in purchases:
        quote = context.licenses.quote(terms_ids[role])
        license, result = context.licenses.buy(brand.account, terms_ids[role], max_upfront_fee=quote.upfront_fee,
                                               max_price_per_use=quote.price_per_use)
        state.license_ids[role] = license.license_id
        state.license_brand[license.license_id] = brand
        state.license_currency[license.license_id] = license.currency
        table.add_row(str(license.license_id), brand.name, str(license.twin_id),
                      format_amount(quote.upfront_fee, quote.currency), f"{result.gas_used:,}")
    console.print(table)

    for brand, currency, amount in ((MAISON_LUNE, context.payments.currency("ETH"), 5 * 10**17), (NORTHWIND, tusd, 500 * 10**6)):
        context.payments.deposit(brand.account, currency, amount)
        context.licenses.approve_relayer(brand.account)
        state.deposits[(brand.address, currency.address)] = amount
        console.print(f"  {brand.name} deposited {format_amount(amount, currency)} and approved the relayer {context.operator.address}")


def _post_image_usages(state: DemoState, console: Console) -> None:
    context = state.context
    for path in sorted(ASSETS_DIR.iterdir()):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
            state.assets[path.name] = inspect_asset(path, allow_remote=context.settings.c2pa_remote_manifests)
    table = Table("file", "SHA-256 (asset hash)", "C2PA manifest")
    for name, info in state.assets.items():
        table.add_row(name, info.sha256[:16] + "…", f"{info.c2pa_state}: {info.c2pa_detail}")
    console.print(table)
    if state.assets["A.jpg"].sha256 == state.assets["IMG_0003.jpg"].sha256:
        console.print("  A.jpg and IMG_0003.jpg have the same bytes: one asset, used twice below.")

    plan = (
        ("model", MAISON_LUNE, "A.jpg", "social", "FR"),
        ("model", MAISON_LUNE, "IMG_0003.jpg", "web", "US"),
        ("model", MAISON_LUNE, "C.jpg", "print", "GB"),
        ("model", MAISON_LUNE, "CA.jpg", "social", "FR"),
        ("model2", NORTHWIND, "earth_apollo17.jpg", "ecommerce", "DE"),
        ("model2", NORTHWIND, "sample1.png", "social", "FR"),
        ("model2", NORTHWIND, "CA.jpg", "web", "US"),
        ("model2", NORTHWIND, "C.jpg", "social", "DE"),
    )
    for role, brand, name, channel, territory in plan:
        license_id = state.license_ids[role]
        usage = UsageInput(
            usage_id=f"img-{license_id}-{Path(name).stem}-{channel}-{territory}".lower(),
            license_id=license_id,
            asset_hash=state.assets[name].asset_hash,
            quantity=1,
            channel=channel,
            territory=territory,
        )
        context.usages.submit(CLIENT_ID, usage, acting=brand.account)
    console.print(f"  {len(plan)} image usages accepted into the outbox (status pending)")


def _import_impressions(state: DemoState, console: Console) -> None:
    path = ASSETS_DIR / "impressions.csv"
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"importing {path.name}", total=sum(1 for _ in path.open()) - 1)
        report = import_usages(state.context, path, client_id=CLIENT_ID, acting=MAISON_LUNE.account,
                               on_row=lambda _: progress.advance(task))
    state.import_report = report
    from twinledger.demo.report import import_summary

    console.print(import_summary(report, path))


def _submit_batches(state: DemoState, console: Console) -> None:
    batcher = UsageBatcher(state.context)
    batcher.drain(timeout=120)
    counts = state.context.usages.status_counts()
    console.print(
        f"  batcher: {counts['confirmed']} usages confirmed on-chain, {counts['rejected']} rejected, "
        f"{counts['pending'] + counts['submitted']} left"
    )


def _withdraw_all(state: DemoState, console: Console) -> None:
    context = state.context
    table = Table("recipient", "withdrew")
    for party in (*MODELS, AGENCY, STUDIO):
        amounts = []
        for currency in context.payments.currencies():
            amount, _ = context.payments.withdraw(party.account, currency)
            if amount:
                state.withdrawn[(party.address, currency.address)] = amount
                amounts.append(format_amount(amount, currency))
        table.add_row(party.name, ", ".join(amounts) or "nothing")
    console.print(table)


# Columns for output to no terminal. The widest table (the offers) needs 131 columns on the
# embedded-chain run, and 140 leaves room for longer amounts.
MIN_LOG_WIDTH = 140


def demo_console(console: Console | None = None) -> Console:
    """Return ``console`` (or a new one), at least ``MIN_LOG_WIDTH`` columns wide when it writes to no terminal.

    Rich falls back to 80 columns when its output is no terminal (a CI log, a pipe), which cuts the
    tables' headers and amounts. A terminal keeps its own width.
    """
    console = console or Console()
    if not console.is_terminal and console.width < MIN_LOG_WIDTH:
        console.width = MIN_LOG_WIDTH
    return console


def run_demo(rpc_url: str | None = None, console: Console | None = None) -> DemoResult:
    """Run the whole campaign scenario and return the report's checks."""
    from twinledger.demo.api_session import run_api_session
    from twinledger.demo.report import print_report
    from twinledger.demo.takedown_step import run_takedown_step

    console = demo_console(console)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="twinledger-demo-") as workdir:
        context = _open_context(rpc_url, Path(workdir), console)
        try:
            state = DemoState(context)
            console.rule("1. A capture studio registers three twins")
            _deploy_stablecoin(state, console)
            _register_twins(state, console)
            console.rule("2. Each model grants consent and publishes license terms")
            terms_ids = _publish_offers(state, console)
            console.rule("3. Two brands buy licenses and deposit funds for usage fees")
            _buy_and_deposit(state, terms_ids, console)
            console.rule("4. The brands report usages of real campaign images")
            _post_image_usages(state, console)
            _import_impressions(state, console)
            _submit_batches(state, console)
            console.rule("4b. A model takes an image down; the brand's next use of it is rejected")
            takedown = run_takedown_step(
                context, console, image=ASSETS_DIR / "C.jpg", twin_id=state.twin_ids["model"],
                license_id=state.license_ids["model"], model=MODELS[0].account, model_name=MODELS[0].name,
                brand=MAISON_LUNE.account, brand_name=MAISON_LUNE.name, client_id=CLIENT_ID,
            )
            console.rule("5. The same service over HTTP")
            run_api_session(
                context, console, twin_id=state.twin_ids["model"], terms_id=terms_ids["model"],
                license_id=state.license_ids["model"], asset_hash=state.assets["earth_apollo17.jpg"].asset_hash,
                brand_role=MAISON_LUNE.role, model_address=MODELS[0].address,
            )
            console.rule("6. Models, agency and studio withdraw their earnings")
            _withdraw_all(state, console)
            console.rule("7. Report")
            outcome = print_report(state, console)
        finally:
            context.close()
    return DemoResult(
        confirmed_usages=outcome.confirmed,
        rejected_usages=outcome.rejected,
        checks=outcome.checks + takedown.checks,
        seconds=time.monotonic() - started,
    )
