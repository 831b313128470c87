"""Check an image file against the trail: its SHA-256, its C2PA manifest, its uses and takedowns.

The manifest is read offline with c2pa-python (0.38): the file's embedded manifest store is
validated, and a manifest that the file only references by URL is fetched only when
``allow_remote_manifests`` is set (the ``c2pa_remote_manifests`` setting). OCSP lookups stay off,
so a check never makes a network request unless remote manifests are allowed.

Manifest states:

- ``valid``: a manifest is present and validates (c2pa's state ``Valid`` or ``Trusted``); a
  signing certificate outside c2pa's trust list still counts as valid, and ``trusted`` tells the two apart;
- ``invalid``: a manifest is present but fails validation, for example after an edit of the image
  data changed its hash;
- ``absent``: the file carries no manifest;
- ``remote``: the file references a remote manifest that was not fetched;
- ``unsupported``: c2pa cannot read this file format.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import mimetypes
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from twinledger.audit.takedowns import TakedownState, takedown_states
from twinledger.store.events import IndexedEvent

__all__ = ["ManifestCheck", "AssetUse", "AssetCheckReport", "check_asset", "check_asset_file", "read_manifest", "sniff_media_type"]

logger = logging.getLogger(__name__)

# Magic numbers of the image formats campaigns use, for uploads that arrive without a file name.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
# c2pa validation codes that report the signer's certificate outside the trust list; the manifest
# itself still validates.
_UNTRUSTED_CODES = {"signingCredential.untrusted"}


@dataclass
class ManifestCheck:
    """Contents of the file's C2PA manifest and its validation result."""

    state: str
    trusted: bool = False
    validation_state: str | None = None
    active_manifest: str | None = None
    claim_generator: str | None = None
    title: str | None = None
    actions: list[str] = field(default_factory=list)
    digital_source_types: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    remote_url: str | None = None
    error: str | None = None


@dataclass
class AssetUse:
    """One UsageRegistered event of the asset."""

    license_id: int
    twin_id: int
    brand: str
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    sequence: int
    quantity: int
    channel: int
    territory: int
    usage_ref: str
    fee: int
    currency: str | None


@dataclass
class AssetCheckReport:
    """The asset check of one file."""

    sha256: str
    size: int
    media_type: str | None
    manifest: ManifestCheck
    uses: list[AssetUse]
    license_ids: list[int]
    total_quantity: int
    fees: dict[str, int]
    """Sum of fees per currency address."""
    first_used_at: int | None
    last_used_at: int | None
    takedowns: list[TakedownState]
    """Takedowns in force that cover the asset's hash or a license that used it."""

    @property
    def covered_by_takedown(self) -> bool:
        return bool(self.takedowns)


def sniff_media_type(data: bytes, filename: str | None = None) -> str | None:
    """Guess the media type from the file name's extension, else from the file's magic number."""
    if filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed:
            return guessed
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[8:12] == b"WEBP" and data.startswith(b"RIFF"):
        return "image/webp"
    return None


def read_manifest(data: bytes, media_type: str | None, *, allow_remote_manifests: bool = False) -> ManifestCheck:
    """Read and validate the C2PA manifest of ``data`` (a file of ``media_type``)."""
    if media_type is None:
        return ManifestCheck(state="unsupported", error="the file type is unknown: name the file or upload a JPEG, PNG, GIF, TIFF or WebP")
    settings = c2pa.Settings.from_dict({"verify": {"remote_manifest_fetch": allow_remote_manifests, "ocsp_fetch": False}})
    context = c2pa.Context(settings=settings)
    try:
        reader = c2pa.Reader(media_type, io.BytesIO(data), context=context)
    except c2pa.C2paError.ManifestNotFound:
        return ManifestCheck(state="absent")
    except c2pa.C2paError.NotSupported as error:
        return ManifestCheck(state="unsupported", error=str(error))
    except c2pa.C2paError.RemoteManifest as error:
        return ManifestCheck(state="remote", error=f"{error}; remote manifests are fetched only with TWINLEDGER_C2PA_REMOTE_MANIFESTS=true")
    except c2pa.C2paError as error:
        # A manifest store that is present but cannot be parsed or verified at all.
        logger.info("C2PA manifest of a %s file did not validate: %s", media_type, error)
        return ManifestCheck(state="invalid", error=str(error))

    try:
        store = json.loads(reader.json())
        remote_url = reader.get_remote_url()
    finally:
        reader.close()
    return _manifest_from_store(store, remote_url)


def _manifest_from_store(store: dict[str, Any], remote_url: str | None) -> ManifestCheck:
    validation_state = store.get("validation_state")
    statuses = store.get("validation_status") or []
    failures = [
        {"code": status.get("code", ""), "explanation": status.get("explanation", "")}
        for status in statuses
        if status.get("code") not in _UNTRUSTED_CODES
    ]
    valid = validation_state in ("Valid", "Trusted") and not failures

    label = store.get("active_manifest")
    manifest = (store.get("manifests") or {}).get(label, {})
    actions: list[str] = []
    source_types: list[str] = []
    for assertion in manifest.get("assertions", []):
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in assertion.get("data", {}).get("actions", []):
            actions.append(action.get("action", ""))
            if action.get("digitalSourceType"):
                source_types.append(action["digitalSourceType"])

    generator = manifest.get("claim_generator")
    if not generator and manifest.get("claim_generator_info"):
        generator = manifest["claim_generator_info"][0].get("name")
    return ManifestCheck(
        state="valid" if valid else "invalid",
        trusted=validation_state == "Trusted",
        validation_state=validation_state,
        active_manifest=label,
        claim_generator=generator,
        title=manifest.get("title"),
        actions=actions,
        digital_source_types=source_types,
        failures=failures,
        remote_url=remote_url,
    )


def check_asset(
    session: Session,
    data: bytes,
    *,
    filename: str | None = None,
    media_type: str | None = None,
    allow_remote_manifests: bool = False,
) -> AssetCheckReport:
    """Hash ``data``, read its manifest and match the hash against the indexed trail."""
    sha256 = "0x" + hashlib.sha256(data).hexdigest()
    media_type = media_type or sniff_media_type(data, filename)
    manifest = read_manifest(data, media_type, allow_remote_manifests=allow_remote_manifests)

    rows = session.scalars(
        select(IndexedEvent)
        .where(IndexedEvent.event == "UsageRegistered", IndexedEvent.asset_hash == sha256)
        .order_by(IndexedEvent.block_number, IndexedEvent.log_index)
    )
    uses = [_use(row) for row in rows]
    license_ids = sorted({use.license_id for use in uses})
    fees: dict[str, int] = defaultdict(int)
    for use in uses:
        fees[use.currency or "unknown"] += use.fee
    covering = [state for state in takedown_states(session) if state.in_force and state.covers(sha256, set(license_ids))]

    return AssetCheckReport(
        sha256=sha256,
        size=len(data),
        media_type=media_type,
        manifest=manifest,
        uses=uses,
        license_ids=license_ids,
        total_quantity=sum(use.quantity for use in uses),
        fees=dict(fees),
        first_used_at=uses[0].block_timestamp if uses else None,
        last_used_at=uses[-1].block_timestamp if uses else None,
        takedowns=covering,
    )


def check_asset_file(session: Session, path: Path, *, allow_remote_manifests: bool = False) -> AssetCheckReport:
    """:func:`check_asset` on the file at ``path``."""
    return check_asset(session, path.read_bytes(), filename=path.name, allow_remote_manifests=allow_remote_manifests)


def _use(row: IndexedEvent) -> AssetUse:
    args = row.args
    return AssetUse(
        license_id=int(args["licenseId"]),
        twin_id=int(args["twinId"]),
        brand=args["brand"],
        block_number=row.block_number,
        block_timestamp=row.block_timestamp,
        tx_hash=row.tx_hash,
        log_index=row.log_index,
        sequence=int(args["sequence"]),
        quantity=int(args["quantity"]),
        channel=int(args["channel"]),
        territory=int(args["territory"]),
        usage_ref=args["usageRef"],
        fee=int(args["fee"]),
        currency=row.currency,
    )
