"""Twins: registration by a capture studio, reading a twin, and changes of its payout split."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from twinledger.chain import TxResult
from twinledger.errors import InvalidInputError
from twinledger.services._inputs import parse_address, parse_bytes32, require_id
from twinledger.services.context import AppContext

__all__ = ["SplitShare", "Twin", "TwinService"]

logger = logging.getLogger(__name__)

TOTAL_SHARES_BPS = 10_000


@dataclass(frozen=True)
class SplitShare:
    """One recipient of a payout split and its share in basis points."""

    recipient: str
    share_bps: int


@dataclass(frozen=True)
class Twin:
    """A twin as the registry stores it."""

    twin_id: int
    owner: str
    provenance_hash: str
    registrar: str
    registered_at: int
    paused: bool
    active: bool
    metadata_uri: str
    split: list[SplitShare]
    split_version: int


class TwinService:
    """Registers twins, reads them and changes their payout splits."""

    def __init__(self, context: AppContext) -> None:
        self._context = context
        self._registry = context.ledger.twins

    def register(
        self,
        registrar: LocalAccount,
        *,
        model: str,
        provenance_hash: str | bytes,
        metadata_uri: str,
        split: list[SplitShare],
    ) -> tuple[Twin, TxResult]:
        """Mint a twin to ``model``; ``registrar`` must hold the registry's registrar role."""
        model = parse_address(model, "model")
        provenance = parse_bytes32(provenance_hash, "provenance_hash")
        recipients, shares = self._check_split(split)

        result = self._context.transact(
            registrar, self._registry.functions.registerTwin(model, provenance, metadata_uri, recipients, shares)
        )
        twin_id = self._context.events(result, self._registry, "TwinRegistered")[0]["args"]["twinId"]
        logger.info("registered twin %s for model %s (tx %s)", twin_id, model, result.tx_hash)
        return self.get(twin_id), result

    def get(self, twin_id: int) -> Twin:
        """Read twin ``twin_id``; raises NotFoundError when it does not exist."""
        require_id(twin_id, "twin_id")
        functions = self._registry.functions
        provenance, registrar, registered_at, paused = self._context.call(functions.twinRecord(twin_id), what="reading a twin")
        recipients, shares, version = self._context.call(functions.splitOf(twin_id), what="reading a split")
        return Twin(
            twin_id=twin_id,
            owner=self._context.call(functions.twinOwner(twin_id), what="reading a twin's owner"),
            provenance_hash="0x" + bytes(provenance).hex(),
            registrar=registrar,
            registered_at=registered_at,
            paused=paused,
            active=self._context.call(functions.isTwinActive(twin_id), what="reading a twin's state"),
            metadata_uri=self._context.call(functions.tokenURI(twin_id), what="reading a twin's metadata URI"),
            split=[SplitShare(recipient, share) for recipient, share in zip(recipients, shares)],
            split_version=version,
        )

    def change_split(self, owner: LocalAccount, twin_id: int, split: list[SplitShare]) -> tuple[Twin, TxResult]:
        """Replace the payout split of ``twin_id``; ``owner`` must own the twin."""
        require_id(twin_id, "twin_id")
        recipients, shares = self._check_split(split)
        result = self._context.transact(owner, self._registry.functions.setSplit(twin_id, recipients, shares))
        logger.info("changed the split of twin %s (tx %s)", twin_id, result.tx_hash)
        return self.get(twin_id), result

    @staticmethod
    def _check_split(split: list[SplitShare]) -> tuple[list[str], list[int]]:
        # The registry checks the split as well; checking here first names the bad entry in words
        # and saves a failed gas estimate.
        recipients = [parse_address(share.recipient, f"split[{index}].recipient") for index, share in enumerate(split)]
        shares = [share.share_bps for share in split]
        total = sum(shares)
        if total != TOTAL_SHARES_BPS:
            raise InvalidInputError(
                f"the split's shares sum to {total} basis points: they must sum to exactly {TOTAL_SHARES_BPS}",
                details={"sum": total, "required": TOTAL_SHARES_BPS},
            )
        return recipients, shares
