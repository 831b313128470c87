"""Benchmarks of TwinLedger: gas on Anvil, the standard-parts alternative, API throughput and audit queries.

Run them all with ``make bench`` (or ``python -m benchmarks``), which rewrites BENCHMARKS.md.
They measure; they assert nothing, and no test depends on them.
"""
