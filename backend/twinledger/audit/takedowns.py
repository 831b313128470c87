"""Takedown states rebuilt from indexed events: filed, acknowledged, removal reported, withdrawn."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from twinledger.store.events import IndexedEvent

__all__ = ["TakedownState", "takedown_states", "open_takedowns", "TARGET_ASSET", "TARGET_LICENSE", "REASON_CODES"]

TARGET_ASSET = 0
TARGET_LICENSE = 1

# Reason codes as TakedownRegistry documents them.
REASON_CODES = {
    1: "consent withdrawn",
    2: "use outside the license scope",
    3: "harmful or misleading content",
    4: "unlicensed likeness",
    5: "legal order",
    6: "other",
}

_TAKEDOWN_EVENTS = ("TakedownFiled", "TakedownAcknowledged", "TakedownRemovalReported", "TakedownWithdrawn")


@dataclass
class TakedownState:
    """One takedown as its events describe it. Times are block timestamps in Unix seconds."""

    takedown_id: int
    twin_id: int
    license_id: int
    target: str
    asset_hash: str | None
    reason_code: int
    filed_by: str
    filed_at: int
    tx_hash: str
    acknowledged_at: int | None = None
    removal_reported_at: int | None = None
    withdrawn_at: int | None = None

    @property
    def in_force(self) -> bool:
        """Whether usage registration still rejects what this takedown covers: until it is withdrawn."""
        return self.withdrawn_at is None

    @property
    def status(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.removal_reported_at is not None:
            return "removal_reported"
        if self.acknowledged_at is not None:
            return "acknowledged"
        return "filed"

    @property
    def reason(self) -> str:
        return REASON_CODES.get(self.reason_code, f"unknown reason code {self.reason_code}")

    def covers(self, asset_hash: str, license_ids: set[int]) -> bool:
        """Return whether this takedown, while in force, covers ``asset_hash`` or one of ``license_ids``."""
        if self.target == "asset":
            return self.asset_hash == asset_hash
        return self.license_id in license_ids


def takedown_states(session: Session) -> list[TakedownState]:
    """Rebuild every indexed takedown with its latest status, ordered by takedown id."""
    events = session.scalars(
        select(IndexedEvent)
        .where(IndexedEvent.event.in_(_TAKEDOWN_EVENTS))
        .order_by(IndexedEvent.block_number, IndexedEvent.log_index)
    )
    states: dict[int, TakedownState] = {}
    for event in events:
        args = event.args
        takedown_id = int(args["takedownId"])
        if event.event == "TakedownFiled":
            target = int(args["target"])
            states[takedown_id] = TakedownState(
                takedown_id=takedown_id,
                twin_id=int(args["twinId"]),
                license_id=int(args["licenseId"]),
                target="asset" if target == TARGET_ASSET else "license",
                asset_hash=event.asset_hash,
                reason_code=int(args["reasonCode"]),
                filed_by=args["filedBy"],
                filed_at=int(args["filedAt"]),
                tx_hash=event.tx_hash,
            )
            continue
        state = states.get(takedown_id)
        if state is None:
            continue
        if event.event == "TakedownAcknowledged":
            state.acknowledged_at = int(args["acknowledgedAt"])
        elif event.event == "TakedownRemovalReported":
            state.removal_reported_at = int(args["removalReportedAt"])
        elif event.event == "TakedownWithdrawn":
            state.withdrawn_at = int(args["withdrawnAt"])
    return [states[key] for key in sorted(states)]


def open_takedowns(session: Session) -> list[TakedownState]:
    """Takedowns in force (not withdrawn), oldest first."""
    return [state for state in takedown_states(session) if state.in_force]
