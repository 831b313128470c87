"""Request and response bodies of the terms and license routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from twinledger.api.schemas.common import CurrencyOut, TransactionOut
from twinledger.services.licenses import License, Quote, Terms

__all__ = ["LicenseOut", "LicenseWithTransaction", "PurchaseIn", "QuoteOut", "TermsIn", "TermsOut", "TermsWithTransaction"]


class TermsIn(BaseModel):
    """License terms that the twin's owner publishes; the acting account must own the twin."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "consent_id": 1,
                    "currency": "ETH",
                    "upfront_fee": "50000000000000000",
                    "price_per_use": "2000000000000000",
                    "usage_unit": "image",
                    "end": 1798761600,
                    "max_uses": 1000,
                    "channels": ["social", "web", "print"],
                    "territories": ["FR", "US", "GB"],
                    "ai_uses": ["ai_use"],
                    "exclusive": False,
                    "transferable": False,
                    "resale_royalty_bps": 500,
                    "legal_text_uri": "ipfs://bafy.../agreement.pdf",
                }
            ]
        }
    )

    consent_id: int = Field(ge=1, description="consent grant that covers these terms")
    currency: str = Field(description="ETH, an allow-listed token's symbol, or its address")
    upfront_fee: int = Field(ge=0, description="price of a license, in the currency's smallest unit")
    price_per_use: int = Field(ge=0, description="fee per unit of use, in the currency's smallest unit")
    usage_unit: str = Field(description="image, placement or thousand_impressions")
    start: int | None = Field(default=None, description="Unix time from which licenses are usable; default now")
    end: int = Field(description="Unix time at which licenses stop being usable (exclusive)")
    max_uses: int = Field(default=0, ge=0, description="maximum units of use per license, 0 for unlimited")
    channels: list[str] = Field(min_length=1, description="print, social, out_of_home, web, video, ecommerce, broadcast")
    territories: list[str] = Field(min_length=1, description="ISO 3166-1 country codes (FR, FRA or 250)")
    ai_uses: list[str] = Field(
        default=["ai_use"], description="ai_use, train_genai, train_ai; the consent must grant each of them"
    )
    exclusive: bool = False
    transferable: bool = False
    resale_royalty_bps: int = Field(default=0, ge=0, le=5000, description="ERC-2981 royalty on resale")
    legal_text_uri: str = Field(max_length=2048, description="where the full legal text is published")
    legal_text_hash: str | None = Field(default=None, description="SHA-256 of the legal text; default: of the URI")


class TermsOut(BaseModel):
    """Published license terms."""

    terms_id: int
    twin_id: int
    consent_id: int
    currency: CurrencyOut
    upfront_fee: str
    price_per_use: str
    usage_unit: str
    start: int
    end: int
    max_uses: int
    channels: list[str]
    ai_uses: list[str]
    exclusive: bool
    transferable: bool
    resale_royalty_bps: int
    legal_text_hash: str
    legal_text_uri: str
    territories: list[str]
    on_sale: bool = Field(description="the contract's sale flag, which only the publisher changes")
    publisher: str
    sellable: bool = Field(description="whether a license can be bought now: on sale, twin active, terms and consent in force")
    unsellable_reason: str | None = Field(description="why sellable is false; null when it is true")

    @classmethod
    def of(cls, terms: Terms) -> TermsOut:
        values = dict(terms.__dict__)
        values.update(
            currency=CurrencyOut.of(terms.currency),
            upfront_fee=str(terms.upfront_fee),
            price_per_use=str(terms.price_per_use),
        )
        return cls(**values)


class TermsWithTransaction(BaseModel):
    terms: TermsOut
    transaction: TransactionOut


class QuoteOut(BaseModel):
    """The current price of a license, and of ``uses`` uses under it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "terms_id": 1,
                    "currency": {"address": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "decimals": 18},
                    "upfront_fee": "50000000000000000",
                    "price_per_use": "2000000000000000",
                    "usage_unit": "image",
                    "uses": 10,
                    "usage_fee": "20000000000000000",
                    "total": "70000000000000000",
                    "on_sale": True,
                    "sellable": True,
                    "unsellable_reason": None,
                    "end": 1798761600,
                }
            ]
        }
    )

    terms_id: int
    currency: CurrencyOut
    upfront_fee: str
    price_per_use: str
    usage_unit: str
    uses: int
    usage_fee: str
    total: str
    on_sale: bool = Field(description="the contract's sale flag, which only the publisher changes")
    sellable: bool = Field(description="whether a license can be bought now: on sale, twin active, terms and consent in force")
    unsellable_reason: str | None = Field(description="why sellable is false; null when it is true")
    end: int

    @classmethod
    def of(cls, quote: Quote) -> QuoteOut:
        return cls(
            terms_id=quote.terms_id,
            currency=CurrencyOut.of(quote.currency),
            upfront_fee=str(quote.upfront_fee),
            price_per_use=str(quote.price_per_use),
            usage_unit=quote.usage_unit,
            uses=quote.uses,
            usage_fee=str(quote.usage_fee),
            total=str(quote.total),
            on_sale=quote.on_sale,
            sellable=quote.sellable,
            unsellable_reason=quote.unsellable_reason,
            end=quote.end,
        )


class PurchaseIn(BaseModel):
    """A license purchase. The maxima protect against a price change after the quote; they default
    to the current prices."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"max_upfront_fee": "50000000000000000", "max_price_per_use": "2000000000000000", "pay_from_deposit": False}]
        }
    )

    max_upfront_fee: int | None = Field(default=None, ge=0)
    max_price_per_use: int | None = Field(default=None, ge=0)
    pay_from_deposit: bool = Field(default=False, description="take the fee from the buyer's deposit in the vault")


class LicenseOut(BaseModel):
    """A license, its holder, usage counters and status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "license_id": 1,
                    "terms_id": 1,
                    "twin_id": 1,
                    "consent_id": 1,
                    "holder": "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
                    "currency": {"address": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "decimals": 18},
                    "price_per_use": "2000000000000000",
                    "start": 1767225600,
                    "end": 1782777600,
                    "max_uses": 1000,
                    "uses_count": 4,
                    "uses_left": 996,
                    "next_sequence": 1,
                    "channels": ["print", "social", "web"],
                    "territories": ["FR", "GB", "US"],
                    "exclusive": False,
                    "status": "active",
                    "status_reason": "usages can be registered",
                    "relayer_approved": True,
                }
            ]
        }
    )

    license_id: int
    terms_id: int
    twin_id: int
    consent_id: int
    holder: str
    currency: CurrencyOut
    price_per_use: str
    start: int
    end: int
    max_uses: int = Field(description="0 for unlimited")
    uses_count: int = Field(description="units of use registered so far")
    uses_left: int | None = Field(description="units of use left; null when unlimited")
    next_sequence: int = Field(description="sequence number the next usage batch must carry")
    channels: list[str]
    territories: list[str]
    exclusive: bool
    status: str = Field(description="active, not_started, expired, twin_paused, consent_ended or taken_down")
    status_reason: str
    relayer_approved: bool = Field(description="whether the holder approved this service's relayer")

    @classmethod
    def of(cls, license: License) -> LicenseOut:
        values = dict(license.__dict__)
        values.update(currency=CurrencyOut.of(license.currency), price_per_use=str(license.price_per_use))
        return cls(**values)


class LicenseWithTransaction(BaseModel):
    license: LicenseOut
    transaction: TransactionOut
