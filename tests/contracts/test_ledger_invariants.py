"""Ledger invariants under random sequences of deposits, purchases, usages, retries and withdrawals.

A Hypothesis state machine drives the deployed contracts on Anvil and keeps ghost totals: what
each brand has deposited and each twin has been charged, per currency. After every step it checks
conservation in the vault, every deposit against the ghost, and each recipient's credits against
its exact share of everything charged for its twins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st
import requests
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.builders import grant_consent, publish_terms, register_twin, usage_record
from tests.harness import Harness
from twinledger.chain import ETH

BPS = 10_000
BRAND_TOKEN_FLOAT = 10**12  # units of the 2-decimal token minted to, and approved by, each brand at set-up


class BatchReader:
    """Reads many view functions in one JSON-RPC batch request to the node.

    A web3.py 8.0 contract call costs three round trips because it checks the chain id twice. The
    state machine reads about thirty values after every step, so one batch keeps those checks cheap.
    """

    def __init__(self, h: Harness) -> None:
        self.url = h.client.rpc_url
        self.codec = h.w3.codec
        self.session = requests.Session()
        self.reads: list[tuple[str, list[Any], Callable[[str], Any]]] = []

    def view(self, contract: Any, name: str, *args: Any) -> int:
        """Queue ``contract.name(*args)`` and return the index of its result in :meth:`run`."""
        outputs = [output["type"] for output in contract.get_function_by_name(name)(*args).abi["outputs"]]
        call = {"to": contract.address, "data": contract.encode_abi(name, args=list(args))}

        def decode(raw: str) -> Any:
            values = self.codec.decode(outputs, bytes.fromhex(raw[2:]))
            return values[0] if len(values) == 1 else list(values)

        self.reads.append(("eth_call", [call, "latest"], decode))
        return len(self.reads) - 1

    def eth_balance(self, address: str) -> int:
        """Queue the ETH balance of ``address`` and return the index of its result in :meth:`run`."""
        self.reads.append(("eth_getBalance", [address, "latest"], lambda raw: int(raw, 16)))
        return len(self.reads) - 1

    def run(self) -> list[Any]:
        """Send every queued read in one request and return the decoded results in queue order."""
        payload = [{"jsonrpc": "2.0", "id": index, "method": method, "params": params} for index, (method, params, _) in enumerate(self.reads)]
        responses = sorted(self.session.post(self.url, json=payload, timeout=30).json(), key=lambda response: response["id"])
        for response in responses:
            assert "result" in response, response
        results = [decode(response["result"]) for (_, _, decode), response in zip(self.reads, responses)]
        self.reads = []
        return results


@dataclass(frozen=True)
class TwinSetup:
    twin_id: int
    recipients: tuple[str, ...]
    shares: tuple[int, ...]
    terms_by_currency: dict[str, int]


@dataclass
class GhostLicense:
    license_id: int
    twin: TwinSetup
    currency: str
    price_per_use: int
    holder: Any
    next_sequence: int = 0
    last_records: bytes | None = None


@dataclass(frozen=True)
class World:
    """The twins and their terms, set up once before the state machine runs."""

    twins: tuple[TwinSetup, ...]
    currencies: tuple[str, ...]
    brands: tuple[object, ...]
    terms_prices: dict[int, tuple[int, int]]

    @property
    def recipients(self) -> list[str]:
        return sorted({recipient for twin in self.twins for recipient in twin.recipients})


def build_world(h: Harness) -> World:
    """Three twins with different splits, each with terms in ETH and in the 2-decimal token.

    Each brand also receives a float of the token and approves the vault for all of it, so that a
    deposit or purchase in the token is one transaction.
    """
    a = h.accounts
    cents = h.cents.address
    specs = [
        (a.model, [a.model.address, a.agency.address, a.studio.address], [7000, 2000, 1000], {ETH: (101, 7), cents: (5, 1)}),
        (a.model2, [a.model2.address, a.agency.address], [3333, 6667], {ETH: (0, 3), cents: (3, 2)}),
        (a.model, [a.auditor.address, a.outsider.address, a.studio.address], [3333, 3333, 3334], {ETH: (1000, 1), cents: (1, 3)}),
    ]
    twins = []
    prices: dict[int, tuple[int, int]] = {}
    for owner, recipients, shares, offers in specs:
        twin_id = register_twin(h, model=owner, recipients=recipients, shares=shares)
        consent_id = grant_consent(h, twin_id, owner=owner)
        terms_by_currency = {}
        for currency, (upfront, per_use) in offers.items():
            terms_id = publish_terms(h, twin_id, consent_id, owner=owner, currency=currency, upfrontFee=upfront, pricePerUse=per_use)
            terms_by_currency[currency] = terms_id
            prices[terms_id] = (upfront, per_use)
        twins.append(TwinSetup(twin_id, tuple(recipients), tuple(shares), terms_by_currency))
    for brand in (a.brand, a.brand2):
        h.transact(brand, h.cents.functions.mint(brand.address, BRAND_TOKEN_FLOAT))
        h.transact(brand, h.cents.functions.approve(h.ledger.vault.address, BRAND_TOKEN_FLOAT))
    return World(tuple(twins), (ETH, cents), (a.brand, a.brand2), prices)


class LedgerMachine(RuleBasedStateMachine):
    """Random money traffic through the ledger, with ghost totals checked after every step."""

    def __init__(self, h: Harness, world: World) -> None:
        super().__init__()
        self.h = h
        self.world = world
        self.vault = h.ledger.vault.functions
        self.usages = h.ledger.usages.functions
        self.reader = BatchReader(h)
        self.snapshot = h.client.snapshot()
        h.sender.nonces.reset()
        self.deposits = {(brand.address, currency): 0 for brand in world.brands for currency in world.currencies}
        self.gross = {(twin.twin_id, currency): 0 for twin in world.twins for currency in world.currencies}
        self.withdrawn = {(recipient, currency): 0 for recipient in world.recipients for currency in world.currencies}
        self.licenses: list[GhostLicense] = []

    def teardown(self) -> None:
        self.h.client.revert(self.snapshot)
        self.h.sender.nonces.reset()

    # -----------------------------------------------------------------------------------------
    # Steps
    # -----------------------------------------------------------------------------------------

    @initialize(amounts=st.lists(st.integers(0, 3_000), min_size=4, max_size=4))
    def open_accounts(self, amounts: list[int]) -> None:
        """Buy a license of every twin in every currency, alternating brands, and fund the deposits."""
        brands, currencies = self.world.brands, self.world.currencies
        slots = [(twin, currency) for twin in range(len(self.world.twins)) for currency in range(len(currencies))]
        for index, (twin, currency) in enumerate(slots):
            self.buy(index % len(brands), twin, currency, from_deposit=False)
        for index, amount in enumerate(amounts):
            if amount:
                self.deposit(index % len(brands), index // len(brands), amount)

    @rule(brand=st.integers(0, 1), currency=st.integers(0, 1), amount=st.integers(1, 3_000))
    def deposit(self, brand: int, currency: int, amount: int) -> None:
        account, token = self.world.brands[brand], self.world.currencies[currency]
        value = amount if token == ETH else 0
        self.h.transact(account, self.vault.deposit(account.address, token, amount), value=value)
        self.deposits[(account.address, token)] += amount

    @rule(brand=st.integers(0, 1), currency=st.integers(0, 1), fraction=st.sampled_from([0.25, 0.5, 1.0]))
    def withdraw_deposit(self, brand: int, currency: int, fraction: float) -> None:
        account, token = self.world.brands[brand], self.world.currencies[currency]
        amount = int(self.deposits[(account.address, token)] * fraction)
        if amount == 0:
            return
        self.h.transact(account, self.h.ledger.vault.functions.withdrawDeposit(token, amount, account.address))
        self.deposits[(account.address, token)] -= amount

    @rule(brand=st.integers(0, 1), twin=st.integers(0, 2), currency=st.integers(0, 1), from_deposit=st.booleans())
    def buy(self, brand: int, twin: int, currency: int, from_deposit: bool) -> None:
        h = self.h
        account, token, setup = self.world.brands[brand], self.world.currencies[currency], self.world.twins[twin]
        terms_id = setup.terms_by_currency[token]
        upfront, per_use = self.world.terms_prices[terms_id]
        available = self.deposits[(account.address, token)]
        purchase = h.ledger.licenses.functions.buyLicense(terms_id, upfront, per_use, from_deposit)

        if from_deposit and available < upfront:
            with h.reverts("PaymentVaultInsufficientDeposit", available=available, required=upfront):
                h.transact(account, purchase)
            return
        value = upfront if token == ETH and not from_deposit else 0
        result = h.transact(account, purchase, value=value)

        license_id = h.events(result, h.ledger.licenses, "LicensePurchased")[0]["args"]["licenseId"]
        self.licenses.append(GhostLicense(license_id, setup, token, per_use, account))
        self.gross[(setup.twin_id, token)] += upfront
        if from_deposit:
            self.deposits[(account.address, token)] -= upfront

    @precondition(lambda self: self.licenses)
    @rule(pick=st.integers(0, 63), quantity=st.integers(1, 5))
    def register_usage(self, pick: int, quantity: int) -> None:
        self.register_batch(pick, [quantity])

    @precondition(lambda self: self.licenses)
    @rule(pick=st.integers(0, 63), quantities=st.lists(st.integers(1, 5), min_size=2, max_size=6))
    def register_batch(self, pick: int, quantities: list[int]) -> None:
        h = self.h
        license = self.licenses[pick % len(self.licenses)]
        records = b"".join(usage_record(f"asset-{i}", quantity=q) for i, q in enumerate(quantities))
        fee = sum(quantities) * license.price_per_use
        available = self.deposits[(license.holder.address, license.currency)]
        registration = self.usages.registerUsages(license.license_id, license.next_sequence, records)

        if available < fee:
            with h.reverts("PaymentVaultInsufficientDeposit", available=available, required=fee):
                h.transact(license.holder, registration)
            return
        h.transact(license.holder, registration)
        license.next_sequence += 1
        license.last_records = records
        self.deposits[(license.holder.address, license.currency)] -= fee
        self.gross[(license.twin.twin_id, license.currency)] += fee

    @precondition(lambda self: any(license.last_records for license in self.licenses))
    @rule(pick=st.integers(0, 63))
    def retry_last_batch(self, pick: int) -> None:
        h = self.h
        registered = [license for license in self.licenses if license.last_records]
        license = registered[pick % len(registered)]
        retry = self.usages.registerUsages(license.license_id, license.next_sequence - 1, license.last_records)

        result = h.transact(license.holder, retry)

        # The ghost totals stay as they are, so the invariants check that nothing was charged.
        assert len(h.events(result, h.ledger.usages, "UsageBatchAlreadyRegistered")) == 1
        assert h.events(result, h.ledger.usages, "UsageRegistered") == []
        assert h.events(result, h.ledger.vault, "DepositCharged") == []
        assert h.events(result, h.ledger.vault, "PaymentSplit") == []

    @rule(recipient=st.integers(0, 31), currency=st.integers(0, 1), fraction=st.sampled_from([0.5, 1.0]))
    def withdraw(self, recipient: int, currency: int, fraction: float) -> None:
        address = self.world.recipients[recipient % len(self.world.recipients)]
        token = self.world.currencies[currency]
        self.reader.view(self.h.ledger.vault, "balanceOf", address, token)
        amount = int(self.reader.run()[0] * fraction)
        if amount == 0:
            return
        account = next(account for account in vars(self.h.accounts).values() if account.address == address)
        self.h.transact(account, self.h.ledger.vault.functions.withdraw(token, amount, address))
        self.withdrawn[(address, token)] += amount

    # -----------------------------------------------------------------------------------------
    # Invariants
    # -----------------------------------------------------------------------------------------

    @invariant()
    def ledger_matches_ghost(self) -> None:
        vault, world = self.h.ledger.vault, self.world
        reads: dict[Any, int] = {}
        for currency in world.currencies:
            if currency == ETH:
                reads["vault balance", currency] = self.reader.eth_balance(vault.address)
            else:
                reads["vault balance", currency] = self.reader.view(self.h.cents, "balanceOf", vault.address)
            reads["deposits", currency] = self.reader.view(vault, "totalDeposits", currency)
            reads["credits", currency] = self.reader.view(vault, "totalCredits", currency)
            for brand in world.brands:
                reads["deposit", brand.address, currency] = self.reader.view(vault, "depositOf", brand.address, currency)
            for recipient in world.recipients:
                reads["balance", recipient, currency] = self.reader.view(vault, "balanceOf", recipient, currency)
            for twin in world.twins:
                reads["split", twin.twin_id, currency] = self.reader.view(vault, "splitAccount", twin.twin_id, currency)
        results = self.reader.run()
        value = {key: results[index] for key, index in reads.items()}

        for currency in world.currencies:
            self.check_conservation(currency, value)
            for brand in world.brands:
                assert value["deposit", brand.address, currency] == self.deposits[(brand.address, currency)]
            for twin in world.twins:
                self.check_split_account(twin, currency, value["split", twin.twin_id, currency])
            for recipient in world.recipients:
                self.check_recipient_share(recipient, currency, value["balance", recipient, currency])

    def check_conservation(self, currency: str, value: dict[Any, Any]) -> None:
        # Only brands deposit and only split recipients are credited in this machine, so these
        # accounts own every deposit and every credit in the vault.
        owed = sum(value["deposit", brand.address, currency] for brand in self.world.brands)
        owed += sum(value["balance", recipient, currency] for recipient in self.world.recipients)
        vault_balance = value["vault balance", currency]
        assert vault_balance == value["deposits", currency] + value["credits", currency], currency
        assert vault_balance == owed, currency

    def check_split_account(self, twin: TwinSetup, currency: str, split: list[Any]) -> None:
        gross = self.gross[(twin.twin_id, currency)]
        _, charged, credited = split
        assert charged == gross, (twin.twin_id, currency)
        assert sum(credited) == gross, (twin.twin_id, currency)
        for credit, share in zip(credited, twin.shares):
            assert abs(credit * BPS - gross * share) < BPS, (twin.twin_id, currency, credited)

    def check_recipient_share(self, recipient: str, currency: str, balance: int) -> None:
        memberships = [twin for twin in self.world.twins if recipient in twin.recipients]
        earned = balance + self.withdrawn[(recipient, currency)]
        exact_scaled = sum(
            self.gross[(twin.twin_id, currency)] * twin.shares[twin.recipients.index(recipient)] for twin in memberships
        )
        # Within one unit per twin, since each twin's split rounds on its own running total.
        assert abs(earned * BPS - exact_scaled) < BPS * len(memberships), (recipient, currency, earned)


def test_ledger_invariants_random_traffic(anvil_only: Harness) -> None:
    h = anvil_only
    world = build_world(h)

    run_state_machine_as_test(
        lambda: LedgerMachine(h, world),
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
