"""UsageService intake: validation, authorization, idempotency and the outbox row it stores."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests import consent_setup
from tests.consent_setup import app_context, consent_chain  # noqa: F401  (fixtures)
from tests.services.support import (
    DAY,
    Licensed,
    account,
    grant_consent,
    licensed_twin,
    make_context,
    register_twin,
    terms_input,
    usage,
)
from twinledger.services.batcher import UsageBatcher
from twinledger.errors import AccessDeniedError, InvalidInputError, NotFoundError, UsageIdConflictError
from twinledger.services.context import AppContext
from twinledger.store import OutboxUsage


@pytest.fixture(scope="module")
def licensed(context: AppContext) -> Licensed:
    return licensed_twin(context)


def row_count(context: AppContext, usage_id: str) -> int:
    with context.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxUsage).where(OutboxUsage.usage_id == usage_id))


def test_submit_stores_pending_row(context, licensed) -> None:
    intake = context.usages.submit("client-a", usage(licensed.license_id), acting=account("brand"))

    assert intake.created
    assert intake.usage.status == "pending"
    assert intake.usage.holder == account("brand").address
    assert row_count(context, intake.usage.usage_id) == 1


def test_submit_same_id_returns_first(context, licensed) -> None:
    request = usage(licensed.license_id)
    first = context.usages.submit("client-a", request, acting=account("brand"))
    again = context.usages.submit("client-a", request, acting=account("brand"))

    assert not again.created
    assert again.usage.usage_ref == first.usage.usage_ref
    assert again.usage.created_at == first.usage.created_at
    assert row_count(context, request.usage_id) == 1


def test_submit_same_id_other_usage_conflicts(context, licensed) -> None:
    request = usage(licensed.license_id)
    context.usages.submit("client-a", request, acting=account("brand"))

    with pytest.raises(UsageIdConflictError, match="different usage"):
        context.usages.submit("client-a", usage(licensed.license_id, request.usage_id, quantity=2), acting=account("brand"))


def test_submit_same_id_other_client_conflicts(context, licensed) -> None:
    request = usage(licensed.license_id)
    context.usages.submit("client-a", request, acting=account("brand"))

    with pytest.raises(UsageIdConflictError, match="another client"):
        context.usages.submit("client-b", request, acting=account("brand"))
    assert row_count(context, request.usage_id) == 1


def test_submit_by_non_holder_denied(context, licensed) -> None:
    with pytest.raises(AccessDeniedError, match="does not hold license"):
        context.usages.submit("client-a", usage(licensed.license_id), acting=account("brand2"))


def test_submit_unknown_license_not_found(context) -> None:
    with pytest.raises(NotFoundError) as raised:
        context.usages.submit("client-a", usage(9999), acting=account("brand"))
    assert raised.value.error_name == "LicenseManagerUnknownLicense"


def test_submit_without_authorization_denied(context, licensed) -> None:
    with pytest.raises(AccessDeniedError, match="sign it as the license holder"):
        context.usages.submit("client-a", usage(licensed.license_id))


def test_submit_unauthorized_outside_dev_mode_says_how(anvil, context, licensed, tmp_path) -> None:
    production = make_context(anvil, tmp_path, context.settings.deployment_file, dev_mode=False)
    try:
        with pytest.raises(AccessDeniedError) as raised:
            production.usages.submit("client-a", usage(licensed.license_id), acting=account("brand"))
    finally:
        production.close()

    assert "sign it as the license holder" in str(raised.value)
    assert "on a local chain set TWINLEDGER_DEV_MODE=true (CLI: --dev-mode)" in str(raised.value)


def test_submit_signed_by_holder_accepted(context, licensed) -> None:
    signed = context.usages.sign(account("brand"), usage(licensed.license_id))

    intake = context.usages.submit("client-a", signed)

    assert intake.created
    assert intake.usage.holder == account("brand").address


def test_submit_signed_by_other_denied(context, licensed) -> None:
    signed = context.usages.sign(account("brand2"), usage(licensed.license_id))

    with pytest.raises(AccessDeniedError, match="signed by"):
        context.usages.submit("client-a", signed)


def test_submit_signature_for_other_fields_denied(context, licensed) -> None:
    signed = context.usages.sign(account("brand"), usage(licensed.license_id))
    signed.quantity = 5

    with pytest.raises(AccessDeniedError):
        context.usages.submit("client-a", signed)


def test_submit_expired_signature_denied(context, licensed) -> None:
    signed = context.usages.sign(account("brand"), usage(licensed.license_id, deadline=1_000))

    with pytest.raises(AccessDeniedError, match="expired"):
        context.usages.submit("client-a", signed)


def test_submit_without_relayer_approval_denied(context) -> None:
    unapproved = licensed_twin(context, brand="brand2", approve=False)
    signed = context.usages.sign(account("brand2"), usage(unapproved.license_id))

    with pytest.raises(AccessDeniedError, match="has not approved the relayer"):
        context.usages.submit("client-a", signed)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", "video", "does not cover channel video"),
        ("channel", "radio", "unknown channel"),
        ("territory", "JP", "does not cover territory JP"),
        ("territory", "XX", "unknown territory"),
        ("quantity", 0, "quantity 0 is out of range"),
        ("asset_hash", "0x1234", "not 32 bytes"),
        ("usage_id", " ", "usage_id"),
    ],
)
def test_submit_invalid_field_rejected(context, licensed, field, value, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        context.usages.submit("client-a", usage(licensed.license_id, **{field: value}), acting=account("brand"))


def test_submit_concurrent_same_id_one_row(context, licensed) -> None:
    request = usage(licensed.license_id)
    results, errors = [], []

    def post() -> None:
        try:
            results.append(context.usages.submit("client-c", request, acting=account("brand")))
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(result.created for result in results) == 1
    assert {result.usage.usage_ref for result in results} == {results[0].usage.usage_ref}
    assert row_count(context, request.usage_id) == 1


def test_submit_license_not_started_rejected(context) -> None:
    twin_id = register_twin(context)
    consent_id = grant_consent(context, twin_id)
    start = context.client.latest_timestamp() + DAY
    published, _ = context.licenses.publish_terms(account("model"), twin_id, terms_input(context, consent_id, start=start))
    license, _ = context.licenses.buy(account("brand"), published.terms_id)

    with pytest.raises(InvalidInputError) as raised:
        context.usages.submit("client-a", usage(license.license_id), acting=account("brand"))

    assert f"license {license.license_id} starts at" in str(raised.value)
    assert f"({start})" in str(raised.value)
    assert raised.value.details["start"] == start


def test_submit_license_ended_rejected(app_context) -> None:
    licensed = consent_setup.licensed_twin(app_context)
    end = app_context.licenses.license(licensed.license_id).end
    before_end = usage(licensed.license_id)
    app_context.usages.submit("client-a", before_end, acting=account("brand"))
    app_context.client.increase_time(61 * DAY)

    with pytest.raises(InvalidInputError) as raised:
        app_context.usages.submit("client-a", usage(licensed.license_id), acting=account("brand"))

    assert f"license {licensed.license_id} ended at" in str(raised.value)
    assert f"({end})" in str(raised.value)
    assert "buy a new license" in str(raised.value)
    assert raised.value.details["end"] == end
    # A usage accepted before the end still goes to the chain, which rejects it.
    UsageBatcher(app_context).drain(timeout=60)
    late = app_context.usages.get("client-a", before_end.usage_id)
    assert late.status == "rejected"
    assert late.error_name == "UsageLedgerLicenseExpired"


def test_submit_consent_revoked_rejected(app_context) -> None:
    twin_id = consent_setup.register_twin(app_context)
    consent, _ = app_context.consents.grant(
        account("model"), consent_setup.consent_input(app_context, twin_id, notice_period=0)
    )
    terms_id = consent_setup.publish_terms(app_context, twin_id, consent.consent_id)
    license, _ = app_context.licenses.buy(account("brand"), terms_id)
    revoked, _ = app_context.consents.revoke(account("model"), consent.consent_id)

    with pytest.raises(InvalidInputError) as raised:
        app_context.usages.submit("client-a", usage(license.license_id), acting=account("brand"))

    message = str(raised.value)
    assert f"license {license.license_id} can no longer be used" in message
    assert f"consent {consent.consent_id} was revoked at" in message
    assert f"({revoked.usable_until})" in message
    assert "ask the model for a new consent" in message
