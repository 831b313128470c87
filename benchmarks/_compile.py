"""Compile the baseline contracts in ``benchmarks/contracts`` against OpenZeppelin Contracts 4.9.

They go through py-solc-x and the same solc binary as ``twinledger.compiler``: the solc-js adapter
in ``tools/solc``, or a native solc of the pinned version if one is installed. They compile with
their own settings and in memory, so the packaged artifacts never contain them.
"""

from __future__ import annotations

from pathlib import Path

import solcx

from twinledger.compiler import REPOSITORY_ROOT, SOLC_VERSION, _solc_binary
from twinledger.errors import CompilationError

__all__ = ["BASELINE_SETTINGS", "compile_baseline"]

CONTRACTS_DIR = Path(__file__).resolve().parent / "contracts"

# The npm alias `@openzeppelin/contracts-v4` is OpenZeppelin Contracts 4.9.6. The optimizer settings
# match the main build (200 runs, viaIR) so that the comparison measures the design, not the
# compiler. OpenZeppelin 4.9 predates cancun and needs none of its opcodes, so the target is
# shanghai, the newest one before cancun. Its code runs unchanged under Anvil's newer rules.
BASELINE_SETTINGS: dict = {
    "evmVersion": "shanghai",
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 200},
    "remappings": ["@openzeppelin/contracts-v4/=node_modules/@openzeppelin/contracts-v4/"],
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
}


def compile_baseline() -> dict[str, dict]:
    """Compile every baseline contract and return ``{name: {"abi", "bytecode"}}``.

    Raises :class:`CompilationError` with solc's messages when a source does not compile.
    """
    sources = {
        path.relative_to(REPOSITORY_ROOT).as_posix(): {"content": path.read_text(encoding="utf-8")}
        for path in sorted(CONTRACTS_DIR.glob("*.sol"))
    }
    standard_input = {"language": "Solidity", "sources": sources, "settings": BASELINE_SETTINGS}
    output = solcx.compile_standard(
        standard_input,
        solc_binary=_solc_binary(),
        base_path=str(REPOSITORY_ROOT),
        allow_paths=[str(REPOSITORY_ROOT)],
    )
    problems = [error for error in output.get("errors", []) if error.get("severity") == "error"]
    if problems:
        messages = "\n".join(error.get("formattedMessage", error.get("message", "")) for error in problems)
        raise CompilationError(f"solc {SOLC_VERSION} failed on the baseline contracts:\n{messages}")

    artifacts = {}
    for source_name, contracts in output["contracts"].items():
        if not source_name.startswith("benchmarks/contracts/"):
            continue
        for name, data in contracts.items():
            artifacts[name] = {"abi": data["abi"], "bytecode": "0x" + data["evm"]["bytecode"]["object"]}
    return artifacts
