"""Run every benchmark on this machine and rewrite BENCHMARKS.md.

    python -m benchmarks [--output BENCHMARKS.md] [--skip-throughput] [--skip-audit]

Gas and the standard-parts comparison run first, on one Anvil that records opcode steps. The
indexer and audit queries follow, then the API throughput on Anvil and on the embedded chain. A
part whose modules cannot be imported is reported as not measured, with the reason.
"""

from __future__ import annotations

import argparse
import logging
import time
import traceback
from pathlib import Path

from benchmarks._anvil import BenchAnvil
from benchmarks._machine import describe_machine, load_average
from benchmarks.report import RunInfo, render
from tests.chains import REPOSITORY_ROOT
from tests.harness import Harness
from twinledger.chain import ChainClient

logger = logging.getLogger("benchmarks")


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The chain layer logs every transaction; the benchmarks send thousands.
    for name in ("twinledger", "web3", "urllib3", "httpx", "httpcore", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the TwinLedger benchmarks and write their report.")
    parser.add_argument("--output", type=Path, default=REPOSITORY_ROOT / "BENCHMARKS.md", help="report file to write")
    parser.add_argument("--command", default="make bench", help="command named in the report as the one that ran")
    parser.add_argument("--skip-throughput", action="store_true", help="leave out the API throughput benchmark")
    parser.add_argument("--skip-audit", action="store_true", help="leave out the indexer and audit query benchmark")
    arguments = parser.parse_args()
    _configure_logging()

    started = time.monotonic()
    machine = describe_machine()
    load_before = load_average()
    skipped: dict[str, str] = {}

    logger.info("gas and the standard-parts alternative, on Anvil")
    from benchmarks.alternative import run_alternative
    from benchmarks.gas import run_gas

    node = BenchAnvil(steps_tracing=True)
    try:
        harness = Harness(ChainClient.connect(node.url), "anvil")
        gas = run_gas(harness)
        alternative = run_alternative(harness, gas)
    finally:
        node.stop()

    audit = None
    if arguments.skip_audit:
        skipped["audit"] = "left out with --skip-audit."
    else:
        logger.info("indexer and audit queries")
        try:
            from benchmarks.audit import run_audit

            node = BenchAnvil()
            try:
                audit = run_audit(Harness(ChainClient.connect(node.url), "anvil"))
            finally:
                node.stop()
        except ImportError as error:
            skipped["audit"] = f"the audit modules could not be imported ({error})."
            logger.error("audit benchmark not run: %s", error)

    throughput = None
    if arguments.skip_throughput:
        skipped["throughput"] = "left out with --skip-throughput."
    else:
        logger.info("API throughput on Anvil and on the embedded chain")
        try:
            import twinledger.api.app  # noqa: F401  (checks that the API exists before starting servers)
            import twinledger.services.context  # noqa: F401

            from benchmarks.throughput import run_throughput

            throughput = run_throughput()
        except ImportError as error:
            skipped["throughput"] = f"the API modules could not be imported ({error})."
            logger.error("throughput benchmark not run: %s\n%s", error, traceback.format_exc())

    info = RunInfo(
        command=arguments.command,
        machine=machine,
        load_before=load_before,
        load_after=load_average(),
        seconds=time.monotonic() - started,
        skipped=skipped,
    )
    arguments.output.write_text(render(info, gas, alternative, throughput, audit), encoding="utf-8")
    logger.info("wrote %s after %.1f minutes", arguments.output, info.seconds / 60)


if __name__ == "__main__":
    main()
