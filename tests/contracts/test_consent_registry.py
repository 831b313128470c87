"""ConsentRegistry: direct and EIP-712 signed grants and revocations, signature attacks, grant
validation, and how a revocation stops sales and usages, on both chains."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import keccak

from tests.builders import (
    AI_USE,
    FRANCE,
    block_time,
    buy_license,
    consent_grant,
    deposit,
    grant_consent,
    publish_terms,
    register_twin,
    register_usages,
    set_next_block_time,
    terms,
    territory_bitmap,
    usage_record,
)
from tests.harness import DAY, Harness

# Order of the secp256k1 group: an ECDSA signature (r, s) is also valid as (r, n - s).
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
MAX_NOTICE_PERIOD = 365 * DAY

CONSENT_GRANT_TYPES = {
    "ConsentGrant": [
        {"name": "twinId", "type": "uint256"},
        {"name": "mediaMask", "type": "uint32"},
        {"name": "territories", "type": "uint256[4]"},
        {"name": "aiUseMask", "type": "uint8"},
        {"name": "purpose", "type": "string"},
        {"name": "remuneration", "type": "string"},
        {"name": "validFrom", "type": "uint64"},
        {"name": "validUntil", "type": "uint64"},
        {"name": "noticePeriod", "type": "uint64"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint64"},
    ]
}
CONSENT_REVOCATION_TYPES = {
    "ConsentRevocation": [
        {"name": "consentId", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint64"},
    ]
}


def consent_domain(h: Harness, *, chain_id: int | None = None, verifying_contract: str | None = None) -> dict:
    return {
        "name": "TwinLedger Consent",
        "version": "1",
        "chainId": h.client.chain_id if chain_id is None else chain_id,
        "verifyingContract": verifying_contract or h.ledger.consents.address,
    }


def grant_message(h: Harness, grant: dict, **domain_overrides) -> SignableMessage:
    return encode_typed_data(consent_domain(h, **domain_overrides), CONSENT_GRANT_TYPES, grant)


def revocation_message(h: Harness, consent_id: int, nonce: int, deadline: int, **domain_overrides) -> SignableMessage:
    message = {"consentId": consent_id, "nonce": nonce, "deadline": deadline}
    return encode_typed_data(consent_domain(h, **domain_overrides), CONSENT_REVOCATION_TYPES, message)


def digest_of(message: SignableMessage) -> bytes:
    """The EIP-712 digest: keccak256(0x19 0x01 domainSeparator structHash)."""
    return keccak(b"\x19" + message.version + message.header + message.body)


def sign(signer, message: SignableMessage) -> bytes:
    return bytes(signer.sign_message(message).signature)


def high_s(signature: bytes) -> bytes:
    """The other valid form of an ECDSA signature: s replaced by n - s and the parity of v flipped."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def nonce_of(h: Harness, account: str) -> int:
    return h.ledger.consents.functions.nonces(account).call()


def submit_grant(h: Harness, grant: dict, signature: bytes, *, relayer=None):
    relayer = relayer or h.accounts.relayer
    return h.transact(relayer, h.ledger.consents.functions.grantConsentWithSignature(grant, signature))


def submit_revocation(h: Harness, consent_id: int, nonce: int, deadline: int, signature: bytes, *, relayer=None):
    relayer = relayer or h.accounts.relayer
    function = h.ledger.consents.functions.revokeConsentWithSignature(consent_id, nonce, deadline, signature)
    return h.transact(relayer, function)


# ---------------------------------------------------------------------------------------------
# Direct grant and revocation
# ---------------------------------------------------------------------------------------------


def test_grant_consent_direct(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id, nonce=5, deadline=0)
    result = h.transact(a.model, h.ledger.consents.functions.grantConsent(grant))

    consent = h.ledger.consents.functions.consentOf(1).call()
    struct_hash = grant_message(h, grant).body
    assert h.ledger.consents.functions.totalConsents().call() == 1
    assert consent == (
        twin_id, a.model.address, grant["mediaMask"], grant["aiUseMask"], grant["validFrom"], grant["validUntil"],
        grant["noticePeriod"], 0, struct_hash, grant["territories"],
    )
    assert nonce_of(h, a.model.address) == 0
    granted = h.events(result, h.ledger.consents, "ConsentGranted")[0]["args"]
    assert granted["consentId"] == 1
    assert granted["twinId"] == twin_id
    assert granted["grantor"] == a.model.address
    assert granted["grantHash"] == struct_hash
    assert dict(granted["grant"]) == grant


def test_grant_consent_requires_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    with h.reverts("ConsentRegistryNotTwinOwner", twinId=twin_id, account=a.agency.address, owner=a.model.address):
        h.transact(a.agency, h.ledger.consents.functions.grantConsent(consent_grant(h, twin_id)))


def test_grant_consent_rejects_unknown_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("TwinRegistryUnknownTwin", twinId=0):
        h.transact(a.model, h.ledger.consents.functions.grantConsent(consent_grant(h, 0)))


def test_revoke_consent_direct(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id, noticePeriod=3 * DAY)
    result = h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))
    revoked_at = block_time(h, result)

    revoked = h.events(result, h.ledger.consents, "ConsentRevoked")[0]["args"]
    assert revoked["consentId"] == consent_id
    assert revoked["twinId"] == twin_id
    assert revoked["revokedBy"] == a.model.address
    assert revoked["revokedAt"] == revoked_at
    assert revoked["usableUntil"] == revoked_at + 3 * DAY
    assert h.ledger.consents.functions.consentOf(consent_id).call()[7] == revoked_at
    valid_from = h.ledger.consents.functions.consentOf(consent_id).call()[4]
    assert h.ledger.consents.functions.usageWindow(consent_id).call() == [valid_from, revoked_at + 3 * DAY]


def test_revoke_consent_notice_capped_by_validity(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    valid_until = h.now() + DAY
    consent_id = grant_consent(h, twin_id, validUntil=valid_until, noticePeriod=30 * DAY)
    result = h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))
    assert h.events(result, h.ledger.consents, "ConsentRevoked")[0]["args"]["usableUntil"] == valid_until
    assert h.ledger.consents.functions.usageWindow(consent_id).call()[1] == valid_until


def test_revoke_consent_requires_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    with h.reverts("ConsentRegistryNotTwinOwner", twinId=twin_id, account=a.brand.address, owner=a.model.address):
        h.transact(a.brand, h.ledger.consents.functions.revokeConsent(consent_id))


def test_revoke_consent_twice_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    result = h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))
    with h.reverts("ConsentRegistryAlreadyRevoked", consentId=consent_id, revokedAt=block_time(h, result)):
        h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))


@pytest.mark.parametrize("consent_id", [0, 99])
def test_revoke_consent_rejects_unknown_consent(harness: Harness, consent_id: int) -> None:
    h, a = harness, harness.accounts
    with h.reverts("ConsentRegistryUnknownConsent", consentId=consent_id):
        h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))


def test_consent_follows_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    h.transact(a.model, h.ledger.twins.functions.transferFrom(a.model.address, a.model2.address, twin_id))

    with h.reverts("ConsentRegistryNotTwinOwner", twinId=twin_id, account=a.model.address, owner=a.model2.address):
        h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))
    result = h.transact(a.model2, h.ledger.consents.functions.revokeConsent(consent_id))
    assert h.events(result, h.ledger.consents, "ConsentRevoked")[0]["args"]["revokedBy"] == a.model2.address


# ---------------------------------------------------------------------------------------------
# Grant validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "arguments"),
    [
        ({"mediaMask": 0}, "ConsentRegistryEmptyMediaScope", {}),
        ({"mediaMask": 1 << 7}, "ConsentRegistryUnknownMedia", {"mediaMask": 1 << 7}),
        ({"mediaMask": 0xFF}, "ConsentRegistryUnknownMedia", {"mediaMask": 0xFF}),
        ({"territories": [0, 0, 0, 0]}, "ConsentRegistryEmptyTerritories", {}),
        ({"territories": territory_bitmap(0)}, "ConsentRegistryInvalidTerritory", {"code": 0}),
        ({"territories": territory_bitmap(FRANCE, 1000)}, "ConsentRegistryInvalidTerritory", {"code": 1000}),
        ({"territories": territory_bitmap(FRANCE, 1017)}, "ConsentRegistryInvalidTerritory", {"code": 1017}),
        ({"aiUseMask": 8}, "ConsentRegistryUnknownAiUse", {"aiUseMask": 8}),
        ({"purpose": ""}, "ConsentRegistryEmptyPurpose", {}),
        ({"noticePeriod": MAX_NOTICE_PERIOD + 1}, "ConsentRegistryNoticePeriodTooLong", {"noticePeriod": MAX_NOTICE_PERIOD + 1, "max": MAX_NOTICE_PERIOD}),
    ],
)
def test_grant_consent_rejects_invalid_field(harness: Harness, overrides, error, arguments) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    with h.reverts(error, **arguments):
        h.transact(a.model, h.ledger.consents.functions.grantConsent(consent_grant(h, twin_id, **overrides)))


def test_grant_consent_rejects_empty_validity(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    now = h.now() + 10
    set_next_block_time(h, now)
    grant = consent_grant(h, twin_id, validFrom=now + DAY, validUntil=now + DAY)
    with h.reverts("ConsentRegistryInvalidValidity", validFrom=now + DAY, validUntil=now + DAY, timestamp=now):
        h.transact(a.model, h.ledger.consents.functions.grantConsent(grant))


def test_grant_consent_rejects_validity_in_past(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    now = h.now() + 10
    set_next_block_time(h, now)
    grant = consent_grant(h, twin_id, validFrom=now - DAY, validUntil=now)
    with h.reverts("ConsentRegistryInvalidValidity", validFrom=now - DAY, validUntil=now, timestamp=now):
        h.transact(a.model, h.ledger.consents.functions.grantConsent(grant))


def test_grant_consent_accepts_limits(harness: Harness) -> None:
    h = harness
    twin_id = register_twin(h)
    longest = grant_consent(h, twin_id, noticePeriod=MAX_NOTICE_PERIOD, territories=territory_bitmap(1, 999))
    immediate = grant_consent(h, twin_id, noticePeriod=0, aiUseMask=0)
    assert h.ledger.consents.functions.consentOf(longest).call()[6] == MAX_NOTICE_PERIOD
    assert h.ledger.consents.functions.consentOf(immediate).call()[6] == 0
    assert h.ledger.consents.functions.consentOf(immediate).call()[3] == 0


# ---------------------------------------------------------------------------------------------
# Signed grant and revocation
# ---------------------------------------------------------------------------------------------


def test_grant_digest_matches_contract(harness: Harness) -> None:
    h = harness
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    message = grant_message(h, grant)
    assert h.ledger.consents.functions.domainSeparator().call() == message.header
    assert h.ledger.consents.functions.grantDigest(grant).call() == digest_of(message)


def test_consent_domain_fields(harness: Harness) -> None:
    h = harness
    domain = h.ledger.consents.functions.eip712Domain().call()
    assert domain[1] == "TwinLedger Consent"
    assert domain[2] == "1"
    assert domain[3] == h.client.chain_id
    assert domain[4] == h.ledger.consents.address


def test_grant_consent_with_signature(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    result = submit_grant(h, grant, sign(a.model, grant_message(h, grant)))

    granted = h.events(result, h.ledger.consents, "ConsentGranted")[0]["args"]
    assert granted["grantor"] == a.model.address
    assert granted["grantHash"] == grant_message(h, grant).body
    assert h.ledger.consents.functions.consentOf(1).call()[1] == a.model.address
    assert nonce_of(h, a.model.address) == 1


def test_revoke_consent_with_signature(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    deadline = h.now() + DAY
    signature = sign(a.model, revocation_message(h, consent_id, 0, deadline))
    result = submit_revocation(h, consent_id, 0, deadline, signature)

    revoked = h.events(result, h.ledger.consents, "ConsentRevoked")[0]["args"]
    assert revoked["revokedBy"] == a.model.address
    assert revoked["revokedAt"] == block_time(h, result)
    assert nonce_of(h, a.model.address) == 1


def test_signed_grant_replay_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    signature = sign(a.model, grant_message(h, grant))
    submit_grant(h, grant, signature)
    with h.reverts("InvalidAccountNonce", account=a.model.address, currentNonce=1):
        submit_grant(h, grant, signature)
    assert h.ledger.consents.functions.totalConsents().call() == 1


def test_signed_revocation_replay_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    deadline = h.now() + DAY
    signature = sign(a.model, revocation_message(h, consent_id, 0, deadline))
    submit_revocation(h, consent_id, 0, deadline, signature)
    with h.reverts("InvalidAccountNonce", account=a.model.address, currentNonce=1):
        submit_revocation(h, consent_id, 0, deadline, signature)


def test_signed_grant_future_nonce_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id, nonce=1)
    with h.reverts("InvalidAccountNonce", account=a.model.address, currentNonce=0):
        submit_grant(h, grant, sign(a.model, grant_message(h, grant)))


def test_grant_signature_as_revocation_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    grant = consent_grant(h, twin_id)
    grant_signature = sign(a.model, grant_message(h, grant))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_revocation(h, consent_id, grant["nonce"], grant["deadline"], grant_signature)


def test_revocation_signature_as_grant_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    grant = consent_grant(h, twin_id)
    revocation_signature = sign(a.model, revocation_message(h, consent_id, grant["nonce"], grant["deadline"]))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_grant(h, grant, revocation_signature)


def test_signed_grant_high_s_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    message = grant_message(h, grant)
    signature = sign(a.model, message)
    malleated = high_s(signature)

    # The malleated form still recovers the model's address, so only the low-s rule rejects it.
    recovered = Account.recover_message(message, signature=malleated)
    assert recovered == a.model.address
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_grant(h, grant, malleated)
    submit_grant(h, grant, signature)
    assert nonce_of(h, a.model.address) == 1


def test_signed_revocation_high_s_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    deadline = h.now() + DAY
    signature = sign(a.model, revocation_message(h, consent_id, 0, deadline))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_revocation(h, consent_id, 0, deadline, high_s(signature))


def test_signed_grant_other_chain_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    signature = sign(a.model, grant_message(h, grant, chain_id=h.client.chain_id + 1))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_grant(h, grant, signature)


def test_signed_revocation_other_chain_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    deadline = h.now() + DAY
    signature = sign(a.model, revocation_message(h, consent_id, 0, deadline, chain_id=h.client.chain_id + 1))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_revocation(h, consent_id, 0, deadline, signature)


def test_signed_grant_other_contract_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    signature = sign(a.model, grant_message(h, grant, verifying_contract=h.ledger.usages.address))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_grant(h, grant, signature)


def test_signed_grant_tampered_field_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id, aiUseMask=AI_USE)
    signature = sign(a.model, grant_message(h, grant))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_grant(h, {**grant, "aiUseMask": 7}, signature)


def test_signed_grant_wrong_signer_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_grant(h, grant, sign(a.outsider, grant_message(h, grant)))


def test_signed_revocation_wrong_signer_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    deadline = h.now() + DAY
    signature = sign(a.agency, revocation_message(h, consent_id, 0, deadline))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model.address):
        submit_revocation(h, consent_id, 0, deadline, signature)


def test_signed_grant_by_former_owner_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id)
    signature = sign(a.model, grant_message(h, grant))
    h.transact(a.model, h.ledger.twins.functions.transferFrom(a.model.address, a.model2.address, twin_id))
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=a.model2.address):
        submit_grant(h, grant, signature)


def test_signed_grant_deadline_edge(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    now = h.now() + 10
    expired = consent_grant(h, twin_id, deadline=now - 1)
    on_time = consent_grant(h, twin_id, deadline=now)

    set_next_block_time(h, now)
    with h.reverts("ConsentRegistrySignatureExpired", deadline=now - 1, timestamp=now):
        submit_grant(h, expired, sign(a.model, grant_message(h, expired)))
    result = submit_grant(h, on_time, sign(a.model, grant_message(h, on_time)))
    assert block_time(h, result) == now
    assert nonce_of(h, a.model.address) == 1


def test_signed_revocation_expired_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    now = h.now() + 10
    signature = sign(a.model, revocation_message(h, consent_id, 0, now - 1))
    set_next_block_time(h, now)
    with h.reverts("ConsentRegistrySignatureExpired", deadline=now - 1, timestamp=now):
        submit_revocation(h, consent_id, 0, now - 1, signature)


def test_signed_grant_invalid_field_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    grant = consent_grant(h, twin_id, purpose="")
    with h.reverts("ConsentRegistryEmptyPurpose"):
        submit_grant(h, grant, sign(a.model, grant_message(h, grant)))
    assert nonce_of(h, a.model.address) == 0


def test_smart_wallet_grant_with_signature(harness: Harness) -> None:
    h, a = harness, harness.accounts
    wallet = h.deploy("TestSmartWallet", a.model2.address)
    twin_id = register_twin(h, model=wallet)
    grant = consent_grant(h, twin_id)
    message = grant_message(h, grant)
    # The wallet checks a plain ECDSA signature of its signer over the EIP-712 digest.
    signature = bytes(a.model2.unsafe_sign_hash(digest_of(message)).signature)
    result = submit_grant(h, grant, signature)

    assert h.events(result, h.ledger.consents, "ConsentGranted")[0]["args"]["grantor"] == wallet.address
    assert h.ledger.consents.functions.consentOf(1).call()[1] == wallet.address
    assert nonce_of(h, wallet.address) == 1
    assert nonce_of(h, a.model2.address) == 0


def test_smart_wallet_rejects_other_signer(harness: Harness) -> None:
    h, a = harness, harness.accounts
    wallet = h.deploy("TestSmartWallet", a.model2.address)
    twin_id = register_twin(h, model=wallet)
    grant = consent_grant(h, twin_id)
    signature = bytes(a.outsider.unsafe_sign_hash(digest_of(grant_message(h, grant))).signature)
    with h.reverts("ConsentRegistryInvalidSignature", expectedSigner=wallet.address):
        submit_grant(h, grant, signature)


def test_smart_wallet_signer_key_is_not_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    wallet = h.deploy("TestSmartWallet", a.model2.address)
    twin_id = register_twin(h, model=wallet)
    with h.reverts("ConsentRegistryNotTwinOwner", twinId=twin_id, account=a.model2.address, owner=wallet.address):
        h.transact(a.model2, h.ledger.consents.functions.grantConsent(consent_grant(h, twin_id)))


# ---------------------------------------------------------------------------------------------
# What a revocation stops
# ---------------------------------------------------------------------------------------------


def test_revocation_stops_sales_at_once(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    terms_id = publish_terms(h, twin_id, consent_id)
    result = h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))
    with h.reverts("ConsentRegistryConsentRevoked", consentId=consent_id, revokedAt=block_time(h, result)):
        h.transact(a.brand, h.ledger.licenses.functions.buyLicense(terms_id, 10**16, 10**12, False), value=10**16)


def licensed_under_notice(h: Harness, notice: int) -> tuple[int, int]:
    """A license bought under a consent with notice period ``notice``, funded for ten usages."""
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id, noticePeriod=notice)
    license_id = buy_license(h, publish_terms(h, twin_id, consent_id))
    deposit(h, 10 * 10**12)
    return consent_id, license_id


def test_revocation_stops_usage_after_notice(harness: Harness) -> None:
    h, a = harness, harness.accounts
    consent_id, license_id = licensed_under_notice(h, 1000)
    revoked_at = block_time(h, h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id)))

    set_next_block_time(h, revoked_at + 999)
    register_usages(h, license_id, usage_record())
    set_next_block_time(h, revoked_at + 1000)
    with h.reverts(
        "UsageLedgerConsentEnded", consentId=consent_id, usableUntil=revoked_at + 1000, timestamp=revoked_at + 1000
    ):
        register_usages(h, license_id, usage_record())
    assert h.ledger.usages.functions.meterOf(license_id).call()[1] == 1


def test_revocation_zero_notice_stops_usage(harness: Harness) -> None:
    h, a = harness, harness.accounts
    consent_id, license_id = licensed_under_notice(h, 0)
    register_usages(h, license_id, usage_record())
    revoked_at = block_time(h, h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id)))

    set_next_block_time(h, revoked_at + 1)
    with h.reverts("UsageLedgerConsentEnded", consentId=consent_id, usableUntil=revoked_at, timestamp=revoked_at + 1):
        register_usages(h, license_id, usage_record())


def test_reinstating_consent_needs_new_grant(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    old_consent = grant_consent(h, twin_id, noticePeriod=0)
    old_license = buy_license(h, publish_terms(h, twin_id, old_consent))
    deposit(h, 10 * 10**12)
    revoked_at = block_time(h, h.transact(a.model, h.ledger.consents.functions.revokeConsent(old_consent)))

    with h.reverts("ConsentRegistryConsentRevoked", consentId=old_consent, revokedAt=revoked_at):
        h.transact(a.model, h.ledger.licenses.functions.publishTerms(terms(h, twin_id, old_consent)))
    new_consent = grant_consent(h, twin_id)
    new_license = buy_license(h, publish_terms(h, twin_id, new_consent), brand=a.brand)
    register_usages(h, new_license, usage_record())
    with h.reverts("UsageLedgerConsentEnded", consentId=old_consent, usableUntil=revoked_at):
        register_usages(h, old_license, usage_record())
    assert h.ledger.consents.functions.consentOf(old_consent).call()[7] == revoked_at
    assert new_consent == old_consent + 1

