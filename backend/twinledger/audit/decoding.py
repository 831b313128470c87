"""Decode TwinLedger logs by topic against the packaged ABIs, and pick the columns auditors filter on.

Each indexed address is tied to one contract name. A log is decoded only with an event of that
contract's ABI whose topic 0 matches, so a log is never guessed from another contract's events. A
log that no event matches, or that fails to decode (wrong topic count, short data), raises
:class:`UndecodableLogError` with the reason; the indexer stores it and never drops it.

Key columns copied from the decoded arguments (the first argument present wins):

| column     | arguments                                                                         |
|------------|-----------------------------------------------------------------------------------|
| twin_id    | ``twinId``; ``tokenId`` of a TwinRegistry ERC-721 event                             |
| license_id | ``licenseId``; ``tokenId`` of a LicenseManager ERC-721 event                        |
| account    | ``account``, ``brand``, ``licensee``, ``payer``, ``model``, ``grantor``, ``publisher``, ``filedBy``, ``revokedBy``, ``by``, ``owner``, ``from`` |
| recipient  | ``recipient``, ``to``                                                               |
| asset_hash | ``assetHash`` when not zero                                                         |
| currency   | ``currency``; ``license.currency`` of LicensePurchased; for UsageRegistered the currency of the UsageBatchRegistered of the same transaction and license |
| amount     | ``amount``, ``fee``, ``totalFee``, ``upfrontFee``                                   |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.utils import event_abi_to_log_topic

from twinledger.chain.artifacts import all_abis
from twinledger.errors import TwinLedgerError

__all__ = ["DecodedEvent", "EventDecoder", "UndecodableLogError", "key_columns", "to_json_value", "ZERO_HASH"]

ZERO_HASH = "0x" + "00" * 32

_ACCOUNT_ARGS = (
    "account", "brand", "licensee", "payer", "model", "grantor", "publisher", "filedBy", "revokedBy", "by", "owner", "from",
)
_RECIPIENT_ARGS = ("recipient", "to")
_AMOUNT_ARGS = ("amount", "fee", "totalFee", "upfrontFee")
# ERC-721 events name the token `tokenId` (OpenZeppelin) or `_tokenId` (ERC-4906).
_TOKEN_ID_ARGS = ("tokenId", "_tokenId")


class UndecodableLogError(TwinLedgerError):
    """A log from an indexed address that no event of that contract's ABI decodes."""


@dataclass
class DecodedEvent:
    """One decoded log with its JSON-ready arguments and key columns."""

    contract: str
    contract_address: str
    event: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    args: dict[str, Any]
    key_columns: dict[str, Any] = field(default_factory=dict)


def to_json_value(value: Any) -> Any:
    """Convert a decoded ABI value for JSON: integers to decimal strings, bytes to 0x hex, structs to objects.

    Integers become strings because uint256 values exceed what JSON numbers carry exactly.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(item) for item in value]
    raise TypeError(f"cannot convert {type(value).__name__} for JSON")


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return HexBytes(value).to_0x_hex()


class EventDecoder:
    """Decoder for the logs of a fixed set of addresses, each with the ABI of its contract name.

    ``contracts`` maps an address to a contract name. A name without a packaged artifact decodes
    nothing, so every log from that address is reported as undecodable.
    """

    def __init__(self, w3: Web3, contracts: Mapping[str, str]) -> None:
        abis = all_abis()
        self._names: dict[str, str] = {}
        self._events: dict[str, dict[str, Any]] = {}
        for address, name in contracts.items():
            checksum = Web3.to_checksum_address(address)
            self._names[checksum] = name
            by_topic: dict[str, Any] = {}
            for entry in abis.get(name, []):
                if entry.get("type") != "event" or entry.get("anonymous"):
                    continue
                topic = "0x" + event_abi_to_log_topic(entry).hex()
                by_topic[topic] = w3.eth.contract(abi=[entry]).events[entry["name"]]()
            self._events[checksum] = by_topic

    @property
    def addresses(self) -> list[str]:
        """Every address whose logs this decoder reads, checksummed."""
        return list(self._names)

    def contract_name(self, address: str) -> str:
        return self._names.get(Web3.to_checksum_address(address), "unknown")

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent:
        """Decode one ``eth_getLogs`` entry; raise :class:`UndecodableLogError` with the reason if it fails."""
        address = Web3.to_checksum_address(log["address"])
        name = self._names.get(address)
        if name is None:
            raise UndecodableLogError(f"address {address} is not one of the indexed contracts")
        topics = log.get("topics") or []
        if not topics:
            raise UndecodableLogError(f"{name} emitted a log without topics (an anonymous event)")
        topic0 = _hex(topics[0])
        event = self._events[address].get(topic0)
        if event is None:
            raise UndecodableLogError(f"topic {topic0} matches no event in the {name} ABI")
        try:
            decoded = event.process_log(log)
        except Exception as error:  # eth-abi and web3 raise several types for malformed data
            raise UndecodableLogError(
                f"{name}.{event.event_name} matches topic {topic0} but does not decode: {error.__class__.__name__}: {error}"
            ) from None

        raw_args = dict(decoded["args"])
        result = DecodedEvent(
            contract=name,
            contract_address=address,
            event=event.event_name,
            block_number=int(log["blockNumber"]),
            block_hash=_hex(log["blockHash"]),
            tx_hash=_hex(log["transactionHash"]),
            log_index=int(log["logIndex"]),
            args=to_json_value(raw_args),
        )
        result.key_columns = key_columns(name, raw_args)
        return result


def _first(args: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in args:
            return args[name]
    return None


def key_columns(contract: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """Pick the key columns from decoded arguments, as decoded or as stored by :func:`to_json_value`.

    UsageRegistered gets no currency here: the indexer copies it from its batch.
    """
    twin_id = args.get("twinId")
    license_id = args.get("licenseId")
    token_id = _first(args, _TOKEN_ID_ARGS)
    if token_id is not None and contract == "TwinRegistry" and twin_id is None:
        twin_id = token_id
    if token_id is not None and contract == "LicenseManager" and license_id is None:
        license_id = token_id

    currency = args.get("currency")
    license_struct = args.get("license")
    if currency is None and isinstance(license_struct, Mapping):
        currency = license_struct.get("currency")

    asset_hash = args.get("assetHash")
    asset_hex = _hex(asset_hash) if asset_hash is not None else None
    if asset_hex == ZERO_HASH:
        asset_hex = None

    account = _first(args, _ACCOUNT_ARGS)
    recipient = _first(args, _RECIPIENT_ARGS)
    amount = _first(args, _AMOUNT_ARGS)
    return {
        "twin_id": int(twin_id) if twin_id is not None else None,
        "license_id": int(license_id) if license_id is not None else None,
        "account": Web3.to_checksum_address(account) if isinstance(account, str) else None,
        "recipient": Web3.to_checksum_address(recipient) if isinstance(recipient, str) else None,
        "asset_hash": asset_hex,
        "currency": Web3.to_checksum_address(currency) if isinstance(currency, str) else None,
        "amount": int(amount) if amount is not None else None,
    }
