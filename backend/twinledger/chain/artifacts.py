"""Read the compiled contract artifacts packaged with TwinLedger."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from twinledger.errors import ConfigurationError

__all__ = ["ARTIFACTS_DIR", "load_artifact", "all_abis"]

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "artifacts"


@lru_cache(maxsize=None)
def load_artifact(name: str) -> dict[str, Any]:
    """Return the artifact (``abi``, ``bytecode``, ...) of contract ``name``."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        raise ConfigurationError(
            f"no compiled artifact for contract {name!r} in {ARTIFACTS_DIR}: run `twinledger compile`"
        )
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def all_abis() -> dict[str, list[dict[str, Any]]]:
    """Return the ABI of every packaged contract, by contract name."""
    abis = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        if path.name == "build-info.json":
            continue
        abis[path.stem] = json.loads(path.read_text(encoding="utf-8"))["abi"]
    return abis
