"""Gas arithmetic of the transaction rules Anvil 1.7.1 applies (osaka), and trace accounting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TX_BASE_GAS",
    "CalldataCost",
    "calldata_cost",
    "log_gas",
    "floor_gas",
    "frame_costs",
    "frame_starts",
]

TX_BASE_GAS = 21_000
LOG_GAS = 375
LOG_TOPIC_GAS = 375
LOG_DATA_GAS_PER_BYTE = 8

# EIP-2028 prices calldata at 4 gas per zero byte and 16 per non-zero byte. EIP-7623 (Prague and
# later) counts tokens, one per zero byte and four per non-zero byte, and charges at least 10 gas
# per token when execution is cheap compared with the calldata.
STANDARD_GAS_PER_TOKEN = 4
FLOOR_GAS_PER_TOKEN = 10


@dataclass(frozen=True)
class CalldataCost:
    """Calldata of one transaction and what it costs under each rule."""

    length: int
    zero_bytes: int
    tokens: int

    @property
    def standard(self) -> int:
        """EIP-2028 cost: 4 gas per zero byte, 16 per non-zero byte."""
        return STANDARD_GAS_PER_TOKEN * self.tokens

    @property
    def floor(self) -> int:
        """EIP-7623 floor: 10 gas per zero byte, 40 per non-zero byte."""
        return FLOOR_GAS_PER_TOKEN * self.tokens


def calldata_cost(data: bytes) -> CalldataCost:
    """Count the zero bytes and EIP-7623 tokens of transaction input ``data``."""
    zero_bytes = data.count(0)
    return CalldataCost(length=len(data), zero_bytes=zero_bytes, tokens=zero_bytes + 4 * (len(data) - zero_bytes))


def log_gas(logs: Iterable[Any]) -> int:
    """Gas that the LOG opcodes charge for ``logs`` (receipt entries), leaving out memory expansion."""
    return sum(LOG_GAS + LOG_TOPIC_GAS * len(log["topics"]) + LOG_DATA_GAS_PER_BYTE * len(log["data"]) for log in logs)


def floor_gas(calldata: CalldataCost, execution: int) -> tuple[int, str]:
    """Gas of a transaction with ``calldata`` whose execution costs ``execution``, as Anvil charges it.

    Returns the gas and the rule that sets it: the standard calldata price plus execution, or the
    EIP-7623 floor when that is higher.
    """
    standard = TX_BASE_GAS + calldata.standard + execution
    floor = TX_BASE_GAS + calldata.floor
    if floor > standard:
        return floor, "EIP-7623 floor (10/40)"
    return standard, "standard (4/16)"


def frame_costs(struct_logs: list[dict[str, Any]], first: int = 0) -> list[tuple[str, int]]:
    """Gas each step of one call frame consumed, calls included with their callee's gas.

    ``struct_logs`` is the ``structLogs`` list of a ``debug_traceTransaction`` default trace and
    ``first`` the index of the frame's first step (0 for the outermost frame). A step's cost is the
    drop in available gas until the frame's next step, which for a CALL or STATICCALL counts the
    access cost, the memory expansion and all the gas the callee used.
    """
    if not struct_logs:
        return []
    depth = struct_logs[first]["depth"]
    steps = []
    for step in struct_logs[first:]:
        if step["depth"] < depth:
            break
        if step["depth"] == depth:
            steps.append(step)
    costs = [(step["op"], step["gas"] - following["gas"]) for step, following in zip(steps, steps[1:])]
    costs.append((steps[-1]["op"], steps[-1]["gasCost"]))
    return costs


def frame_starts(struct_logs: list[dict[str, Any]], first: int = 0) -> list[int]:
    """Indexes of the first step of each call that the frame starting at ``first`` makes, in order."""
    depth = struct_logs[first]["depth"]
    starts = []
    for index in range(first, len(struct_logs) - 1):
        step = struct_logs[index]
        if step["depth"] < depth:
            break
        if step["depth"] == depth and struct_logs[index + 1]["depth"] == depth + 1:
            starts.append(index + 1)
    return starts
