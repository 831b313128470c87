"""Campaign assets: a file's SHA-256 (the asset hash on-chain) and its C2PA provenance state.

C2PA manifests are read with c2pa-python. Fetching a manifest from a remote store is off unless
``allow_remote`` is set (the ``c2pa_remote_manifests`` setting), so an asset whose manifest lives
only remotely is reported as ``invalid`` when read offline.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import c2pa

__all__ = ["AssetInfo", "inspect_asset", "sha256_of"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssetInfo:
    """An asset file, its hash and what its C2PA manifest says."""

    path: Path
    sha256: str
    c2pa_state: str
    c2pa_detail: str

    @property
    def asset_hash(self) -> str:
        return "0x" + self.sha256


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reader_context(allow_remote: bool) -> c2pa.Context:
    return c2pa.Context(c2pa.Settings.from_dict({"verify": {"remote_manifest_fetch": allow_remote}}))


def inspect_asset(path: Path, *, allow_remote: bool = False) -> AssetInfo:
    """Hash ``path`` and read its C2PA manifest: state ``valid``, ``invalid`` or ``absent``.

    ``valid`` follows the SDK's validation state (``Valid`` or ``Trusted``). An untrusted signing
    certificate alone does not make a manifest invalid, because no trust list is configured.
    """
    digest = sha256_of(path)
    try:
        reader = c2pa.Reader(str(path), context=_reader_context(allow_remote))
        report = json.loads(reader.json())
    except c2pa.C2paError as error:
        if "ManifestNotFound" in type(error).__name__ or "ManifestNotFound" in str(error):
            return AssetInfo(path, digest, "absent", "no C2PA manifest")
        logger.info("C2PA manifest of %s could not be read: %s", path, error)
        return AssetInfo(path, digest, "invalid", f"unreadable manifest: {error}")
    state = report.get("validation_state", "")
    active = report.get("manifests", {}).get(report.get("active_manifest", ""), {})
    generator = active.get("claim_generator") or (active.get("claim_generator_info") or [{}])[0].get("name", "unknown tool")
    if state in ("Valid", "Trusted"):
        return AssetInfo(path, digest, "valid", f"signed manifest from {generator}")
    failures = [item.get("code", "") for item in report.get("validation_status", []) if item.get("code") != "signingCredential.untrusted"]
    return AssetInfo(path, digest, "invalid", f"validation state {state or 'unknown'}: {', '.join(failures) or 'no details'}")
