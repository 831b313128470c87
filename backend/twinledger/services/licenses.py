"""Licensing: terms that a twin's owner publishes, quotes, purchases by brands and license status."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from twinledger.chain import TxResult
from twinledger.errors import InvalidInputError
from twinledger.services import _vocabulary as vocabulary
from twinledger.services._inputs import parse_bytes32, require_id
from twinledger.services.context import AppContext
from twinledger.services.payments import Currency

__all__ = ["License", "LicenseService", "Quote", "Terms", "TermsInput"]

logger = logging.getLogger(__name__)

MAX_UINT32 = 2**32 - 1


@dataclass
class TermsInput:
    """Terms as a twin's owner states them, in names rather than codes."""

    consent_id: int
    currency: Currency
    upfront_fee: int
    price_per_use: int
    usage_unit: str
    end: int
    channels: list[str]
    territories: list[str | int]
    legal_text_uri: str
    legal_text_hash: str | None = None
    start: int | None = None
    max_uses: int = 0
    ai_uses: list[str] = field(default_factory=lambda: ["ai_use"])
    exclusive: bool = False
    transferable: bool = False
    resale_royalty_bps: int = 0


@dataclass(frozen=True)
class Terms:
    """Published terms, with their sale state.

    ``on_sale`` is the LicenseManager's flag, which only the publisher changes. ``sellable`` says
    whether a purchase would pass the contract's other checks now; ``unsellable_reason`` says why
    not (None when sellable).
    """

    terms_id: int
    twin_id: int
    consent_id: int
    currency: Currency
    upfront_fee: int
    price_per_use: int
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
    on_sale: bool
    publisher: str
    sellable: bool
    unsellable_reason: str | None


@dataclass(frozen=True)
class Quote:
    """The current price of a license under given terms: its upfront fee and the fee for ``uses`` uses."""

    terms_id: int
    currency: Currency
    upfront_fee: int
    price_per_use: int
    usage_unit: str
    uses: int
    usage_fee: int
    total: int
    on_sale: bool
    sellable: bool
    unsellable_reason: str | None
    end: int


@dataclass(frozen=True)
class License:
    """A license as sold, its holder, its usage counters and whether usages can be registered now."""

    license_id: int
    terms_id: int
    twin_id: int
    consent_id: int
    holder: str
    currency: Currency
    price_per_use: int
    start: int
    end: int
    max_uses: int
    uses_count: int
    uses_left: int | None
    next_sequence: int
    channels: list[str]
    territories: list[str]
    exclusive: bool
    status: str
    status_reason: str
    relayer_approved: bool


class LicenseService:
    """Publishes terms, lists and quotes offers, buys licenses and reads license status."""

    def __init__(self, context: AppContext) -> None:
        self._context = context
        self._licenses = context.ledger.licenses

    def publish_terms(self, owner: LocalAccount, twin_id: int, terms: TermsInput) -> tuple[Terms, TxResult]:
        """Publish ``terms`` for ``twin_id``; ``owner`` must own the twin and the consent must cover them."""
        require_id(twin_id, "twin_id")
        require_id(terms.consent_id, "consent_id")
        if terms.max_uses < 0 or terms.max_uses > MAX_UINT32:
            raise InvalidInputError(
                f"max_uses {terms.max_uses} is out of range: pass 0 for unlimited or up to {MAX_UINT32}",
                details={"max_uses": terms.max_uses},
            )
        start = terms.start if terms.start is not None else self._context.client.latest_timestamp()
        legal_hash = (
            parse_bytes32(terms.legal_text_hash, "legal_text_hash")
            if terms.legal_text_hash
            else hashlib.sha256(terms.legal_text_uri.encode()).digest()
        )
        value = {
            "twinId": twin_id,
            "consentId": terms.consent_id,
            "currency": terms.currency.address,
            "upfrontFee": terms.upfront_fee,
            "pricePerUse": terms.price_per_use,
            "usageUnit": vocabulary.unit_code(terms.usage_unit),
            "start": start,
            "end": terms.end,
            "maxUses": terms.max_uses,
            "mediaMask": vocabulary.channel_mask(terms.channels),
            "aiUseMask": vocabulary.ai_use_mask(terms.ai_uses),
            "exclusive": terms.exclusive,
            "transferable": terms.transferable,
            "resaleRoyaltyBps": terms.resale_royalty_bps,
            "legalTextHash": legal_hash,
            "legalTextURI": terms.legal_text_uri,
            "territories": vocabulary.territory_bitmap(vocabulary.territory_codes(terms.territories)),
        }
        result = self._context.transact(owner, self._licenses.functions.publishTerms(value))
        terms_id = self._context.events(result, self._licenses, "TermsPublished")[0]["args"]["termsId"]
        logger.info("published terms %s for twin %s (tx %s)", terms_id, twin_id, result.tx_hash)
        return self.terms(terms_id), result

    def terms(self, terms_id: int) -> Terms:
        require_id(terms_id, "terms_id")
        stored, on_sale, publisher = self._context.call(self._licenses.functions.termsOf(terms_id), what="reading terms")
        return self._terms_view(terms_id, stored, on_sale, publisher)

    def offers(self, twin_id: int) -> list[Terms]:
        """Terms on sale for ``twin_id``, oldest first. Raises NotFoundError for an unknown twin."""
        self._context.twins.get(twin_id)
        total = self._context.call(self._licenses.functions.totalTerms(), what="counting terms")
        offers = []
        # NOTE: reads every terms record, one call each; a twin-to-terms index (the audit
        # indexer's TermsPublished events) would make this one query.
        for terms_id in range(1, total + 1):
            stored, on_sale, publisher = self._context.call(self._licenses.functions.termsOf(terms_id), what="reading terms")
            if stored[0] == twin_id and on_sale:
                offers.append(self._terms_view(terms_id, stored, on_sale, publisher))
        return offers

    def quote(self, terms_id: int, uses: int = 0) -> Quote:
        """Quote a license under ``terms_id`` now, and ``uses`` uses under it."""
        if uses < 0:
            raise InvalidInputError(f"uses {uses} is negative: pass 0 or more", details={"uses": uses})
        if uses > MAX_UINT32:
            # A usage's quantity is a uint32, so no single usage reports more units than this.
            raise InvalidInputError(
                f"uses {uses} is out of range: pass 0 to {MAX_UINT32} (2^32 - 1), the most units one usage can report",
                details={"uses": uses},
            )
        terms = self.terms(terms_id)
        usage_fee = uses * terms.price_per_use
        return Quote(
            terms_id=terms_id,
            currency=terms.currency,
            upfront_fee=terms.upfront_fee,
            price_per_use=terms.price_per_use,
            usage_unit=terms.usage_unit,
            uses=uses,
            usage_fee=usage_fee,
            total=terms.upfront_fee + usage_fee,
            on_sale=terms.on_sale,
            sellable=terms.sellable,
            unsellable_reason=terms.unsellable_reason,
            end=terms.end,
        )

    def buy(
        self,
        brand: LocalAccount,
        terms_id: int,
        *,
        max_upfront_fee: int | None = None,
        max_price_per_use: int | None = None,
        pay_from_deposit: bool = False,
    ) -> tuple[License, TxResult]:
        """Buy a license under ``terms_id`` for ``brand``.

        The maxima default to the current quote, so a price change between the quote and the
        purchase fails the purchase instead of charging more. An ERC-20 fee is approved to the
        vault first unless it is paid from the deposit.
        """
        terms = self.terms(terms_id)
        max_upfront = terms.upfront_fee if max_upfront_fee is None else max_upfront_fee
        max_price = terms.price_per_use if max_price_per_use is None else max_price_per_use
        value = 0
        if terms.upfront_fee and not pay_from_deposit:
            if terms.currency.is_eth:
                value = terms.upfront_fee
            else:
                self._context.payments.ensure_allowance(brand, terms.currency, terms.upfront_fee)
        result = self._context.transact(
            brand, self._licenses.functions.buyLicense(terms_id, max_upfront, max_price, pay_from_deposit), value=value
        )
        license_id = self._context.events(result, self._licenses, "LicensePurchased")[0]["args"]["licenseId"]
        logger.info("%s bought license %s under terms %s (tx %s)", brand.address, license_id, terms_id, result.tx_hash)
        return self.license(license_id), result

    def license(self, license_id: int) -> License:
        """License ``license_id`` with its status now. Raises NotFoundError for an unknown license."""
        require_id(license_id, "license_id")
        context = self._context
        holder, stored = context.call(self._licenses.functions.licenseForUsage(license_id), what="reading a license")
        (terms_id, twin_id, consent_id, currency, start, end, max_uses, media_mask, exclusive, price, territories) = stored
        next_sequence, uses_count, _ = context.call(context.ledger.usages.functions.meterOf(license_id), what="reading a meter")
        status, reason = self._status(license_id, twin_id, consent_id, start, end)
        operator = context.operator.address
        approved = context.call(
            self._licenses.functions.isApprovedForAll(holder, operator), what="reading an approval"
        ) or context.call(self._licenses.functions.getApproved(license_id), what="reading an approval") == operator
        return License(
            license_id=license_id,
            terms_id=terms_id,
            twin_id=twin_id,
            consent_id=consent_id,
            holder=holder,
            currency=context.payments.currency(currency),
            price_per_use=price,
            start=start,
            end=end,
            max_uses=max_uses,
            uses_count=uses_count,
            uses_left=None if max_uses == 0 else max(max_uses - uses_count, 0),
            next_sequence=next_sequence,
            channels=vocabulary.channel_names(media_mask),
            territories=[vocabulary.territory_label(code) for code in vocabulary.territories_of(territories)],
            exclusive=exclusive,
            status=status,
            status_reason=reason,
            relayer_approved=approved,
        )

    def approve_relayer(self, holder: LocalAccount) -> TxResult | None:
        """Let the service's relayer register usages for every license ``holder`` holds (ERC-721
        ``setApprovalForAll``). Returns None when the approval is already in place."""
        operator = self._context.operator.address
        if holder.address == operator:
            return None
        if self._context.call(self._licenses.functions.isApprovedForAll(holder.address, operator), what="reading an approval"):
            return None
        result = self._context.transact(holder, self._licenses.functions.setApprovalForAll(operator, True))
        logger.info("%s approved relayer %s for its licenses (tx %s)", holder.address, operator, result.tx_hash)
        return result

    def _status(self, license_id: int, twin_id: int, consent_id: int, start: int, end: int) -> tuple[str, str]:
        # The same checks, in the same order, that UsageLedger runs for a batch as a whole.
        context = self._context
        now = context.client.latest_timestamp()
        if now < start:
            return "not_started", f"the license starts at {start}; chain time is {now}"
        if now >= end:
            return "expired", f"the license ended at {end}; chain time is {now}"
        if not context.call(context.ledger.twins.functions.isTwinActive(twin_id), what="reading a twin's state"):
            return "twin_paused", f"twin {twin_id} or the registry is paused"
        _, usable_until = context.call(context.ledger.consents.functions.usageWindow(consent_id), what="reading consent")
        if now >= usable_until:
            return "consent_ended", f"consent {consent_id} allows usages until {usable_until}"
        takedown_id, _ = context.call(
            context.ledger.takedowns.functions.usageBlockers(twin_id, license_id), what="reading takedowns"
        )
        if takedown_id:
            return "taken_down", f"takedown {takedown_id} is in force against the license"
        return "active", "usages can be registered"

    def _unsellable_reason(self, terms_id: int, twin_id: int, consent_id: int, end: int, on_sale: bool) -> str | None:
        # The checks of LicenseManager.buyLicense and ConsentRegistry.requireCoverage that can turn
        # false after publication, in the contract's order. The contract stays the judge of a purchase.
        context = self._context
        if not on_sale:
            return f"the publisher withdrew terms {terms_id} from sale"
        if not context.call(context.ledger.twins.functions.isTwinActive(twin_id), what="reading a twin's state"):
            return f"twin {twin_id} or the registry is paused"
        now = context.client.latest_timestamp()
        if now >= end:
            return f"the terms ended at {end}; chain time is {now}"
        consent = context.call(context.ledger.consents.functions.consentOf(consent_id), what="reading consent")
        valid_until, revoked_at = consent[5], consent[7]
        if revoked_at:
            return f"consent {consent_id} was revoked at {revoked_at}"
        if now >= valid_until:
            return f"consent {consent_id} expired at {valid_until}; chain time is {now}"
        return None

    def _terms_view(self, terms_id: int, stored: tuple, on_sale: bool, publisher: str) -> Terms:
        (twin_id, consent_id, currency, upfront, price, unit, start, end, max_uses, media, ai, exclusive,
         transferable, royalty, legal_hash, legal_uri, territories) = stored
        unsellable_reason = self._unsellable_reason(terms_id, twin_id, consent_id, end, on_sale)
        return Terms(
            terms_id=terms_id,
            twin_id=twin_id,
            consent_id=consent_id,
            currency=self._context.payments.currency(currency),
            upfront_fee=upfront,
            price_per_use=price,
            usage_unit=vocabulary.unit_name(unit),
            start=start,
            end=end,
            max_uses=max_uses,
            channels=vocabulary.channel_names(media),
            ai_uses=vocabulary.ai_use_names(ai),
            exclusive=exclusive,
            transferable=transferable,
            resale_royalty_bps=royalty,
            legal_text_hash="0x" + bytes(legal_hash).hex(),
            legal_text_uri=legal_uri,
            territories=[vocabulary.territory_label(code) for code in vocabulary.territories_of(territories)],
            on_sale=on_sale,
            publisher=publisher,
            sellable=unsellable_reason is None,
            unsellable_reason=unsellable_reason,
        )
