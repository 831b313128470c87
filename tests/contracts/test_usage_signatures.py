"""UsageLedger: EIP-712 usage reports signed by the license holder and submitted by a relayer."""

from __future__ import annotations

from eth_utils import keccak

from tests.builders import (
    buy_license,
    deposit,
    grant_consent,
    licensed_twin,
    publish_terms,
    register_twin,
    sign_usage_report,
    usage_report,
    usage_record,
)
from tests.harness import DAY, Harness
from twinledger.chain import ETH

PRICE = 10**12  # the builders' default price per use, in wei
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def submit(h: Harness, license_id: int, sequence: int, deadline: int, records: bytes, signature: bytes):
    """Submit a signed report from the relayer account."""
    function = h.ledger.usages.functions.registerUsagesWithSignature(license_id, sequence, deadline, records, signature)
    return h.transact(h.accounts.relayer, function)


def deposits(h: Harness) -> tuple[int, int]:
    """The brand's and the relayer's ETH deposits."""
    vault, a = h.ledger.vault.functions, h.accounts
    return vault.depositOf(a.brand.address, ETH).call(), vault.depositOf(a.relayer.address, ETH).call()


def test_signature_digest_matches_contract(harness: Harness) -> None:
    h = harness
    records = usage_record("look-01") + usage_record("look-02", quantity=5)
    deadline = h.now() + DAY

    signable = usage_report(h, 7, 3, deadline, records)

    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert digest == h.ledger.usages.functions.usageReportDigest(7, 3, deadline, records).call()
    assert signable.header == h.ledger.usages.functions.domainSeparator().call()


def test_signature_brand_deposit_pays(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    deposit(h, 10**15, brand=a.relayer)
    records = usage_record(quantity=2) + usage_record(quantity=1)
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)

    result = submit(h, licensed.license_id, 0, deadline, records, signature)

    assert deposits(h) == (10**15 - 3 * PRICE, 10**15)
    batch = h.events(result, h.ledger.usages, "UsageBatchRegistered")[0]["args"]
    assert batch["brand"] == a.brand.address
    assert batch["submitter"] == a.relayer.address
    assert batch["totalFee"] == 3 * PRICE
    assert [event["args"]["brand"] for event in h.events(result, h.ledger.usages, "UsageRegistered")] == [a.brand.address] * 2
    charged = h.events(result, h.ledger.vault, "DepositCharged")[0]["args"]
    assert charged["account"] == a.brand.address


def test_signature_replay_charges_nothing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record(quantity=4)
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)
    submit(h, licensed.license_id, 0, deadline, records, signature)
    before = deposits(h)

    result = submit(h, licensed.license_id, 0, deadline, records, signature)

    assert deposits(h) == before
    assert h.events(result, h.ledger.usages, "UsageRegistered") == []
    assert h.events(result, h.ledger.vault, "PaymentSplit") == []
    assert h.events(result, h.ledger.usages, "UsageBatchAlreadyRegistered")[0]["args"]["submitter"] == a.relayer.address


def test_signature_replay_after_next_batch_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)
    submit(h, licensed.license_id, 0, deadline, records, signature)
    h.transact(a.brand, h.ledger.usages.functions.registerUsages(licensed.license_id, 1, usage_record()))
    before = deposits(h)

    with h.reverts("UsageLedgerSequenceMismatch", expected=2, given=0):
        submit(h, licensed.license_id, 0, deadline, records, signature)
    assert deposits(h) == before


def test_signature_expired(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() - 1
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)

    with h.reverts("UsageLedgerSignatureExpired", deadline=deadline):
        submit(h, licensed.license_id, 0, deadline, records, signature)


def test_signature_altered_records(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    deadline = h.now() + DAY
    signed_records = usage_record("look", quantity=1)
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, signed_records)
    altered = usage_record("look", quantity=100)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id, holder=a.brand.address):
        submit(h, licensed.license_id, 0, deadline, altered, signature)
    assert deposits(h) == (10**15, 0)


def test_signature_altered_license(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    other_license = buy_license(h, licensed.terms_id)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=other_license, holder=a.brand.address):
        submit(h, other_license, 0, deadline, records, signature)


def test_signature_altered_sequence(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    h.transact(a.brand, h.ledger.usages.functions.registerUsages(licensed.license_id, 0, usage_record()))
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id, holder=a.brand.address):
        submit(h, licensed.license_id, 1, deadline, records, signature)


def test_signature_altered_deadline(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id):
        submit(h, licensed.license_id, 0, deadline + DAY, records, signature)


def test_signature_other_chain_id(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records, chain_id=h.client.chain_id + 1)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id, holder=a.brand.address):
        submit(h, licensed.license_id, 0, deadline, records, signature)


def test_signature_high_s_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    malleated = r + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - v])

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id, holder=a.brand.address):
        submit(h, licensed.license_id, 0, deadline, records, malleated)
    assert deposits(h) == (10**15, 0)
    submit(h, licensed.license_id, 0, deadline, records, signature)
    assert deposits(h) == (10**15 - PRICE, 0)


def test_signature_by_non_holder(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    deposit(h, 10**15, brand=a.outsider)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.outsider, licensed.license_id, 0, deadline, records)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id, holder=a.brand.address):
        submit(h, licensed.license_id, 0, deadline, records, signature)


def test_signature_wrong_length(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)

    with h.reverts("UsageLedgerInvalidSignature", licenseId=licensed.license_id):
        submit(h, licensed.license_id, 0, deadline, records, signature[:64])


def test_signature_smart_wallet_holder(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    wallet = h.deploy("TestSmartWallet", a.brand2.address)
    twin_id = register_twin(h)
    terms_id = publish_terms(h, twin_id, grant_consent(h, twin_id), upfrontFee=10**15)
    purchase = h.ledger.licenses.encode_abi("buyLicense", args=[terms_id, 10**15, PRICE, False])
    h.transact(a.brand2, wallet.functions.execute(h.ledger.licenses.address, purchase), value=10**15)
    license_id = h.ledger.licenses.functions.totalLicenses().call()
    assert h.ledger.licenses.functions.ownerOf(license_id).call() == wallet.address
    h.transact(a.brand2, vault.deposit(wallet.address, ETH, 10**15), value=10**15)
    records = usage_record(quantity=3)
    deadline = h.now() + DAY

    stranger_signature = sign_usage_report(h, a.outsider, license_id, 0, deadline, records)
    with h.reverts("UsageLedgerInvalidSignature", licenseId=license_id, holder=wallet.address):
        submit(h, license_id, 0, deadline, records, stranger_signature)
    signature = sign_usage_report(h, a.brand2, license_id, 0, deadline, records)
    result = submit(h, license_id, 0, deadline, records, signature)

    assert vault.depositOf(wallet.address, ETH).call() == 10**15 - 3 * PRICE
    assert vault.depositOf(a.brand2.address, ETH).call() == 0
    batch = h.events(result, h.ledger.usages, "UsageBatchRegistered")[0]["args"]
    assert batch["brand"] == wallet.address
    assert batch["submitter"] == a.relayer.address


def test_signature_rejected_while_paused(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record()
    deadline = h.now() + DAY
    signature = sign_usage_report(h, a.brand, licensed.license_id, 0, deadline, records)
    h.transact(a.admin, h.ledger.usages.functions.pause())

    with h.reverts("EnforcedPause"):
        submit(h, licensed.license_id, 0, deadline, records, signature)
