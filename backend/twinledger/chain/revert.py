"""Decode custom-error revert data into TwinLedger exceptions with messages a user can act on."""

from __future__ import annotations

import ast
import logging
import re
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address

from twinledger.chain.artifacts import all_abis
from twinledger.errors import (
    ConflictError,
    ContractRevertError,
    InsufficientFundsError,
    NotFoundError,
    PermissionDeniedError,
)

__all__ = ["decode_revert", "extract_revert_data", "error_selectors"]

logger = logging.getLogger(__name__)

# Exception class of a custom error, chosen by the first listed word found in its name.
_CLASS_BY_NAME_PART: list[tuple[str, type[ContractRevertError]]] = [
    ("Unknown", NotFoundError),
    ("NotTwinOwner", PermissionDeniedError),
    ("NotOwnerOrAgent", PermissionDeniedError),
    ("NotLicenseHolder", PermissionDeniedError),
    ("NotLicensee", PermissionDeniedError),
    ("Unauthorized", PermissionDeniedError),
    ("InvalidSignature", PermissionDeniedError),
    ("Insufficient", InsufficientFundsError),
    ("SequenceMismatch", ConflictError),
    ("ExclusivityConflict", ConflictError),
    ("Already", ConflictError),
    ("Duplicate", ConflictError),
    ("InvalidAccountNonce", ConflictError),
]

# Plain-language hints for errors whose name alone does not say what to do next.
_HINTS = {
    "UsageLedgerSequenceMismatch": "read the license's next sequence (meterOf) and resubmit with it",
    "LicenseManagerStartTooFarInPast": "pass the start as a Unix timestamp in seconds, not a duration",
    "LicenseManagerUpfrontFeeAboveMaximum": "quote the terms again and raise the maximum if the new price is acceptable",
    "LicenseManagerPricePerUseAboveMaximum": "quote the terms again and raise the maximum if the new price is acceptable",
    "PaymentVaultInsufficientDeposit": "deposit more funds in the license's currency",
    "PaymentVaultCurrencyNotAllowed": "use ETH or a token on the vault's allow-list",
    "TwinRegistrySplitSumInvalid": "make the shares sum to exactly 10,000 basis points",
    "UsageLedgerConsentEnded": "the model revoked or let consent lapse; a new consent grant and license are needed",
    "UsageLedgerLicenseExpired": "buy a new license; this one is outside its validity window",
    "UsageLedgerSignatureExpired": "sign the report again with a later deadline",
    "ConsentRegistrySignatureExpired": "sign again with a later deadline",
}


@lru_cache(maxsize=1)
def error_selectors() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """Map each 4-byte custom-error selector of the packaged contracts to its name and inputs."""
    selectors: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for abi in all_abis().values():
        for item in abi:
            if item.get("type") != "error":
                continue
            signature = f"{item['name']}({','.join(_canonical_type(i) for i in item['inputs'])})"
            selectors[keccak(text=signature)[:4]] = (item["name"], item["inputs"])
    # Solidity's built-in Error(string) and Panic(uint256).
    selectors[keccak(text="Error(string)")[:4]] = ("Error", [{"name": "message", "type": "string"}])
    selectors[keccak(text="Panic(uint256)")[:4]] = ("Panic", [{"name": "code", "type": "uint256"}])
    return selectors


def _canonical_type(param: dict[str, Any]) -> str:
    kind = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def extract_revert_data(error: BaseException) -> bytes | None:
    """Find revert data in an exception raised by web3.py or a provider, if it carries any."""
    candidates: list[Any] = [getattr(error, "data", None)]
    candidates.extend(error.args)
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidates.extend([candidate.get("data"), candidate.get("message")])
            continue
        if isinstance(candidate, (bytes, bytearray)) and len(candidate) >= 4:
            return bytes(candidate)
        if isinstance(candidate, str):
            # The embedded chain (eth-tester) puts the bytes' repr in its message.
            literal = re.search(r"""(b'.*'|b".*")\s*$""", candidate, re.DOTALL)
            if literal:
                try:
                    value = ast.literal_eval(literal.group(1))
                except (ValueError, SyntaxError):
                    value = b""
                if len(value) >= 4:
                    return value
            match = re.search(r"0x[0-9a-fA-F]{8,}", candidate)
            if match:
                return bytes.fromhex(match.group(0)[2:])
    return None


def _format_value(value: Any, kind: str) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if kind.startswith("bytes") and isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def decode_revert(data: bytes) -> ContractRevertError | None:
    """Turn revert data into the matching :class:`ContractRevertError` subclass, or None if unknown."""
    if len(data) < 4:
        return None
    known = error_selectors().get(bytes(data[:4]))
    if known is None:
        logger.warning("revert with unknown selector 0x%s", data[:4].hex())
        return None
    name, inputs = known
    types = [_canonical_type(i) for i in inputs]
    try:
        values = abi_decode(types, bytes(data[4:])) if types else ()
    except Exception:  # malformed data: report the name without arguments
        logger.warning("could not decode the arguments of %s", name)
        values = ()
    arguments = {i["name"] or f"arg{n}": _format_value(v, i["type"]) for n, (i, v) in enumerate(zip(inputs, values))}
    cls = next((c for part, c in _CLASS_BY_NAME_PART if part in name), ContractRevertError)
    details = ", ".join(f"{key}={value}" for key, value in arguments.items())
    message = f"{name}({details})"
    if name in _HINTS:
        message += f": {_HINTS[name]}"
    return cls(name, arguments, message)
