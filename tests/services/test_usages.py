"""UsageService intake: validation, authorization, idempotency and the outbox row it stores."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tests.services.support import Licensed, account, licensed_twin, usage
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
