"""Usage intake: check a reported usage, authorize it and store it in the outbox, idempotently.

A usage is accepted once it is committed to the outbox; the batcher (:mod:`batcher`) submits it to
the chain later. Posting the same usage id again returns the stored usage and never adds a row.

Who may report a usage for a license: its current holder. Outside dev mode the holder proves it
by signing an EIP-712 ``UsageRequest`` (see :data:`USAGE_REQUEST_TYPES`, domain ``TwinLedger API``
version 1 on this chain, verifying contract the UsageLedger). In dev mode the request may instead
name the holder's development account, and the service approves its relayer for the holder.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from twinledger.errors import AccessDeniedError, InvalidInputError, RecordNotFoundError, UsageIdConflictError
from twinledger.services import _vocabulary as vocabulary
from twinledger.services._inputs import parse_bytes32, require_id
from twinledger.services.context import DEV_MODE_HINT, AppContext
from twinledger.store import OutboxUsage, UsageStatus

__all__ = [
    "RECORD_SIZE",
    "USAGE_REQUEST_TYPES",
    "UsageInput",
    "UsageIntake",
    "UsageService",
    "UsageView",
    "pack_record",
    "usage_ref_of",
    "usage_request_message",
]

logger = logging.getLogger(__name__)

RECORD_SIZE = 55
MAX_QUANTITY = 2**32 - 1
MAX_USAGE_ID_LENGTH = 128
# Half the order of secp256k1: signatures with a larger s are the malleable twin of a valid one.
_SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0

USAGE_REQUEST_TYPES = {
    "UsageRequest": [
        {"name": "usageId", "type": "string"},
        {"name": "licenseId", "type": "uint256"},
        {"name": "assetHash", "type": "bytes32"},
        {"name": "quantity", "type": "uint32"},
        {"name": "channel", "type": "uint8"},
        {"name": "territory", "type": "uint16"},
        {"name": "deadline", "type": "uint64"},
    ]
}


@dataclass
class UsageInput:
    """A usage as a client reports it. ``deadline`` and ``signature`` carry the holder's EIP-712
    authorization; they may be left out in dev mode when the request names the holder's account."""

    usage_id: str
    license_id: int
    asset_hash: str
    quantity: int
    channel: str
    territory: str | int
    deadline: int | None = None
    signature: str | None = None


@dataclass(frozen=True)
class UsageView:
    """A usage in the outbox and how far it got."""

    usage_id: str
    license_id: int
    asset_hash: str
    quantity: int
    channel: str
    territory: str
    usage_ref: str
    holder: str
    status: str
    sequence: int | None
    tx_hash: str | None
    block_number: int | None
    fee: int | None
    error_name: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: OutboxUsage) -> UsageView:
        return cls(
            usage_id=row.usage_id,
            license_id=row.license_id,
            asset_hash=row.asset_hash,
            quantity=row.quantity,
            channel=vocabulary.channel_name(row.channel),
            territory=vocabulary.territory_label(row.territory),
            usage_ref=row.usage_ref,
            holder=row.holder,
            status=row.status,
            sequence=row.sequence if row.status in (UsageStatus.SUBMITTED, UsageStatus.CONFIRMED) else None,
            tx_hash=row.tx_hash,
            block_number=row.block_number,
            fee=int(row.fee) if row.fee is not None else None,
            error_name=row.error_name,
            error_message=row.error_message,
            created_at=_as_utc(row.created_at),
            updated_at=_as_utc(row.updated_at),
        )


def _as_utc(moment: datetime) -> datetime:
    # SQLite returns stored times without their zone; every time in the outbox is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class UsageIntake:
    """The outcome of one post: the stored usage, and whether this post created it."""

    usage: UsageView
    created: bool

    @property
    def outcome(self) -> str:
        """``accepted`` for a new usage, ``rejected_earlier`` for a known usage id whose usage was
        rejected, ``duplicate`` for a known usage id that is pending, submitted or confirmed."""
        if self.created:
            return "accepted"
        return "rejected_earlier" if self.usage.status == UsageStatus.REJECTED else "duplicate"

    @property
    def rejection(self) -> str | None:
        """Why a known usage id was rejected before and what to do, or None unless ``outcome`` is ``rejected_earlier``."""
        if self.outcome != "rejected_earlier":
            return None
        reason = (self.usage.error_message or self.usage.error_name or "no reason recorded").rstrip(".")
        return f"rejected earlier: {reason}; post it with a new usage id"


def usage_ref_of(usage_id: str) -> bytes:
    """Derive the 16-byte on-chain reference of a usage id: the UUID's bytes, or the first 16 bytes of its SHA-256."""
    try:
        return uuid.UUID(usage_id).bytes
    except ValueError:
        return hashlib.sha256(usage_id.encode()).digest()[:16]


def pack_record(asset_hash: bytes, quantity: int, channel: int, territory: int, usage_ref: bytes) -> bytes:
    """Pack one 55-byte usage record in UsageLedger's layout."""
    return asset_hash + quantity.to_bytes(4, "big") + channel.to_bytes(1, "big") + territory.to_bytes(2, "big") + usage_ref


def usage_request_message(
    chain_id: int, usage_ledger: str, *, usage_id: str, license_id: int, asset_hash: bytes,
    quantity: int, channel: int, territory: int, deadline: int,
) -> SignableMessage:
    """Build the EIP-712 ``UsageRequest`` that a license holder signs to report one usage."""
    domain = {"name": "TwinLedger API", "version": "1", "chainId": chain_id, "verifyingContract": usage_ledger}
    message = {
        "usageId": usage_id,
        "licenseId": license_id,
        "assetHash": asset_hash,
        "quantity": quantity,
        "channel": channel,
        "territory": territory,
        "deadline": deadline,
    }
    return encode_typed_data(domain, USAGE_REQUEST_TYPES, message)


@dataclass(frozen=True)
class _CheckedUsage:
    usage_id: str
    license_id: int
    asset_hash: bytes
    quantity: int
    channel: int
    territory: int
    usage_ref: bytes
    request_hash: str


@dataclass(frozen=True)
class _LicenseReading:
    """Chain reads that every usage post repeats for its license, taken at one block."""

    holder: str
    stored: tuple
    usable_until: int
    chain_time: int
    block_number: int


class UsageService:
    """Accepts usages into the outbox and reads them back."""

    def __init__(self, context: AppContext) -> None:
        self._context = context
        # Readings and relayer approvals by license, reused while the chain's head block is the
        # one they were read at: nothing they hold can change without a new block.
        self._readings: dict[int, _LicenseReading] = {}
        self._approved: dict[tuple[str, int], int] = {}
        self._cache_lock = threading.Lock()

    def _license_reading(self, license_id: int) -> _LicenseReading:
        """Read the license's holder, stored fields, consent window and the chain time at the head block."""
        context = self._context
        head = context.read(lambda: context.w3.eth.get_block("latest"), what="reading the latest block")
        with self._cache_lock:
            reading = self._readings.get(license_id)
        if reading is not None and reading.block_number == head["number"]:
            return reading
        holder, stored = context.call(context.ledger.licenses.functions.licenseForUsage(license_id), what="reading a license")
        _, usable_until = context.call(context.ledger.consents.functions.usageWindow(stored[2]), what="reading consent")
        reading = _LicenseReading(holder, tuple(stored), usable_until, int(head["timestamp"]), head["number"])
        with self._cache_lock:
            self._readings[license_id] = reading
        return reading

    # ------------------------------------------------------------------------------------------
    # Intake
    # ------------------------------------------------------------------------------------------

    def submit(self, client_id: str, request: UsageInput, *, acting: LocalAccount | None = None) -> UsageIntake:
        """Store ``request`` for ``client_id`` in the outbox, or return the usage an earlier post stored.

        ``acting`` is the dev-mode account the request names; without it the request must carry
        the holder's signature. Raises InvalidInputError, AccessDeniedError, NotFoundError (unknown
        license) or UsageIdConflictError (the usage id names a different usage).
        """
        checked = self._check(request)
        existing = self._find(client_id, checked.usage_id)
        if existing is not None:
            return self._repeat(existing, checked)

        holder = self._authorize(request, checked, acting)
        row = OutboxUsage(
            client_id=client_id,
            usage_id=checked.usage_id,
            license_id=checked.license_id,
            asset_hash="0x" + checked.asset_hash.hex(),
            quantity=checked.quantity,
            channel=checked.channel,
            territory=checked.territory,
            usage_ref="0x" + checked.usage_ref.hex(),
            request_hash=checked.request_hash,
            holder=holder,
            status=UsageStatus.PENDING,
        )
        try:
            with self._context.session() as session:
                session.add(row)
        except IntegrityError:
            # A concurrent post of the same usage id won the insert, or another client already
            # reported this usage reference for the license.
            existing = self._find(client_id, checked.usage_id)
            if existing is not None:
                return self._repeat(existing, checked)
            raise UsageIdConflictError(
                f"usage id {checked.usage_id!r} was already reported for license {checked.license_id} by another "
                "client: give each usage its own id",
                details={"usage_id": checked.usage_id, "license_id": checked.license_id},
            ) from None
        logger.info("accepted usage %s of client %s for license %s", checked.usage_id, client_id, checked.license_id)
        return UsageIntake(UsageView.of(row), created=True)

    def get(self, client_id: str, usage_id: str) -> UsageView:
        """Read the usage ``usage_id`` that ``client_id`` reported, or raise RecordNotFoundError."""
        row = self._find(client_id, usage_id)
        if row is None:
            raise RecordNotFoundError(
                f"usage {usage_id!r} was never accepted from this client: post it to /usages first",
                details={"usage_id": usage_id},
            )
        return UsageView.of(row)

    def status_counts(self) -> dict[str, int]:
        """Number of outbox rows in each state."""
        with self._context.session() as session:
            counts = dict(session.execute(select(OutboxUsage.status, func.count()).group_by(OutboxUsage.status)).all())
        return {status: counts.get(status, 0) for status in UsageStatus.ALL}

    def message_for(self, request: UsageInput) -> SignableMessage:
        """Build the EIP-712 message that the license holder signs for ``request``."""
        checked = self._check(request)
        if request.deadline is None:
            raise InvalidInputError("deadline is missing: a signed usage request needs a Unix-time deadline", details={})
        return usage_request_message(
            self._context.client.chain_id, self._context.ledger.usages.address,
            usage_id=checked.usage_id, license_id=checked.license_id, asset_hash=checked.asset_hash,
            quantity=checked.quantity, channel=checked.channel, territory=checked.territory, deadline=request.deadline,
        )

    def sign(self, holder: LocalAccount, request: UsageInput, *, valid_for: int = 3600) -> UsageInput:
        """Sign a copy of ``request`` as ``holder``, valid for ``valid_for`` seconds (for clients and tests)."""
        signed = UsageInput(**{**request.__dict__, "deadline": request.deadline or int(time.time()) + valid_for})
        signed.signature = "0x" + bytes(holder.sign_message(self.message_for(signed)).signature).hex()
        return signed

    # ------------------------------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------------------------------

    def _check(self, request: UsageInput) -> _CheckedUsage:
        usage_id = (request.usage_id or "").strip()
        if not usage_id or len(usage_id) > MAX_USAGE_ID_LENGTH or not usage_id.isprintable():
            raise InvalidInputError(
                f"usage_id {request.usage_id!r} is not valid: pass 1 to {MAX_USAGE_ID_LENGTH} printable characters, "
                "for example a UUID",
                details={"usage_id": request.usage_id},
            )
        license_id = require_id(request.license_id, "license_id")
        asset_hash = parse_bytes32(request.asset_hash, "asset_hash")
        if asset_hash == bytes(32):
            raise InvalidInputError("asset_hash is all zeros: pass the SHA-256 of the asset file", details={"asset_hash": request.asset_hash})
        if not 1 <= request.quantity <= MAX_QUANTITY:
            raise InvalidInputError(
                f"quantity {request.quantity} is out of range: pass 1 to {MAX_QUANTITY} units of the license's unit",
                details={"quantity": request.quantity},
            )
        channel = vocabulary.channel_code(request.channel)
        territory = vocabulary.territory_code(request.territory)
        fingerprint = f"{license_id}|{asset_hash.hex()}|{request.quantity}|{channel}|{territory}"
        return _CheckedUsage(
            usage_id=usage_id,
            license_id=license_id,
            asset_hash=asset_hash,
            quantity=request.quantity,
            channel=channel,
            territory=territory,
            usage_ref=usage_ref_of(usage_id),
            request_hash="0x" + hashlib.sha256(fingerprint.encode()).hexdigest(),
        )

    def _find(self, client_id: str, usage_id: str) -> OutboxUsage | None:
        with self._context.session() as session:
            return session.scalars(
                select(OutboxUsage).where(OutboxUsage.client_id == client_id, OutboxUsage.usage_id == usage_id.strip())
            ).one_or_none()

    @staticmethod
    def _repeat(existing: OutboxUsage, checked: _CheckedUsage) -> UsageIntake:
        if existing.request_hash != checked.request_hash:
            raise UsageIdConflictError(
                f"usage id {checked.usage_id!r} was already used for a different usage (license "
                f"{existing.license_id}, asset {existing.asset_hash}, quantity {existing.quantity}): give each usage its own id",
                details={"usage_id": checked.usage_id, "license_id": existing.license_id},
            )
        return UsageIntake(UsageView.of(existing), created=False)

    def _authorize(self, request: UsageInput, checked: _CheckedUsage, acting: LocalAccount | None) -> str:
        """Check that the holder of the license authorized the usage; return the holder."""
        context = self._context
        reading = self._license_reading(checked.license_id)
        holder, stored = reading.holder, reading.stored
        if request.signature:
            signer = self._recover(request, checked)
            if signer != holder:
                raise AccessDeniedError(
                    f"the usage request is signed by {signer}, but license {checked.license_id} is held by {holder}: "
                    "sign with the holder's key",
                    details={"signer": signer, "holder": holder, "license_id": checked.license_id},
                )
        elif acting is not None and context.settings.dev_mode:
            if acting.address != holder:
                raise AccessDeniedError(
                    f"account {acting.address} does not hold license {checked.license_id}; its holder is {holder}",
                    details={"account": acting.address, "holder": holder, "license_id": checked.license_id},
                )
            if not self._approved_at(holder, checked.license_id, reading.block_number):
                context.licenses.approve_relayer(acting)
        else:
            hint = "" if context.settings.dev_mode else (
                "; outside dev mode the service cannot sign for the holder, and naming the holder's account is "
                f"accepted only in dev mode: {DEV_MODE_HINT}"
            )
            raise AccessDeniedError(
                "the usage request is not authorized: sign it as the license holder (EIP-712 UsageRequest, "
                f"fields deadline and signature){hint}",
                details={"license_id": checked.license_id},
            )
        self._require_relayer_approved(holder, checked.license_id, reading.block_number)
        self._require_in_scope(checked, stored)
        self._require_usable_now(checked, reading)
        return holder

    def _approved_at(self, holder: str, license_id: int, block_number: int) -> bool:
        with self._cache_lock:
            return self._approved.get((holder, license_id)) == block_number

    def _recover(self, request: UsageInput, checked: _CheckedUsage) -> str:
        if request.deadline is None:
            raise InvalidInputError("deadline is missing: a signed usage request needs a Unix-time deadline", details={})
        if request.deadline < int(time.time()):
            raise AccessDeniedError(
                f"the usage request's signature expired at {request.deadline}: sign it again with a later deadline",
                details={"deadline": request.deadline},
            )
        try:
            signature = bytes.fromhex(request.signature.removeprefix("0x"))
        except ValueError:
            signature = b""
        if len(signature) != 65:
            raise InvalidInputError("signature is not 65 bytes of hex (r, s, v)", details={"signature": request.signature})
        if int.from_bytes(signature[32:64], "big") > _SECP256K1_HALF_N:
            raise AccessDeniedError("the signature is malleable (s in the upper half): sign again with a standard signer", details={})
        try:
            return Account.recover_message(self.message_for(request), signature=signature)
        except Exception:  # eth-keys raises several types for a signature that recovers no key
            raise AccessDeniedError("the signature recovers no signer: sign the UsageRequest again", details={}) from None

    def _require_relayer_approved(self, holder: str, license_id: int, block_number: int) -> None:
        context = self._context
        operator = context.operator.address
        if holder == operator or self._approved_at(holder, license_id, block_number):
            return
        licenses = context.ledger.licenses.functions
        approved = context.call(licenses.isApprovedForAll(holder, operator), what="reading an approval") or (
            context.call(licenses.getApproved(license_id), what="reading an approval") == operator
        )
        if approved:
            with self._cache_lock:
                self._approved[(holder, license_id)] = block_number
            return
        raise AccessDeniedError(
            f"holder {holder} has not approved the relayer {operator} for license {license_id}: call "
            f"setApprovalForAll({operator}, true) on the LicenseManager {context.ledger.licenses.address}",
            details={"holder": holder, "relayer": operator, "license_id": license_id},
        )

    def _require_in_scope(self, checked: _CheckedUsage, stored: tuple) -> None:
        # The usage ledger checks the same; rejecting here responds at once instead of after a batch.
        media_mask, territories = stored[7], stored[10]
        if not media_mask >> checked.channel & 1:
            raise InvalidInputError(
                f"license {checked.license_id} does not cover channel {vocabulary.channel_name(checked.channel)}: "
                f"it covers {', '.join(vocabulary.channel_names(media_mask))}",
                details={"channel": vocabulary.channel_name(checked.channel), "license_id": checked.license_id},
            )
        if checked.territory not in vocabulary.territories_of(territories):
            covered = ", ".join(vocabulary.territory_label(code) for code in vocabulary.territories_of(territories))
            raise InvalidInputError(
                f"license {checked.license_id} does not cover territory "
                f"{vocabulary.territory_label(checked.territory)}: it covers {covered}",
                details={"territory": vocabulary.territory_label(checked.territory), "license_id": checked.license_id},
            )

    def _require_usable_now(self, checked: _CheckedUsage, reading: _LicenseReading) -> None:
        # UsageLedger runs the same time checks when the batch lands and stays the final judge.
        # Rejecting here returns the error at once instead of after a batch.
        context = self._context
        license_id = checked.license_id
        start, end, consent_id = reading.stored[4], reading.stored[5], reading.stored[2]
        # The batch lands in a later block, whose timestamp is at least the wall clock on a node
        # that mines on demand, so a quiet chain's old head time would understate it.
        now = max(reading.chain_time, int(time.time()))
        if now < start:
            raise InvalidInputError(
                f"license {license_id} starts at {_moment(start)} (chain time {_moment(now)}): report usages of it "
                "from then on",
                details={"license_id": license_id, "start": start, "chain_time": now},
            )
        if now >= end:
            raise InvalidInputError(
                f"license {license_id} ended at {_moment(end)} (chain time {_moment(now)}): buy a new license to "
                "report more usages",
                details={"license_id": license_id, "end": end, "chain_time": now},
            )
        usable_until = reading.usable_until
        if now >= usable_until:
            revoked_at = context.call(context.ledger.consents.functions.consentOf(consent_id), what="reading consent")[7]
            how = f"was revoked at {_moment(revoked_at)} and its notice period" if revoked_at else "expired, and it"
            raise InvalidInputError(
                f"license {license_id} can no longer be used: its consent {consent_id} {how} ended at "
                f"{_moment(usable_until)} (chain time {_moment(now)}); ask the model for a new consent and buy a "
                "license under terms that use it",
                details={
                    "license_id": license_id, "consent_id": consent_id, "end": usable_until,
                    "revoked_at": revoked_at or None, "chain_time": now,
                },
            )


def _moment(timestamp: int) -> str:
    """Format Unix seconds as UTC time followed by the number itself, for messages."""
    return f"{datetime.fromtimestamp(timestamp, timezone.utc):%Y-%m-%d %H:%M:%S} UTC ({timestamp})"
