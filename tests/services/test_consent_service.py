"""ConsentService on Anvil: direct and signed grants and revocations, status, listing, bad inputs,
and how a revocation stops purchases at once and usages when the notice period ends."""

from __future__ import annotations

import pytest
from eth_account import Account

from tests.consent_setup import (  # noqa: F401  (fixtures)
    DAY,
    account,
    api,
    app_context,
    asset_sha256,
    consent_chain,
    consent_input,
    licensed_twin,
    publish_terms,
    register_twin,
    report_usage,
)
from twinledger.errors import (
    AccessDeniedError,
    ConflictError,
    ContractRevertError,
    InvalidInputError,
    PermissionDeniedError,
)
from twinledger.services._messages import describe_error
from twinledger.services.consent import ConsentInput
from twinledger.services.context import AppContext
from twinledger.services.licenses import TermsInput


def test_grant_direct_reads_back_scope(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    consent, result = app_context.consents.grant(account("model"), consent_input(app_context, twin_id))

    assert result.block_number > 0
    assert consent.consent_id == 1
    assert consent.twin_id == twin_id
    assert consent.grantor == account("model").address
    assert consent.status == "live"
    assert consent.usages_allowed is True
    assert consent.channels == ["print", "social", "web"]
    assert "US" in consent.territories
    assert "FR" in consent.territories
    assert "DE" in consent.territories
    assert len(consent.territories) == 28  # the 27 EU members plus the US
    assert consent.ai_uses == ["ai_use"]
    assert consent.purpose == "AI-generated campaign imagery for the spring apparel line"
    assert consent.remuneration == "Upfront fee plus a fee per image"
    assert consent.notice_period == 7 * DAY
    assert consent.revoked_at is None
    assert consent.granted_tx == result.tx_hash


def test_grant_by_non_owner_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    with pytest.raises(PermissionDeniedError) as raised:
        app_context.consents.grant(account("agency"), consent_input(app_context, twin_id))
    assert raised.value.error_name == "ConsentRegistryNotTwinOwner"
    assert raised.value.arguments["account"] == account("agency").address


def test_signed_grant_relayed_by_operator(app_context: AppContext) -> None:
    service = app_context.consents
    twin_id = register_twin(app_context)
    model = account("model")
    assert service.nonce_of(model.address) == 0

    typed = service.grant_typed_data(consent_input(app_context, twin_id))
    signature = Account.sign_typed_data(model.key, full_message=typed.full_message).signature
    on_chain_digest = app_context.ledger.consents.functions.grantDigest(
        service._grant_struct(typed.grant)
    ).call()
    consent, _ = service.submit_signed_grant(app_context.operator, typed.grant, "0x" + bytes(signature).hex())

    assert typed.digest == "0x" + bytes(on_chain_digest).hex()
    assert consent.grantor == model.address
    assert consent.status == "live"
    assert service.nonce_of(model.address) == 1


def test_signed_grant_replay_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    grant, signature = app_context.consents.sign_grant(account("model"), consent_input(app_context, twin_id))
    app_context.consents.submit_signed_grant(app_context.operator, grant, signature)

    with pytest.raises(ConflictError) as raised:
        app_context.consents.submit_signed_grant(app_context.operator, grant, signature)
    assert raised.value.error_name == "InvalidAccountNonce"
    assert raised.value.arguments["currentNonce"] == 1


def test_signed_grant_by_other_key_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    grant, signature = app_context.consents.sign_grant(account("agency"), consent_input(app_context, twin_id))
    with pytest.raises(AccessDeniedError) as raised:
        app_context.consents.submit_signed_grant(app_context.operator, grant, signature)
    assert raised.value.details["signer"] == account("agency").address
    assert raised.value.details["owner"] == account("model").address


def test_signed_grant_with_changed_scope_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    grant, signature = app_context.consents.sign_grant(account("model"), consent_input(app_context, twin_id))
    grant.channels = grant.channels + ["broadcast"]
    with pytest.raises(AccessDeniedError, match="not by the twin's owner"):
        app_context.consents.submit_signed_grant(app_context.operator, grant, signature)


def test_signed_grant_missing_nonce_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    grant, signature = app_context.consents.sign_grant(account("model"), consent_input(app_context, twin_id))
    grant.nonce = None
    with pytest.raises(InvalidInputError, match="nonce is missing"):
        app_context.consents.submit_signed_grant(app_context.operator, grant, signature)


def test_revoke_direct_keeps_usages_until_notice_ends(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    asset = asset_sha256("A.jpg")

    consent, _ = app_context.consents.revoke(account("model"), licensed.consent_id)
    assert consent.status == "revoked"
    assert consent.revoked_by == account("model").address
    assert consent.usable_until == consent.revoked_at + 7 * DAY
    assert consent.usages_allowed is True

    during_notice = report_usage(app_context, licensed.license_id, asset)
    assert during_notice.status == "confirmed"

    app_context.client.increase_time(7 * DAY)
    with pytest.raises(InvalidInputError, match=f"its consent {licensed.consent_id} was revoked at .* ended at"):
        report_usage(app_context, licensed.license_id, asset)
    assert app_context.consents.get(licensed.consent_id).usages_allowed is False


def test_purchase_after_revocation_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    consent, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id))
    terms_id = publish_terms(app_context, twin_id, consent.consent_id)
    app_context.consents.revoke(account("model"), consent.consent_id)

    with pytest.raises(ContractRevertError) as raised:
        app_context.licenses.buy(account("brand"), terms_id)
    assert raised.value.error_name == "ConsentRegistryConsentRevoked"
    assert raised.value.arguments["consentId"] == consent.consent_id


def test_revoke_twice_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    consent, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id))
    app_context.consents.revoke(account("model"), consent.consent_id)
    with pytest.raises(ConflictError) as raised:
        app_context.consents.revoke(account("model"), consent.consent_id)
    assert raised.value.error_name == "ConsentRegistryAlreadyRevoked"


def test_signed_revocation_relayed(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    consent, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id, notice_period=0))
    nonce, deadline, signature = app_context.consents.sign_revocation(account("model"), consent.consent_id)
    revoked, _ = app_context.consents.submit_signed_revocation(
        app_context.operator, consent.consent_id, nonce=nonce, deadline=deadline, signature=signature
    )
    assert revoked.status == "revoked"
    assert revoked.revoked_by == account("model").address
    assert revoked.usable_until == revoked.revoked_at
    assert revoked.usages_allowed is False


def test_status_expired_after_validity(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    now = app_context.client.latest_timestamp()
    consent, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id, valid_until=now + DAY))
    app_context.client.increase_time(DAY + 1)
    expired = app_context.consents.get(consent.consent_id)
    assert expired.status == "expired"
    assert expired.usages_allowed is False


def test_status_not_started_before_validity(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    now = app_context.client.latest_timestamp()
    request = consent_input(app_context, twin_id, valid_from=now + DAY, valid_until=now + 2 * DAY)
    consent, _ = app_context.consents.grant(account("model"), request)
    assert consent.status == "not_started"
    assert consent.usages_allowed is False


def test_list_for_twin_includes_revoked(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    other_twin = register_twin(app_context, "model2")
    first, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id))
    second, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id, channels=["video"]))
    app_context.consents.grant(account("model2"), consent_input(app_context, other_twin))
    app_context.consents.revoke(account("model"), first.consent_id)

    consents = app_context.consents.list_for_twin(twin_id)
    assert [consent.consent_id for consent in consents] == [first.consent_id, second.consent_id]
    assert [consent.status for consent in consents] == ["revoked", "live"]
    assert consents[1].channels == ["video"]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"territories": ["FR", "XX"]}, "'XX'"),
        ({"territories": []}, "territory list is empty"),
        ({"channels": []}, "media scope is empty"),
        ({"channels": ["billboard"]}, "'billboard'"),
        ({"ai_uses": ["deepfake"]}, "'deepfake'"),
        ({"purpose": "   "}, "purpose is empty"),
        ({"notice_period": 400 * DAY}, "notice_period 34560000"),
        ({"valid_until": 1_000}, "valid_until 1000"),
    ],
)
def test_grant_bad_input_named(app_context: AppContext, overrides: dict, named: str) -> None:
    twin_id = register_twin(app_context)
    with pytest.raises(InvalidInputError) as raised:
        app_context.consents.grant(account("model"), consent_input(app_context, twin_id, **overrides))
    assert named in str(raised.value)


def _default_terms(context: AppContext, consent_id: int, **overrides) -> TermsInput:
    values = dict(
        consent_id=consent_id, currency=context.payments.currency("ETH"), upfront_fee=0, price_per_use=10**12,
        usage_unit="image", end=context.client.latest_timestamp() + 30 * DAY, channels=["social"],
        territories=["FR"], legal_text_uri="ipfs://agreement",
    )
    values.update(overrides)
    return TermsInput(**values)


def test_default_consent_covers_default_terms(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    defaults = ConsentInput(
        twin_id=twin_id, channels=["social"], territories=["FR"], purpose="Campaign imagery",
        remuneration="Fee per image", valid_until=app_context.client.latest_timestamp() + 90 * DAY,
    )
    consent, _ = app_context.consents.grant(account("model"), defaults)

    terms, _ = app_context.licenses.publish_terms(account("model"), twin_id, _default_terms(app_context, consent.consent_id))

    assert consent.ai_uses == ["ai_use"]
    assert terms.ai_uses == ["ai_use"]


def test_ai_use_not_covered_names_uses(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    consent, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id, ai_uses=[]))

    with pytest.raises(ContractRevertError) as raised:
        app_context.licenses.publish_terms(
            account("model"), twin_id, _default_terms(app_context, consent.consent_id, ai_uses=["ai_use", "train_ai"])
        )

    assert raised.value.error_name == "ConsentRegistryAiUseNotCovered"
    assert describe_error(raised.value) == (
        f"Consent {consent.consent_id} does not cover the AI use(s) ai_use, train_ai: the request names ai_use, "
        "train_ai and the consent grants none. Keep to the consent's AI uses or ask the model for a consent that "
        "covers them."
    )


def test_media_not_covered_names_channels(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    consent, _ = app_context.consents.grant(account("model"), consent_input(app_context, twin_id))

    with pytest.raises(ContractRevertError) as raised:
        app_context.licenses.publish_terms(
            account("model"), twin_id, _default_terms(app_context, consent.consent_id, channels=["social", "video"])
        )

    assert raised.value.error_name == "ConsentRegistryMediaNotCovered"
    message = describe_error(raised.value)
    assert f"Consent {consent.consent_id} does not cover the channel(s) video:" in message
    assert "the request names social, video and the consent grants print, social, web." in message
