"""TwinRegistry: minting, payout splits, metadata, pausing and roles, on both chains."""

from __future__ import annotations

import pytest
from web3 import Web3

from tests.builders import (
    ALL_CHANNELS,
    block_time,
    buy_license,
    call,
    deposit,
    grant_consent,
    licensed_twin,
    publish_terms,
    register_twin,
    register_usages,
    terms,
    usage_record,
)
from tests.harness import Harness
from twinledger.chain import ETH

PROVENANCE = bytes.fromhex("11" * 32)


def register(h: Harness, provenance: bytes = PROVENANCE, recipients=None, shares=None):
    a = h.accounts
    recipients = recipients or [a.model.address, a.agency.address, a.studio.address]
    shares = shares or [7000, 2000, 1000]
    return h.transact(
        a.studio, h.ledger.twins.functions.registerTwin(a.model.address, provenance, "ipfs://twin/1", recipients, shares)
    )


def test_register_twin_mints_to_model(harness: Harness) -> None:
    h, a = harness, harness.accounts
    result = register(h)
    twins = h.ledger.twins.functions

    assert twins.ownerOf(1).call() == a.model.address
    assert twins.tokenURI(1).call() == "ipfs://twin/1"
    assert twins.splitOf(1).call() == [[a.model.address, a.agency.address, a.studio.address], [7000, 2000, 1000], 1]
    registered = h.events(result, h.ledger.twins, "TwinRegistered")[0]["args"]
    assert registered["twinId"] == 1
    assert registered["provenanceHash"] == PROVENANCE


def test_register_twin_requires_registrar(harness: Harness) -> None:
    h, a = harness, harness.accounts
    role = h.ledger.twins.functions.REGISTRAR_ROLE().call()
    with h.reverts("AccessControlUnauthorizedAccount", account=a.outsider.address, neededRole="0x" + role.hex()):
        h.transact(a.outsider, h.ledger.twins.functions.registerTwin(a.model.address, PROVENANCE, "", [a.model.address], [10000]))


@pytest.mark.parametrize(
    ("shares", "error", "arguments"),
    [
        ([5000, 4000], "TwinRegistrySplitSumInvalid", {"sum": 9000, "required": 10000}),
        ([10000, 0], "TwinRegistrySplitZeroShare", {"index": 1}),
        ([10000], "TwinRegistrySplitLengthMismatch", {"recipients": 2, "shares": 1}),
    ],
)
def test_register_twin_rejects_bad_split(harness: Harness, shares, error, arguments) -> None:
    h, a = harness, harness.accounts
    with h.reverts(error, **arguments):
        register(h, recipients=[a.model.address, a.agency.address], shares=shares)


FEE = 10**16
ZERO_ADDRESS = ETH
DEFAULT_ADMIN_ROLE = "0x" + "00" * 32


def numbered_address(number: int) -> str:
    """A distinct non-zero address for split tables, e.g. 0x...0001."""
    return Web3.to_checksum_address(f"0x{number:040x}")


def role_of(h: Harness, name: str) -> str:
    return "0x" + getattr(h.ledger.twins.functions, name)().call().hex()


def set_split(h: Harness, twin_id: int, recipients: list[str], shares: list[int], *, owner=None):
    owner = owner or h.accounts.model
    return h.transact(owner, h.ledger.twins.functions.setSplit(twin_id, recipients, shares))


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


def test_register_twin_records_registration(harness: Harness) -> None:
    h, a = harness, harness.accounts
    result = register(h)
    twins = h.ledger.twins.functions

    assert twins.totalTwins().call() == 1
    assert twins.twinOwner(1).call() == a.model.address
    assert twins.twinRecord(1).call() == [PROVENANCE, a.studio.address, block_time(h, result), False]
    assert twins.twinByProvenance(PROVENANCE).call() == 1
    assert twins.isTwinActive(1).call() is True
    registered = h.events(result, h.ledger.twins, "TwinRegistered")[0]["args"]
    assert registered["model"] == a.model.address
    assert registered["registrar"] == a.studio.address
    assert registered["metadataURI"] == "ipfs://twin/1"
    split = h.events(result, h.ledger.twins, "SplitChanged")
    assert [dict(e["args"]) for e in split] == [
        {
            "twinId": 1,
            "version": 1,
            "recipients": [a.model.address, a.agency.address, a.studio.address],
            "sharesBps": [7000, 2000, 1000],
        }
    ]
    minted = h.events(result, h.ledger.twins, "Transfer")[0]["args"]
    assert dict(minted) == {"from": ZERO_ADDRESS, "to": a.model.address, "tokenId": 1}


def test_register_twin_ids_start_at_one(harness: Harness) -> None:
    h = harness
    first = register_twin(h)
    second = register_twin(h)
    assert (first, second) == (1, 2)
    assert h.ledger.twins.functions.isTwinActive(0).call() is False


def test_register_twin_rejects_zero_model(harness: Harness) -> None:
    h, a = harness, harness.accounts
    function = h.ledger.twins.functions.registerTwin(ZERO_ADDRESS, PROVENANCE, "", [a.model.address], [10000])
    with h.reverts("TwinRegistryZeroModel"):
        h.transact(a.studio, function)


def test_register_twin_rejects_empty_provenance(harness: Harness) -> None:
    h, a = harness, harness.accounts
    function = h.ledger.twins.functions.registerTwin(a.model.address, bytes(32), "", [a.model.address], [10000])
    with h.reverts("TwinRegistryEmptyProvenance"):
        h.transact(a.studio, function)


def test_register_twin_rejects_duplicate_provenance(harness: Harness) -> None:
    h = harness
    register(h)
    with h.reverts("TwinRegistryDuplicateProvenance", provenanceHash="0x" + PROVENANCE.hex(), existingTwinId=1):
        register(h)


def test_register_twin_after_registrar_revoked(harness: Harness) -> None:
    h, a = harness, harness.accounts
    registrar = role_of(h, "REGISTRAR_ROLE")
    h.transact(a.admin, h.ledger.twins.functions.revokeRole(registrar, a.studio.address))
    with h.reverts("AccessControlUnauthorizedAccount", account=a.studio.address, neededRole=registrar):
        register(h)


# ---------------------------------------------------------------------------------------------
# Unknown twins and ownership checks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("twin_id", [0, 2, 2**256 - 1])
def test_views_reject_unknown_twin(harness: Harness, twin_id: int) -> None:
    h = harness
    register(h)
    twins = h.ledger.twins.functions
    for function in (twins.twinOwner, twins.splitOf, twins.twinRecord, twins.tokenURI):
        with h.reverts("TwinRegistryUnknownTwin", twinId=twin_id):
            call(function(twin_id))
    with h.reverts("ERC721NonexistentToken", tokenId=twin_id):
        call(twins.ownerOf(twin_id))


@pytest.mark.parametrize("twin_id", [0, 99])
def test_owner_functions_reject_unknown_twin(harness: Harness, twin_id: int) -> None:
    h, a = harness, harness.accounts
    twins = h.ledger.twins.functions
    with h.reverts("TwinRegistryUnknownTwin", twinId=twin_id):
        h.transact(a.model, twins.setSplit(twin_id, [a.model.address], [10000]))
    with h.reverts("TwinRegistryUnknownTwin", twinId=twin_id):
        h.transact(a.model, twins.setMetadataURI(twin_id, "ipfs://other"))
    with h.reverts("TwinRegistryUnknownTwin", twinId=twin_id):
        h.transact(a.model, twins.setTwinPaused(twin_id, True))


def test_owner_functions_reject_others(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    twins = h.ledger.twins.functions
    for account in (a.agency, a.studio, a.admin):
        with h.reverts("TwinRegistryNotTwinOwner", twinId=twin_id, caller=account.address, owner=a.model.address):
            h.transact(account, twins.setSplit(twin_id, [account.address], [10000]))
        with h.reverts("TwinRegistryNotTwinOwner", twinId=twin_id, caller=account.address, owner=a.model.address):
            h.transact(account, twins.setMetadataURI(twin_id, "ipfs://other"))
        with h.reverts("TwinRegistryNotTwinOwner", twinId=twin_id, caller=account.address, owner=a.model.address):
            h.transact(account, twins.setTwinPaused(twin_id, True))


def test_approved_operator_is_not_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    h.transact(a.model, h.ledger.twins.functions.setApprovalForAll(a.agency.address, True))
    with h.reverts("TwinRegistryNotTwinOwner", twinId=twin_id, caller=a.agency.address, owner=a.model.address):
        set_split(h, twin_id, [a.agency.address], [10000], owner=a.agency)


# ---------------------------------------------------------------------------------------------
# Payout splits
# ---------------------------------------------------------------------------------------------


def split_case(h: Harness, case: str) -> tuple[list[str], list[int], str, dict]:
    """Recipients, shares, expected error and its arguments for one named split rule."""
    a = h.accounts
    model, agency, studio = a.model.address, a.agency.address, a.studio.address
    sixteen = [numbered_address(i + 1) for i in range(16)]
    cases = {
        "empty": ([], [], "TwinRegistrySplitEmpty", {}),
        "seventeen": (
            [*sixteen, numbered_address(17)], [588] * 16 + [592], "TwinRegistrySplitTooLarge", {"count": 17, "max": 16}
        ),
        "more_shares": ([model, agency], [5000, 4000, 1000], "TwinRegistrySplitLengthMismatch", {"recipients": 2, "shares": 3}),
        "fewer_shares": ([model, agency, studio], [5000, 5000], "TwinRegistrySplitLengthMismatch", {"recipients": 3, "shares": 2}),
        "zero_first": ([ZERO_ADDRESS, agency], [5000, 5000], "TwinRegistrySplitZeroRecipient", {"index": 0}),
        "zero_last": ([model, agency, ZERO_ADDRESS], [5000, 4000, 1000], "TwinRegistrySplitZeroRecipient", {"index": 2}),
        "duplicate": (
            [model, agency, model], [5000, 4000, 1000], "TwinRegistrySplitDuplicateRecipient",
            {"recipient": model, "firstIndex": 0, "secondIndex": 2},
        ),
        "duplicate_adjacent": (
            [model, agency, agency], [5000, 4000, 1000], "TwinRegistrySplitDuplicateRecipient",
            {"recipient": agency, "firstIndex": 1, "secondIndex": 2},
        ),
        "zero_share": ([model, agency, studio], [6000, 4000, 0], "TwinRegistrySplitZeroShare", {"index": 2, "recipient": studio}),
        "sum_below": ([model, agency], [5000, 4999], "TwinRegistrySplitSumInvalid", {"sum": 9999, "required": 10000}),
        "sum_above": ([model, agency], [5000, 5001], "TwinRegistrySplitSumInvalid", {"sum": 10001, "required": 10000}),
        "sum_largest": ([model, agency], [65535, 65535], "TwinRegistrySplitSumInvalid", {"sum": 131070, "required": 10000}),
        "sixteen_wrong_sum": (sixteen, [625] * 15 + [624], "TwinRegistrySplitSumInvalid", {"sum": 9999, "required": 10000}),
    }
    return cases[case]


SPLIT_CASES = [
    "empty", "seventeen", "more_shares", "fewer_shares", "zero_first", "zero_last", "duplicate",
    "duplicate_adjacent", "zero_share", "sum_below", "sum_above", "sum_largest", "sixteen_wrong_sum",
]


@pytest.mark.parametrize("case", SPLIT_CASES)
def test_set_split_rejects_rule_break(harness: Harness, case: str) -> None:
    h = harness
    twin_id = register_twin(h)
    recipients, shares, error, arguments = split_case(h, case)
    with h.reverts(error, **arguments):
        set_split(h, twin_id, recipients, shares)
    assert h.ledger.twins.functions.splitOf(twin_id).call()[2] == 1


@pytest.mark.parametrize("case", SPLIT_CASES)
def test_register_twin_rejects_rule_break(harness: Harness, case: str) -> None:
    h, a = harness, harness.accounts
    recipients, shares, error, arguments = split_case(h, case)
    function = h.ledger.twins.functions.registerTwin(a.model.address, PROVENANCE, "", recipients, shares)
    with h.reverts(error, **arguments):
        h.transact(a.studio, function)
    assert h.ledger.twins.functions.totalTwins().call() == 0


def test_set_split_accepts_sixteen_recipients(harness: Harness) -> None:
    h = harness
    twin_id = register_twin(h)
    recipients = [numbered_address(i + 1) for i in range(16)]
    set_split(h, twin_id, recipients, [625] * 16)
    assert h.ledger.twins.functions.splitOf(twin_id).call() == [recipients, [625] * 16, 2]


def test_set_split_accepts_single_recipient(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    set_split(h, twin_id, [a.model.address], [10000])
    assert h.ledger.twins.functions.splitOf(twin_id).call() == [[a.model.address], [10000], 2]


def test_set_split_emits_whole_split(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    set_split(h, twin_id, [a.model.address, a.agency.address], [8000, 2000])
    result = set_split(h, twin_id, [a.agency.address, a.model.address, a.studio.address], [1500, 8000, 500])

    changed = h.events(result, h.ledger.twins, "SplitChanged")
    assert [dict(e["args"]) for e in changed] == [
        {
            "twinId": twin_id,
            "version": 3,
            "recipients": [a.agency.address, a.model.address, a.studio.address],
            "sharesBps": [1500, 8000, 500],
        }
    ]
    assert h.ledger.twins.functions.splitOf(twin_id).call() == [
        [a.agency.address, a.model.address, a.studio.address], [1500, 8000, 500], 3
    ]


def test_set_split_applies_to_later_payments(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    terms_id = publish_terms(h, twin_id, grant_consent(h, twin_id))
    buy_license(h, terms_id)
    set_split(h, twin_id, [a.model.address, a.agency.address], [5000, 5000])
    h.transact(
        a.brand2, h.ledger.licenses.functions.buyLicense(terms_id, FEE, 10**12, False), value=FEE
    )

    vault = h.ledger.vault.functions
    assert vault.balanceOf(a.model.address, ETH).call() == 7 * FEE // 10 + FEE // 2
    assert vault.balanceOf(a.agency.address, ETH).call() == 2 * FEE // 10 + FEE // 2
    assert vault.balanceOf(a.studio.address, ETH).call() == FEE // 10
    assert vault.splitAccount(twin_id, ETH).call() == [2, FEE, [FEE // 2, FEE // 2]]


def test_set_split_payment_carries_version(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**12)
    set_split(h, licensed.twin_id, [a.agency.address], [10000])
    result = register_usages(h, licensed.license_id, usage_record())

    split = h.events(result, h.ledger.vault, "PaymentSplit")[0]["args"]
    assert split["splitVersion"] == 2
    credited = [(e["args"]["recipient"], e["args"]["amount"]) for e in h.events(result, h.ledger.vault, "Credited")]
    assert credited == [(a.agency.address, 10**12)]


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------


def test_set_metadata_uri(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    result = h.transact(a.model, h.ledger.twins.functions.setMetadataURI(twin_id, "ipfs://twin/v2"))

    assert h.ledger.twins.functions.tokenURI(twin_id).call() == "ipfs://twin/v2"
    changed = h.events(result, h.ledger.twins, "MetadataURIChanged")
    assert [dict(e["args"]) for e in changed] == [{"twinId": twin_id, "metadataURI": "ipfs://twin/v2"}]
    updated = h.events(result, h.ledger.twins, "MetadataUpdate")
    assert [dict(e["args"]) for e in updated] == [{"_tokenId": twin_id}]


def test_set_metadata_uri_to_empty(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    h.transact(a.model, h.ledger.twins.functions.setMetadataURI(twin_id, ""))
    assert h.ledger.twins.functions.tokenURI(twin_id).call() == ""


# ---------------------------------------------------------------------------------------------
# Pausing
# ---------------------------------------------------------------------------------------------


def test_pause_twin_stops_sales_and_usages(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10 * 10**12)
    result = h.transact(a.model, h.ledger.twins.functions.setTwinPaused(licensed.twin_id, True))

    changed = h.events(result, h.ledger.twins, "TwinPauseChanged")
    assert [dict(e["args"]) for e in changed] == [{"twinId": licensed.twin_id, "paused": True, "by": a.model.address}]
    assert h.ledger.twins.functions.isTwinActive(licensed.twin_id).call() is False
    assert h.ledger.twins.functions.twinRecord(licensed.twin_id).call()[3] is True
    with h.reverts("LicenseManagerTwinNotActive", twinId=licensed.twin_id):
        h.transact(a.brand2, h.ledger.licenses.functions.buyLicense(licensed.terms_id, FEE, 10**12, False), value=FEE)
    with h.reverts("UsageLedgerTwinNotActive", twinId=licensed.twin_id):
        register_usages(h, licensed.license_id, usage_record())


def test_pause_twin_spares_other_twins(harness: Harness) -> None:
    h, a = harness, harness.accounts
    paused_twin = register_twin(h)
    licensed = licensed_twin(h)
    deposit(h, 10**12)
    h.transact(a.model, h.ledger.twins.functions.setTwinPaused(paused_twin, True))

    assert h.ledger.twins.functions.isTwinActive(licensed.twin_id).call() is True
    register_usages(h, licensed.license_id, usage_record())


def test_resume_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**12)
    twins = h.ledger.twins.functions
    h.transact(a.model, twins.setTwinPaused(licensed.twin_id, True))
    result = h.transact(a.model, twins.setTwinPaused(licensed.twin_id, False))

    assert h.events(result, h.ledger.twins, "TwinPauseChanged")[0]["args"]["paused"] is False
    assert twins.isTwinActive(licensed.twin_id).call() is True
    register_usages(h, licensed.license_id, usage_record())


def test_global_pause_stops_everything(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**12)
    result = h.transact(a.admin, h.ledger.twins.functions.pause())

    assert [dict(e["args"]) for e in h.events(result, h.ledger.twins, "Paused")] == [{"account": a.admin.address}]
    assert h.ledger.twins.functions.paused().call() is True
    assert h.ledger.twins.functions.isTwinActive(licensed.twin_id).call() is False
    with h.reverts("EnforcedPause"):
        register(h)
    with h.reverts("LicenseManagerTwinNotActive", twinId=licensed.twin_id):
        h.transact(a.brand2, h.ledger.licenses.functions.buyLicense(licensed.terms_id, FEE, 10**12, False), value=FEE)
    with h.reverts("LicenseManagerTwinNotActive", twinId=licensed.twin_id):
        h.transact(a.model, h.ledger.licenses.functions.publishTerms(terms(h, licensed.twin_id, licensed.consent_id)))
    with h.reverts("UsageLedgerTwinNotActive", twinId=licensed.twin_id):
        register_usages(h, licensed.license_id, usage_record())


def test_global_unpause_restores(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**12)
    h.transact(a.admin, h.ledger.twins.functions.pause())
    result = h.transact(a.admin, h.ledger.twins.functions.unpause())

    assert [dict(e["args"]) for e in h.events(result, h.ledger.twins, "Unpaused")] == [{"account": a.admin.address}]
    assert h.ledger.twins.functions.isTwinActive(licensed.twin_id).call() is True
    register_usages(h, licensed.license_id, usage_record())
    register(h)


def test_global_pause_requires_pauser_role(harness: Harness) -> None:
    h, a = harness, harness.accounts
    pauser = role_of(h, "PAUSER_ROLE")
    with h.reverts("AccessControlUnauthorizedAccount", account=a.model.address, neededRole=pauser):
        h.transact(a.model, h.ledger.twins.functions.pause())
    h.transact(a.admin, h.ledger.twins.functions.pause())
    with h.reverts("AccessControlUnauthorizedAccount", account=a.studio.address, neededRole=pauser):
        h.transact(a.studio, h.ledger.twins.functions.unpause())


def test_global_pause_by_granted_pauser(harness: Harness) -> None:
    h, a = harness, harness.accounts
    pauser = role_of(h, "PAUSER_ROLE")
    h.transact(a.admin, h.ledger.twins.functions.grantRole(pauser, a.auditor.address))
    h.transact(a.auditor, h.ledger.twins.functions.pause())
    assert h.ledger.twins.functions.paused().call() is True


def test_global_pause_state_errors(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("ExpectedPause"):
        h.transact(a.admin, h.ledger.twins.functions.unpause())
    h.transact(a.admin, h.ledger.twins.functions.pause())
    with h.reverts("EnforcedPause"):
        h.transact(a.admin, h.ledger.twins.functions.pause())


# ---------------------------------------------------------------------------------------------
# Roles and interfaces
# ---------------------------------------------------------------------------------------------


def test_grant_role_requires_admin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    registrar = role_of(h, "REGISTRAR_ROLE")
    with h.reverts("AccessControlUnauthorizedAccount", account=a.studio.address, neededRole=DEFAULT_ADMIN_ROLE):
        h.transact(a.studio, h.ledger.twins.functions.grantRole(registrar, a.outsider.address))


def test_renounce_role_for_other_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    registrar = role_of(h, "REGISTRAR_ROLE")
    with h.reverts("AccessControlBadConfirmation"):
        h.transact(a.admin, h.ledger.twins.functions.renounceRole(registrar, a.studio.address))


def test_initial_roles(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twins = h.ledger.twins.functions
    assert twins.hasRole(DEFAULT_ADMIN_ROLE, a.admin.address).call() is True
    assert twins.hasRole(role_of(h, "PAUSER_ROLE"), a.admin.address).call() is True
    assert twins.hasRole(role_of(h, "REGISTRAR_ROLE"), a.studio.address).call() is True
    assert twins.hasRole(role_of(h, "REGISTRAR_ROLE"), a.admin.address).call() is False


@pytest.mark.parametrize(
    ("interface_id", "supported"),
    [
        ("01ffc9a7", True),  # ERC-165
        ("80ac58cd", True),  # ERC-721
        ("5b5e139f", True),  # ERC-721 metadata
        ("49064906", True),  # ERC-4906
        ("7965db0b", True),  # AccessControl
        ("2a55205a", False),  # ERC-2981: twins carry no resale royalty
        ("ffffffff", False),
    ],
)
def test_supports_interface(harness: Harness, interface_id: str, supported: bool) -> None:
    assert harness.ledger.twins.functions.supportsInterface(bytes.fromhex(interface_id)).call() is supported


# ---------------------------------------------------------------------------------------------
# Transfer of the twin token
# ---------------------------------------------------------------------------------------------


def test_transfer_moves_owner_rights(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    twins = h.ledger.twins.functions
    h.transact(a.model, twins.transferFrom(a.model.address, a.model2.address, twin_id))

    assert twins.ownerOf(twin_id).call() == a.model2.address
    assert twins.twinOwner(twin_id).call() == a.model2.address
    with h.reverts("TwinRegistryNotTwinOwner", twinId=twin_id, caller=a.model.address, owner=a.model2.address):
        set_split(h, twin_id, [a.model.address], [10000])
    with h.reverts("TwinRegistryNotTwinOwner", twinId=twin_id, caller=a.model.address, owner=a.model2.address):
        h.transact(a.model, twins.setTwinPaused(twin_id, True))
    set_split(h, twin_id, [a.model2.address], [10000], owner=a.model2)
    h.transact(a.model2, twins.setMetadataURI(twin_id, "ipfs://twin/new-owner"))
    assert twins.splitOf(twin_id).call() == [[a.model2.address], [10000], 2]
    assert twins.tokenURI(twin_id).call() == "ipfs://twin/new-owner"


def test_transfer_moves_licensing_rights(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    h.transact(a.model, h.ledger.twins.functions.transferFrom(a.model.address, a.model2.address, twin_id))

    with h.reverts("ConsentRegistryNotTwinOwner", twinId=twin_id, account=a.model.address, owner=a.model2.address):
        grant_consent(h, twin_id, owner=a.model)
    consent_id = grant_consent(h, twin_id, owner=a.model2)
    with h.reverts("LicenseManagerNotTwinOwner", twinId=twin_id, caller=a.model.address, owner=a.model2.address):
        publish_terms(h, twin_id, consent_id, owner=a.model)
    terms_id = publish_terms(h, twin_id, consent_id, owner=a.model2, mediaMask=ALL_CHANNELS)
    assert h.ledger.licenses.functions.termsOf(terms_id).call()[2] == a.model2.address


def test_transfer_keeps_split_until_changed(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    h.transact(a.model, h.ledger.twins.functions.transferFrom(a.model.address, a.model2.address, twin_id))
    assert h.ledger.twins.functions.splitOf(twin_id).call() == [
        [a.model.address, a.agency.address, a.studio.address], [7000, 2000, 1000], 1
    ]
