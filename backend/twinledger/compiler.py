"""Compile the Solidity sources in ``contracts/`` into the packaged artifacts.

Compilation goes through py-solc-x's ``compile_standard``. It uses a native ``solc`` of the
pinned version when py-solc-x has one installed, and otherwise the solc-js adapter in
``tools/solc`` (npm's ``solc`` package behind native solc's command-line interface). The artifacts
land in ``twinledger/artifacts`` so that an installed package deploys and calls the contracts
without Node.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import solcx
from solcx.exceptions import SolcError

from twinledger.errors import CompilationError

__all__ = [
    "ARTIFACTS_DIR",
    "COMPILER_SETTINGS",
    "SOLC_VERSION",
    "CompileResult",
    "build_artifacts",
    "compile_sources",
    "write_artifacts",
]

logger = logging.getLogger(__name__)

SOLC_VERSION = "0.8.30"
COMPILER_SETTINGS: dict = {
    "evmVersion": "cancun",
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 200},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"]}
    },
}

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DIR = REPOSITORY_ROOT / "contracts"
ADAPTER = REPOSITORY_ROOT / "tools" / "solc"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class CompileResult:
    """Artifacts of one compilation, by contract name, and the build record that produced them."""

    artifacts: dict[str, dict]
    build_info: dict


def _solc_binary() -> Path:
    """Return a native solc of the pinned version if py-solc-x has one, else the solc-js adapter."""
    for version in solcx.get_installed_solc_versions():
        if str(version) == SOLC_VERSION:
            return Path(solcx.get_executable(version))
    if not (REPOSITORY_ROOT / "node_modules" / "solc").is_dir():
        raise CompilationError(
            f"no solc {SOLC_VERSION} found: run `npm ci` in {REPOSITORY_ROOT} to install solc-js, "
            "or install a native solc with py-solc-x"
        )
    return ADAPTER


def _source_units(contracts_dir: Path) -> dict[str, dict]:
    units = {}
    for path in sorted(contracts_dir.rglob("*.sol")):
        relative = path.relative_to(contracts_dir.parent).as_posix()
        units[relative] = {"content": path.read_text(encoding="utf-8")}
    if not units:
        raise CompilationError(f"no Solidity sources found under {contracts_dir}")
    return units


def _format_errors(errors: list[dict]) -> str:
    return "\n".join(error.get("formattedMessage", error.get("message", "")).rstrip() for error in errors)


def compile_sources(contracts_dir: Path = CONTRACTS_DIR) -> CompileResult:
    """Compile every ``.sol`` file under ``contracts_dir`` with the pinned settings.

    Raises :class:`CompilationError` carrying solc's messages (file, line and column) when the
    sources do not compile.
    """
    sources = _source_units(contracts_dir)
    standard_input = {"language": "Solidity", "sources": sources, "settings": COMPILER_SETTINGS}
    binary = _solc_binary()
    logger.info("compiling %s source files with %s", len(sources), binary)
    try:
        output = solcx.compile_standard(
            standard_input,
            solc_binary=binary,
            base_path=str(REPOSITORY_ROOT),
            allow_paths=[str(REPOSITORY_ROOT)],
        )
    except SolcError as error:
        details = getattr(error, "stdout_data", "") or ""
        try:
            messages = _format_errors(json.loads(details).get("errors", []))
        except (ValueError, AttributeError):
            messages = details or str(error)
        raise CompilationError(f"solc failed:\n{messages}") from None

    problems = [error for error in output.get("errors", []) if error.get("severity") == "error"]
    if problems:
        raise CompilationError(f"solc failed:\n{_format_errors(problems)}")
    for warning in output.get("errors", []):
        logger.warning("solc: %s", warning.get("formattedMessage", warning.get("message")))

    artifacts: dict[str, dict] = {}
    for source_name, contracts in output["contracts"].items():
        if not source_name.startswith("contracts/"):
            continue
        for name, data in contracts.items():
            if name in artifacts:
                raise CompilationError(f"two contracts are named {name}: rename one of them")
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
                "methodIdentifiers": data["evm"]["methodIdentifiers"],
            }
    build_info = {
        "solcVersion": SOLC_VERSION,
        "compiler": binary.name,
        "settings": {key: value for key, value in COMPILER_SETTINGS.items() if key != "outputSelection"},
        "sourceHashes": {
            name: hashlib.sha256(unit["content"].encode()).hexdigest() for name, unit in sources.items()
        },
    }
    return CompileResult(artifacts=artifacts, build_info=build_info)


def write_artifacts(result: CompileResult, artifacts_dir: Path = ARTIFACTS_DIR) -> list[Path]:
    """Replace the JSON artifacts in ``artifacts_dir`` with ``result`` and return the files written."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    for stale in artifacts_dir.glob("*.json"):
        stale.unlink()
    written = []
    for name, artifact in sorted(result.artifacts.items()):
        path = artifacts_dir / f"{name}.json"
        path.write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    build_path = artifacts_dir / "build-info.json"
    build_path.write_text(json.dumps(result.build_info, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    written.append(build_path)
    return written


def build_artifacts() -> list[Path]:
    """Compile ``contracts/`` and write the packaged artifacts."""
    return write_artifacts(compile_sources())
