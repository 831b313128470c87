"""Terms and license routes: publish terms, list a twin's offers, quote, buy, read a license."""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from twinledger.api.deps import ActingAccount, Context
from twinledger.api.schemas.common import ERROR_RESPONSES, ErrorBody, TransactionOut
from twinledger.api.schemas.licenses import (
    LicenseOut,
    LicenseWithTransaction,
    PurchaseIn,
    QuoteOut,
    TermsIn,
    TermsOut,
    TermsWithTransaction,
)
from twinledger.services.licenses import MAX_UINT32, TermsInput

router = APIRouter(tags=["licenses"], responses=ERROR_RESPONSES)


def _not_found(what: str) -> dict:
    return {404: {"model": ErrorBody, "description": f"the {what} does not exist"}}


@router.post(
    "/twins/{twin_id}/terms", status_code=status.HTTP_201_CREATED, response_model=TermsWithTransaction,
    responses=_not_found("twin or consent"),
)
def publish_terms(twin_id: int, body: TermsIn, context: Context, owner: ActingAccount) -> TermsWithTransaction:
    """Publish license terms. The acting account must own the twin, and the consent must cover the terms."""
    terms_input = TermsInput(
        consent_id=body.consent_id,
        currency=context.payments.currency(body.currency),
        upfront_fee=body.upfront_fee,
        price_per_use=body.price_per_use,
        usage_unit=body.usage_unit,
        start=body.start,
        end=body.end,
        max_uses=body.max_uses,
        channels=body.channels,
        territories=body.territories,
        ai_uses=body.ai_uses,
        exclusive=body.exclusive,
        transferable=body.transferable,
        resale_royalty_bps=body.resale_royalty_bps,
        legal_text_uri=body.legal_text_uri,
        legal_text_hash=body.legal_text_hash,
    )
    terms, result = context.licenses.publish_terms(owner, twin_id, terms_input)
    return TermsWithTransaction(terms=TermsOut.of(terms), transaction=TransactionOut.of(result))


@router.get("/twins/{twin_id}/terms", response_model=list[TermsOut], responses=_not_found("twin"))
def list_offers(twin_id: int, context: Context) -> list[TermsOut]:
    """List the terms on sale for a twin, oldest first."""
    return [TermsOut.of(terms) for terms in context.licenses.offers(twin_id)]


@router.get("/terms/{terms_id}", response_model=TermsOut, responses=_not_found("terms"))
def read_terms(terms_id: int, context: Context) -> TermsOut:
    """Read published terms, on sale or not."""
    return TermsOut.of(context.licenses.terms(terms_id))


@router.get("/terms/{terms_id}/quote", response_model=QuoteOut, responses=_not_found("terms"))
def quote(
    terms_id: int,
    context: Context,
    uses: int = Query(default=0, ge=0, le=MAX_UINT32, description="units of use to price, at most 2^32 - 1 (a usage's quantity)"),
) -> QuoteOut:
    """Quote a license under the terms: the upfront fee and the fee for a number of uses."""
    return QuoteOut.of(context.licenses.quote(terms_id, uses))


@router.post(
    "/terms/{terms_id}/licenses", status_code=status.HTTP_201_CREATED, response_model=LicenseWithTransaction,
    responses={
        **_not_found("terms"),
        402: {"model": ErrorBody, "description": "the buyer's funds or deposit do not cover the fee"},
        409: {"model": ErrorBody, "description": "an exclusive license conflicts with the purchase"},
    },
)
def buy_license(terms_id: int, body: PurchaseIn, context: Context, brand: ActingAccount) -> LicenseWithTransaction:
    """Buy a license for the acting account, paying the upfront fee (ETH, an approved token or the deposit)."""
    license, result = context.licenses.buy(
        brand,
        terms_id,
        max_upfront_fee=body.max_upfront_fee,
        max_price_per_use=body.max_price_per_use,
        pay_from_deposit=body.pay_from_deposit,
    )
    return LicenseWithTransaction(license=LicenseOut.of(license), transaction=TransactionOut.of(result))


@router.get("/licenses/{license_id}", response_model=LicenseOut, responses=_not_found("license"))
def read_license(license_id: int, context: Context) -> LicenseOut:
    """Read a license: holder, scope, uses so far and left, next batch sequence and status now."""
    return LicenseOut.of(context.licenses.license(license_id))
