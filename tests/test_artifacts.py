"""The committed artifacts must match a fresh build of contracts/."""

from __future__ import annotations

import json

from twinledger.compiler import ARTIFACTS_DIR, compile_sources


def test_artifacts_match_fresh_build() -> None:
    result = compile_sources()
    committed = {path.stem for path in ARTIFACTS_DIR.glob("*.json")} - {"build-info"}

    assert committed == set(result.artifacts), "run `twinledger compile`: the contract set changed"
    for name, artifact in result.artifacts.items():
        stored = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
        assert stored["bytecode"] == artifact["bytecode"], f"{name}: stale bytecode, run `twinledger compile`"
        assert stored["abi"] == artifact["abi"], f"{name}: stale ABI, run `twinledger compile`"
    build_info = json.loads((ARTIFACTS_DIR / "build-info.json").read_text())
    assert build_info["sourceHashes"] == result.build_info["sourceHashes"]
