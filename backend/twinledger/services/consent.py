"""Consent: the model's grants of consent to use a twin, their revocation and their status.

A grant states the scope (channels, territories, AI uses), purpose, remuneration, validity and the
notice period after a revocation: the consent part of a digital-replica agreement. The twin's
owner grants or revokes it directly (a transaction from the owner's account), or signs an EIP-712
message that any relayer submits. Messages use the ConsentRegistry's domain: name ``TwinLedger
Consent``, version ``1``, this chain's id and the registry's address. :meth:`ConsentService.grant_typed_data`
and :meth:`ConsentService.revocation_typed_data` return the full typed data, ready for
``eth_account.Account.sign_typed_data(full_message=...)`` or a wallet's ``eth_signTypedData_v4``.

Before a signed message is submitted, the service checks what it can off-chain (the deadline against
chain time, the signature's form, the signer) so that a bad signature fails with a reason instead
of a bare revert. The registry checks everything again; for an owner that is a smart-contract
wallet (ERC-1271) only the registry can check the signature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from twinledger.chain import TxResult
from twinledger.errors import AccessDeniedError, InvalidInputError
from twinledger.services import _vocabulary as vocabulary
from twinledger.services._inputs import require_id
from twinledger.services.context import AppContext

__all__ = [
    "CONSENT_DOMAIN_NAME",
    "CONSENT_DOMAIN_VERSION",
    "CONSENT_GRANT_TYPES",
    "CONSENT_REVOCATION_TYPES",
    "Consent",
    "ConsentInput",
    "ConsentService",
    "TypedData",
    "parse_duration",
]

logger = logging.getLogger(__name__)

CONSENT_DOMAIN_NAME = "TwinLedger Consent"
CONSENT_DOMAIN_VERSION = "1"
DAY = 86_400
# ConsentRegistry.MAX_NOTICE_PERIOD.
MAX_NOTICE_PERIOD = 365 * DAY
MAX_UINT64 = 2**64 - 1
# Purpose and remuneration are stored in the grant event's calldata, so their length costs gas.
MAX_TEXT_LENGTH = 2000
# Default lifetime of a signature that the service prepares, in seconds of chain time.
DEFAULT_SIGNATURE_LIFETIME = 3600
# Half the order of secp256k1: a signature with a larger s is the malleable twin of a valid one.
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0

_EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
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

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": DAY, "w": 7 * DAY}


def parse_duration(value: str | int, field_name: str = "duration") -> int:
    """Parse a duration into seconds, given as seconds (``3600``) or with a unit (``90s``, ``30m``, ``48h``, ``7d``, ``2w``)."""
    if isinstance(value, int):
        seconds = value
    else:
        text = value.strip().lower()
        unit = _DURATION_UNITS.get(text[-1:]) if text else None
        number = text[:-1] if unit else text
        if not number.isdigit():
            raise InvalidInputError(
                f"{field_name} {value!r} is not a duration: pass seconds or a number with s, m, h, d or w (7d)",
                details={field_name: value},
            )
        seconds = int(number) * (unit or 1)
    if seconds < 0:
        raise InvalidInputError(f"{field_name} {value!r} is negative: pass 0 or more", details={field_name: value})
    return seconds


@dataclass
class ConsentInput:
    """A consent grant as the model states it, in names rather than codes.

    ``territories`` takes ISO 3166-1 codes (FR, FRA, 250) and region names (eu, eea, worldwide, ...).
    Times are Unix seconds; ``valid_from`` defaults to the chain's current time. ``nonce`` and
    ``deadline`` matter only for a signed grant and default to the owner's next nonce and one hour
    of chain time.
    """

    twin_id: int
    channels: list[str]
    territories: list[str | int]
    purpose: str
    remuneration: str
    valid_until: int
    valid_from: int | None = None
    # ai_use, the core permission of a digital-twin campaign, so that default terms (which request
    # it) fit a default consent. An explicit empty list grants no AI use.
    ai_uses: list[str] = field(default_factory=lambda: ["ai_use"])
    notice_period: int = 0
    nonce: int | None = None
    deadline: int | None = None


@dataclass(frozen=True)
class Consent:
    """A consent grant and its status now.

    ``status`` is ``live`` (usable now), ``not_started`` (before ``valid_from``), ``revoked`` or
    ``expired``. A revoked grant still lets usages under licenses already sold run until
    ``usable_until``, the end of its notice period; ``usages_allowed`` says whether that time has come.
    """

    consent_id: int
    twin_id: int
    grantor: str
    channels: list[str]
    territories: list[str]
    ai_uses: list[str]
    purpose: str | None
    remuneration: str | None
    valid_from: int
    valid_until: int
    notice_period: int
    grant_hash: str
    status: str
    revoked_at: int | None
    revoked_by: str | None
    usable_until: int
    usages_allowed: bool
    granted_tx: str | None


@dataclass(frozen=True)
class TypedData:
    """An EIP-712 message to sign: the full typed data, its digest, and the values it was built from."""

    full_message: dict[str, Any]
    digest: str
    grant: ConsentInput | None = None

    def signable(self) -> SignableMessage:
        return encode_typed_data(full_message=self.full_message)


class ConsentService:
    """Grants, revokes and reads consent; prepares and checks signed consent messages."""

    def __init__(self, context: AppContext) -> None:
        self._context = context
        self._registry = context.ledger.consents

    # ------------------------------------------------------------------------------------------
    # Grants
    # ------------------------------------------------------------------------------------------

    def grant(self, owner: LocalAccount, request: ConsentInput) -> tuple[Consent, TxResult]:
        """Record ``request`` as a grant by ``owner``, who must own the twin (a direct transaction)."""
        # The registry ignores nonce and deadline on a direct grant.
        grant = self._grant_struct(replace(request, nonce=0, deadline=0))
        result = self._context.transact(owner, self._registry.functions.grantConsent(grant))
        return self._granted(result, request.twin_id)

    def grant_typed_data(self, request: ConsentInput) -> TypedData:
        """Build the EIP-712 ``ConsentGrant`` that the twin's owner signs for ``request``.

        Fills in the defaults (start now, the owner's next nonce, a deadline one hour ahead) and
        returns them in ``grant``, so the caller submits exactly the values that were signed.
        """
        complete = self._complete_for_signing(request)
        grant = self._grant_struct(complete)
        return self._typed_data("ConsentGrant", CONSENT_GRANT_TYPES, grant, complete)

    def sign_grant(self, owner: LocalAccount, request: ConsentInput) -> tuple[ConsentInput, str]:
        """Sign ``request`` as ``owner`` (dev mode, tests, the CLI); return the completed grant and the signature."""
        typed = self.grant_typed_data(request)
        signature = owner.sign_message(typed.signable()).signature
        assert typed.grant is not None
        return typed.grant, "0x" + bytes(signature).hex()

    def submit_signed_grant(self, relayer: LocalAccount, request: ConsentInput, signature: str) -> tuple[Consent, TxResult]:
        """Submit a grant signed by the twin's owner, paying the gas as ``relayer``.

        ``request`` must carry the ``valid_from``, ``nonce`` and ``deadline`` that were signed.
        Raises InvalidInputError for a malformed value, AccessDeniedError for an expired, malleable
        or foreign signature, and the registry's errors (ConflictError for a used nonce).
        """
        for name in ("valid_from", "nonce", "deadline"):
            if getattr(request, name) is None:
                raise InvalidInputError(
                    f"{name} is missing: a signed grant must carry the {name} that was signed "
                    "(the typed-data response lists it)",
                    details={name: None},
                )
        grant = self._grant_struct(request)
        owner = self._twin_owner(request.twin_id)
        message = self._typed_data("ConsentGrant", CONSENT_GRANT_TYPES, grant, request).signable()
        raw = self._check_signature(owner, message, signature, request.deadline)

        result = self._context.transact(relayer, self._registry.functions.grantConsentWithSignature(grant, raw))
        return self._granted(result, request.twin_id)

    # ------------------------------------------------------------------------------------------
    # Revocations
    # ------------------------------------------------------------------------------------------

    def revoke(self, owner: LocalAccount, consent_id: int) -> tuple[Consent, TxResult]:
        """Revoke ``consent_id`` as ``owner``, who must own the grant's twin (a direct transaction)."""
        require_id(consent_id, "consent_id")
        result = self._context.transact(owner, self._registry.functions.revokeConsent(consent_id))
        return self._revoked(result, consent_id)

    def revocation_typed_data(self, consent_id: int, *, nonce: int | None = None, deadline: int | None = None) -> TypedData:
        """Build the EIP-712 ``ConsentRevocation`` that the twin's owner signs to revoke ``consent_id``.

        ``nonce`` defaults to the owner's next nonce and ``deadline`` to one hour of chain time ahead.
        """
        consent = self.get(consent_id)
        owner = self._twin_owner(consent.twin_id)
        nonce = self._nonce_of(owner) if nonce is None else nonce
        deadline = self._default_deadline() if deadline is None else deadline
        self._check_uint(nonce, "nonce", 2**256 - 1)
        self._check_uint(deadline, "deadline", MAX_UINT64)
        message = {"consentId": consent_id, "nonce": nonce, "deadline": deadline}
        return self._typed_data("ConsentRevocation", CONSENT_REVOCATION_TYPES, message, None)

    def sign_revocation(self, owner: LocalAccount, consent_id: int) -> tuple[int, int, str]:
        """Sign a revocation of ``consent_id`` as ``owner``; return the nonce, deadline and signature."""
        typed = self.revocation_typed_data(consent_id)
        signature = owner.sign_message(typed.signable()).signature
        message = typed.full_message["message"]
        return message["nonce"], message["deadline"], "0x" + bytes(signature).hex()

    def submit_signed_revocation(
        self, relayer: LocalAccount, consent_id: int, *, nonce: int, deadline: int, signature: str
    ) -> tuple[Consent, TxResult]:
        """Submit a revocation signed by the twin's owner, paying the gas as ``relayer``."""
        require_id(consent_id, "consent_id")
        self._check_uint(nonce, "nonce", 2**256 - 1)
        self._check_uint(deadline, "deadline", MAX_UINT64)
        consent = self.get(consent_id)
        owner = self._twin_owner(consent.twin_id)
        message = {"consentId": consent_id, "nonce": nonce, "deadline": deadline}
        signable = self._typed_data("ConsentRevocation", CONSENT_REVOCATION_TYPES, message, None).signable()
        raw = self._check_signature(owner, signable, signature, deadline)

        function = self._registry.functions.revokeConsentWithSignature(consent_id, nonce, deadline, raw)
        result = self._context.transact(relayer, function)
        return self._revoked(result, consent_id)

    # ------------------------------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------------------------------

    def get(self, consent_id: int) -> Consent:
        """Read consent ``consent_id`` with its status now. Raises NotFoundError for an unknown consent."""
        require_id(consent_id, "consent_id")
        stored = self._context.call(self._registry.functions.consentOf(consent_id), what="reading a consent")
        granted = self._logs("ConsentGranted", {"consentId": consent_id})
        revoked = self._logs("ConsentRevoked", {"consentId": consent_id})
        return self._view(consent_id, stored, granted[0] if granted else None, revoked[0] if revoked else None)

    def list_for_twin(self, twin_id: int) -> list[Consent]:
        """List every consent granted for ``twin_id``, oldest first. Raises NotFoundError for an unknown twin."""
        require_id(twin_id, "twin_id")
        self._twin_owner(twin_id)
        # NOTE: this reads the registry's events from the deployment block on. A node that caps the
        # block range of eth_getLogs needs the audit indexer's event index instead.
        granted = self._logs("ConsentGranted", {"twinId": twin_id})
        revoked = {log["args"]["consentId"]: log for log in self._logs("ConsentRevoked", {"twinId": twin_id})}
        consents = []
        for log in granted:
            consent_id = log["args"]["consentId"]
            stored = self._context.call(self._registry.functions.consentOf(consent_id), what="reading a consent")
            consents.append(self._view(consent_id, stored, log, revoked.get(consent_id)))
        return consents

    def nonce_of(self, owner: str) -> int:
        """Return the next consent-signature nonce of ``owner``."""
        return self._nonce_of(owner)

    # ------------------------------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------------------------------

    def _grant_struct(self, request: ConsentInput) -> dict[str, Any]:
        """Build the registry's ConsentGrant struct for ``request``. Raises InvalidInputError naming a bad value."""
        require_id(request.twin_id, "twin_id")
        purpose = (request.purpose or "").strip()
        if not purpose:
            raise InvalidInputError(
                "purpose is empty: state what the twin may be used for, for example 'spring campaign imagery'",
                details={"purpose": request.purpose},
            )
        for name, text in (("purpose", purpose), ("remuneration", request.remuneration or "")):
            if len(text) > MAX_TEXT_LENGTH:
                raise InvalidInputError(
                    f"{name} is {len(text)} characters long: shorten it to at most {MAX_TEXT_LENGTH} and link the full text",
                    details={name: len(text)},
                )
        now = self._context.client.latest_timestamp()
        valid_from = now if request.valid_from is None else request.valid_from
        self._check_uint(valid_from, "valid_from", MAX_UINT64)
        self._check_uint(request.valid_until, "valid_until", MAX_UINT64)
        if request.valid_until <= valid_from:
            raise InvalidInputError(
                f"valid_until {request.valid_until} is not after valid_from {valid_from}: the consent must end after it starts",
                details={"valid_from": valid_from, "valid_until": request.valid_until},
            )
        if request.valid_until <= now:
            raise InvalidInputError(
                f"valid_until {request.valid_until} is already past (chain time {now}): pass a later Unix time in seconds",
                details={"valid_until": request.valid_until, "chain_time": now},
            )
        if not 0 <= request.notice_period <= MAX_NOTICE_PERIOD:
            raise InvalidInputError(
                f"notice_period {request.notice_period} is out of range: pass 0 to {MAX_NOTICE_PERIOD} seconds (365 days)",
                details={"notice_period": request.notice_period},
            )
        codes = vocabulary.region_or_territory_codes(request.territories)
        return {
            "twinId": request.twin_id,
            "mediaMask": vocabulary.channel_mask(request.channels),
            "territories": vocabulary.territory_bitmap(codes),
            "aiUseMask": vocabulary.ai_use_mask(request.ai_uses),
            "purpose": purpose,
            "remuneration": request.remuneration or "",
            "validFrom": valid_from,
            "validUntil": request.valid_until,
            "noticePeriod": request.notice_period,
            "nonce": self._check_uint(request.nonce or 0, "nonce", 2**256 - 1),
            "deadline": self._check_uint(request.deadline or 0, "deadline", MAX_UINT64),
        }

    def _complete_for_signing(self, request: ConsentInput) -> ConsentInput:
        require_id(request.twin_id, "twin_id")
        owner = self._twin_owner(request.twin_id)
        return replace(
            request,
            valid_from=self._context.client.latest_timestamp() if request.valid_from is None else request.valid_from,
            nonce=self._nonce_of(owner) if request.nonce is None else request.nonce,
            deadline=self._default_deadline() if request.deadline is None else request.deadline,
        )

    def _typed_data(
        self, primary_type: str, types: dict[str, Any], message: dict[str, Any], grant: ConsentInput | None
    ) -> TypedData:
        full_message = {
            "types": {"EIP712Domain": _EIP712_DOMAIN_TYPE, **types},
            "primaryType": primary_type,
            "domain": {
                "name": CONSENT_DOMAIN_NAME,
                "version": CONSENT_DOMAIN_VERSION,
                "chainId": self._context.client.chain_id,
                "verifyingContract": self._registry.address,
            },
            "message": message,
        }
        signable = encode_typed_data(full_message=full_message)
        digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
        return TypedData(full_message=full_message, digest="0x" + digest.hex(), grant=grant)

    def _check_signature(self, owner: str, message: SignableMessage, signature: str, deadline: int) -> bytes:
        """Check the deadline, form and signer off-chain, and return the signature's bytes."""
        text = signature.strip() if isinstance(signature, str) else ""
        try:
            raw = bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raw = b""
        if not raw:
            raise InvalidInputError(
                f"signature {signature!r} is not hex: pass the signature as 0x-prefixed hex (65 bytes r, s, v for an account key)",
                details={"signature": signature},
            )
        now = self._context.client.latest_timestamp()
        if deadline < now:
            raise AccessDeniedError(
                f"the signature expired at {deadline} (chain time {now}): sign the message again with a later deadline",
                details={"deadline": deadline, "chain_time": now},
            )
        code = self._context.read(lambda: self._context.w3.eth.get_code(owner), what="reading the owner's code")
        if len(code) > 0:
            # A smart-contract wallet validates signatures through ERC-1271, which only the registry can call.
            return raw
        if len(raw) != 65:
            raise InvalidInputError(
                f"signature is {len(raw)} bytes long: an account key's signature is 65 bytes (r, s, v)",
                details={"signature": signature},
            )
        if int.from_bytes(raw[32:64], "big") > _SECP256K1_HALF_N:
            raise AccessDeniedError(
                "the signature is malleable (s in the upper half of the curve order): sign again with a standard signer",
                details={"signature": signature},
            )
        try:
            signer = Account.recover_message(message, signature=raw)
        except Exception:  # eth-keys raises several types for a signature that recovers no key
            raise AccessDeniedError(
                "the signature recovers no signer: sign the typed data again", details={"signature": signature}
            ) from None
        if signer != owner:
            raise AccessDeniedError(
                f"the signature is by {signer}, not by the twin's owner {owner}: it was made for another message, "
                "action, chain or contract, or with another key; sign the typed data that this service returns",
                details={"signer": signer, "owner": owner},
            )
        return raw

    def _granted(self, result: TxResult, twin_id: int) -> tuple[Consent, TxResult]:
        consent_id = self._context.events(result, self._registry, "ConsentGranted")[0]["args"]["consentId"]
        logger.info(
            "granted consent %s for twin %s (tx %s, block %s)", consent_id, twin_id, result.tx_hash, result.block_number
        )
        return self.get(consent_id), result

    def _revoked(self, result: TxResult, consent_id: int) -> tuple[Consent, TxResult]:
        event = self._context.events(result, self._registry, "ConsentRevoked")[0]["args"]
        logger.info(
            "revoked consent %s, usable until %s (tx %s, block %s)",
            consent_id, event["usableUntil"], result.tx_hash, result.block_number,
        )
        return self.get(consent_id), result

    def _view(self, consent_id: int, stored: tuple, granted: Any, revoked: Any) -> Consent:
        (twin_id, grantor, media_mask, ai_mask, valid_from, valid_until, notice_period, revoked_at, grant_hash,
         territories) = stored
        _, usable_until = self._context.call(self._registry.functions.usageWindow(consent_id), what="reading a consent")
        now = self._context.client.latest_timestamp()
        if revoked_at:
            status = "revoked"
        elif now >= valid_until:
            status = "expired"
        elif now < valid_from:
            status = "not_started"
        else:
            status = "live"
        grant = granted["args"]["grant"] if granted is not None else None
        return Consent(
            consent_id=consent_id,
            twin_id=twin_id,
            grantor=grantor,
            channels=vocabulary.channel_names(media_mask),
            territories=[vocabulary.territory_label(code) for code in vocabulary.territories_of(territories)],
            ai_uses=vocabulary.ai_use_names(ai_mask),
            purpose=grant["purpose"] if grant is not None else None,
            remuneration=grant["remuneration"] if grant is not None else None,
            valid_from=valid_from,
            valid_until=valid_until,
            notice_period=notice_period,
            grant_hash="0x" + bytes(grant_hash).hex(),
            status=status,
            revoked_at=revoked_at or None,
            revoked_by=revoked["args"]["revokedBy"] if revoked is not None else None,
            usable_until=usable_until,
            usages_allowed=valid_from <= now < usable_until,
            granted_tx="0x" + bytes(granted["transactionHash"]).hex() if granted is not None else None,
        )

    def _logs(self, event_name: str, filters: dict[str, Any]) -> list[Any]:
        event = getattr(self._registry.events, event_name)
        from_block = self._context.ledger.deployment.deployment_block
        return list(
            self._context.read(
                lambda: event.get_logs(argument_filters=filters, from_block=from_block, to_block="latest"),
                what=f"reading {event_name} events",
            )
        )

    def _twin_owner(self, twin_id: int) -> str:
        return self._context.call(self._context.ledger.twins.functions.twinOwner(twin_id), what="reading a twin's owner")

    def _nonce_of(self, owner: str) -> int:
        return self._context.call(self._registry.functions.nonces(owner), what="reading a consent nonce")

    def _default_deadline(self) -> int:
        return self._context.client.latest_timestamp() + DEFAULT_SIGNATURE_LIFETIME

    @staticmethod
    def _check_uint(value: int, name: str, maximum: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
            raise InvalidInputError(
                f"{name} {value!r} is out of range: pass a whole number from 0 to {maximum}", details={name: value}
            )
        return value
