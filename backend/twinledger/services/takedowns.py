"""Takedowns: filing a takedown of an asset or a license, the licensee's answer, and withdrawal.

A takedown takes effect in the block that files it: from then on the UsageLedger rejects every
usage of the asset (``UsageLedgerAssetTakenDown``) or under the license (``UsageLedgerLicenseTakenDown``)
until the twin's owner or an agent withdraws it. The licensee acknowledges it and reports removal,
and each step carries a block timestamp, so the time to acknowledge and the time to resolve are
measured on-chain. Ages are in seconds of chain time.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from twinledger.chain import TxResult
from twinledger.errors import InvalidInputError
from twinledger.services import _vocabulary as vocabulary
from twinledger.services._inputs import parse_address, parse_bytes32, require_id
from twinledger.services.context import AppContext

__all__ = ["STATUSES", "Takedown", "TakedownService", "file_sha256", "parse_hash_or_file"]

logger = logging.getLogger(__name__)

TARGET_ASSET = 0
TARGET_LICENSE = 1
# TakedownRegistry.Status, by its numeric value.
STATUSES = ("none", "filed", "acknowledged", "removal_reported", "withdrawn")
_READ_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> bytes:
    """Hash the file at ``path`` with SHA-256. Raises InvalidInputError when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise InvalidInputError(
            f"cannot read {path} ({error.strerror or error.__class__.__name__}): pass an existing file or a hex hash",
            details={"path": str(path)},
        ) from None
    return digest.digest()


def parse_hash_or_file(value: str, field_name: str) -> bytes:
    """Parse 64 hex digits into 32 bytes, or hash the file that ``value`` names with SHA-256."""
    text = value.strip()
    hex_text = text.removeprefix("0x").removeprefix("0X")
    if len(hex_text) == 64 and all(c in "0123456789abcdefABCDEF" for c in hex_text):
        return bytes.fromhex(hex_text)
    if Path(text).is_file():
        return file_sha256(text)
    raise InvalidInputError(
        f"{field_name} {value!r} is neither 64 hex digits nor a readable file: pass a SHA-256 digest or a file path",
        details={field_name: value},
    )


@dataclass(frozen=True)
class Takedown:
    """A takedown, its status and its ages in seconds of chain time.

    ``license_id`` of an asset takedown names the licensee asked to remove the asset, or is 0 for
    every licensee of the twin. A takedown is in force until withdrawn, removal reported or not.
    ``time_to_resolve`` runs from filing to the removal report, or to the withdrawal when that came first.
    """

    takedown_id: int
    twin_id: int
    license_id: int
    target: str
    asset_hash: str | None
    reason: str
    reason_code: int
    evidence_hash: str
    filed_by: str
    status: str
    in_force: bool
    filed_at: int
    acknowledged_at: int | None
    removal_reported_at: int | None
    withdrawn_at: int | None
    age: int
    time_to_acknowledge: int | None
    time_to_resolve: int | None


class TakedownService:
    """Files, acknowledges, resolves, withdraws and lists takedowns, and manages takedown agents."""

    def __init__(self, context: AppContext) -> None:
        self._context = context
        self._registry = context.ledger.takedowns

    # ------------------------------------------------------------------------------------------
    # The twin's owner or agent
    # ------------------------------------------------------------------------------------------

    def file_asset_takedown(
        self,
        filer: LocalAccount,
        twin_id: int,
        asset_hash: str | bytes,
        *,
        reason: str,
        evidence_hash: str | bytes | None = None,
        license_id: int = 0,
    ) -> tuple[Takedown, TxResult]:
        """Take down asset ``asset_hash`` (its SHA-256) of ``twin_id`` for every licensee, or for ``license_id``.

        ``filer`` must own the twin or be one of its agents.
        """
        require_id(twin_id, "twin_id")
        asset = parse_bytes32(asset_hash, "asset_hash")
        if asset == bytes(32):
            raise InvalidInputError(
                "asset_hash is all zeros: pass the SHA-256 of the asset file", details={"asset_hash": "0x" + asset.hex()}
            )
        if license_id:
            require_id(license_id, "license_id")
        reason_code = vocabulary.takedown_reason_code(reason)
        evidence = self._evidence(evidence_hash)

        function = self._registry.functions.fileAssetTakedown(twin_id, asset, license_id, reason_code, evidence)
        result = self._context.transact(filer, function)
        return self._filed(result)

    def file_license_takedown(
        self, filer: LocalAccount, license_id: int, *, reason: str, evidence_hash: str | bytes | None = None
    ) -> tuple[Takedown, TxResult]:
        """Take down license ``license_id`` as a whole; ``filer`` must own its twin or be an agent."""
        require_id(license_id, "license_id")
        reason_code = vocabulary.takedown_reason_code(reason)
        evidence = self._evidence(evidence_hash)

        result = self._context.transact(filer, self._registry.functions.fileLicenseTakedown(license_id, reason_code, evidence))
        return self._filed(result)

    def withdraw(self, filer: LocalAccount, takedown_id: int) -> tuple[Takedown, TxResult]:
        """Withdraw ``takedown_id``: usages of its asset or license are accepted again."""
        require_id(takedown_id, "takedown_id")
        result = self._context.transact(filer, self._registry.functions.withdrawTakedown(takedown_id))
        logger.info("withdrew takedown %s (tx %s, block %s)", takedown_id, result.tx_hash, result.block_number)
        return self.get(takedown_id), result

    def set_agent(self, owner: LocalAccount, twin_id: int, agent: str, *, approved: bool = True) -> TxResult:
        """Approve ``agent`` to file and withdraw takedowns for ``twin_id``, or remove it; ``owner`` owns the twin."""
        require_id(twin_id, "twin_id")
        agent = parse_address(agent, "agent")
        result = self._context.transact(owner, self._registry.functions.setAgent(twin_id, agent, approved))
        logger.info(
            "%s takedown agent %s for twin %s (tx %s, block %s)",
            "approved" if approved else "removed", agent, twin_id, result.tx_hash, result.block_number,
        )
        return result

    def is_agent(self, twin_id: int, agent: str) -> bool:
        require_id(twin_id, "twin_id")
        agent = parse_address(agent, "agent")
        return self._context.call(self._registry.functions.isAgent(twin_id, agent), what="reading a takedown agent")

    # ------------------------------------------------------------------------------------------
    # The licensee
    # ------------------------------------------------------------------------------------------

    def acknowledge(self, licensee: LocalAccount, takedown_id: int, license_id: int | None = None) -> tuple[Takedown, TxResult]:
        """Acknowledge ``takedown_id`` as the holder of ``license_id`` (default: the license it names)."""
        license_id = self._licensee_license(takedown_id, license_id)
        result = self._context.transact(licensee, self._registry.functions.acknowledge(takedown_id, license_id))
        logger.info("license %s acknowledged takedown %s (tx %s, block %s)", license_id, takedown_id, result.tx_hash, result.block_number)
        return self.get(takedown_id), result

    def report_removal(
        self, licensee: LocalAccount, takedown_id: int, license_id: int | None = None
    ) -> tuple[Takedown, TxResult]:
        """Report removal of what ``takedown_id`` covers, as the holder of ``license_id``.

        A report without an earlier acknowledgement acknowledges too. The takedown stays in force.
        """
        license_id = self._licensee_license(takedown_id, license_id)
        result = self._context.transact(licensee, self._registry.functions.reportRemoval(takedown_id, license_id))
        logger.info("license %s reported removal for takedown %s (tx %s, block %s)", license_id, takedown_id, result.tx_hash, result.block_number)
        return self.get(takedown_id), result

    # ------------------------------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------------------------------

    def get(self, takedown_id: int) -> Takedown:
        """Read takedown ``takedown_id`` with its ages now. Raises NotFoundError for an unknown takedown."""
        require_id(takedown_id, "takedown_id")
        stored = self._context.call(self._registry.functions.takedownOf(takedown_id), what="reading a takedown")
        return self._view(takedown_id, stored, self._context.client.latest_timestamp())

    def list_takedowns(
        self,
        *,
        twin_id: int | None = None,
        license_id: int | None = None,
        include_withdrawn: bool = False,
        now: int | None = None,
    ) -> list[Takedown]:
        """List the takedowns in force (with ``include_withdrawn``, every takedown), oldest first.

        ``twin_id`` and ``license_id`` narrow the list to one twin or to the takedowns that name one
        license. Ages are measured at ``now`` (default: the latest block's timestamp).
        """
        filters: dict[str, Any] = {}
        if twin_id is not None:
            filters["twinId"] = require_id(twin_id, "twin_id")
        if license_id is not None:
            filters["licenseId"] = require_id(license_id, "license_id")
        event = self._registry.events.TakedownFiled
        from_block = self._context.ledger.deployment.deployment_block
        # NOTE: this reads TakedownFiled events from the deployment block on. A node that caps the
        # block range of eth_getLogs needs the audit indexer's event index instead.
        filed = self._context.read(
            lambda: event.get_logs(argument_filters=filters, from_block=from_block, to_block="latest"),
            what="reading TakedownFiled events",
        )
        now = self._context.client.latest_timestamp() if now is None else now
        takedowns = []
        for takedown_id in sorted({log["args"]["takedownId"] for log in filed}):
            stored = self._context.call(self._registry.functions.takedownOf(takedown_id), what="reading a takedown")
            view = self._view(takedown_id, stored, now)
            if view.in_force or include_withdrawn:
                takedowns.append(view)
        return takedowns

    # ------------------------------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------------------------------

    def _licensee_license(self, takedown_id: int, license_id: int | None) -> int:
        takedown = self.get(takedown_id)
        if license_id is None:
            if takedown.license_id == 0:
                raise InvalidInputError(
                    f"takedown {takedown_id} is addressed to every licensee of twin {takedown.twin_id}: "
                    "pass the license id you hold",
                    details={"takedown_id": takedown_id, "license_id": None},
                )
            return takedown.license_id
        return require_id(license_id, "license_id")

    @staticmethod
    def _evidence(evidence_hash: str | bytes | None) -> bytes:
        if evidence_hash is None or evidence_hash == "" or evidence_hash == b"":
            return bytes(32)
        if isinstance(evidence_hash, bytes):
            return parse_bytes32(evidence_hash, "evidence_hash")
        return parse_hash_or_file(evidence_hash, "evidence_hash")

    def _filed(self, result: TxResult) -> tuple[Takedown, TxResult]:
        event = self._context.events(result, self._registry, "TakedownFiled")[0]["args"]
        logger.info(
            "filed takedown %s of twin %s (%s, reason %s; tx %s, block %s)",
            event["takedownId"], event["twinId"], "asset" if event["target"] == TARGET_ASSET else "license",
            event["reasonCode"], result.tx_hash, result.block_number,
        )
        return self.get(event["takedownId"]), result

    @staticmethod
    def _view(takedown_id: int, stored: tuple, now: int) -> Takedown:
        (twin_id, license_id, asset_hash, evidence_hash, filed_by, target, status, reason_code, filed_at,
         acknowledged_at, removal_reported_at, withdrawn_at) = stored
        resolved_at = removal_reported_at or withdrawn_at
        if removal_reported_at and withdrawn_at:
            resolved_at = min(removal_reported_at, withdrawn_at)
        return Takedown(
            takedown_id=takedown_id,
            twin_id=twin_id,
            license_id=license_id,
            target="asset" if target == TARGET_ASSET else "license",
            asset_hash="0x" + bytes(asset_hash).hex() if target == TARGET_ASSET else None,
            reason=vocabulary.takedown_reason_name(reason_code),
            reason_code=reason_code,
            evidence_hash="0x" + bytes(evidence_hash).hex(),
            filed_by=filed_by,
            status=STATUSES[status] if 0 <= status < len(STATUSES) else f"status-{status}",
            in_force=status != STATUSES.index("withdrawn"),
            filed_at=filed_at,
            acknowledged_at=acknowledged_at or None,
            removal_reported_at=removal_reported_at or None,
            withdrawn_at=withdrawn_at or None,
            age=max(now - filed_at, 0),
            time_to_acknowledge=acknowledged_at - filed_at if acknowledged_at else None,
            time_to_resolve=resolved_at - filed_at if resolved_at else None,
        )
