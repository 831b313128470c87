"""Checks of caller-supplied values, shared by the services. Each raises InvalidInputError naming the value."""

from __future__ import annotations

from eth_utils import is_address, to_checksum_address

from twinledger.errors import InvalidInputError

__all__ = ["parse_address", "parse_bytes32", "require_id"]


def parse_address(value: str, field: str) -> str:
    """Return the checksummed form of an Ethereum address given as 0x-prefixed hex."""
    if not isinstance(value, str) or not is_address(value):
        raise InvalidInputError(
            f"{field} {value!r} is not an Ethereum address: pass 20 bytes as 0x-prefixed hex", details={field: value}
        )
    return to_checksum_address(value)


def parse_bytes32(value: str | bytes, field: str) -> bytes:
    """32 bytes given as 64 hex digits, with or without 0x."""
    if isinstance(value, bytes) and len(value) == 32:
        return value
    text = value[2:] if isinstance(value, str) and value.lower().startswith("0x") else value
    try:
        raw = bytes.fromhex(text) if isinstance(text, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidInputError(
            f"{field} {value!r} is not 32 bytes of hex: pass 64 hex digits, for example a SHA-256 digest",
            details={field: value if isinstance(value, str) else value.hex()},
        )
    return raw


def require_id(value: int, field: str) -> int:
    """Check an on-chain id: ids start at 1, and 0 names nothing."""
    if value < 1:
        raise InvalidInputError(f"{field} {value} is not valid: ids start at 1", details={field: value})
    return value
