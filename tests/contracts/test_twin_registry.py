"""TwinRegistry: minting, payout splits, metadata, pausing and roles, on both chains."""

from __future__ import annotations

import pytest

from tests.harness import Harness

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
