"""Shared fixtures: Anvil started once per session, the embedded chain, and per-test snapshots.

Contract tests take the ``harness`` fixture, which runs each test once on Anvil and once on the
embedded chain, reverting the chain to a snapshot after every test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chains import AnvilProcess
from tests.harness import Harness
from twinledger.chain import ChainClient

# tests/brownie runs under Brownie in its own environment (`make brownie`), where web3 7 is pinned.
collect_ignore = ["brownie"]


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilProcess]:
    node = AnvilProcess()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def anvil_harness(anvil: AnvilProcess) -> Harness:
    return Harness(ChainClient.connect(anvil.url), "anvil")


@pytest.fixture(scope="session")
def embedded_harness() -> Harness:
    return Harness(ChainClient.embedded(), "embedded")


def _isolated(harness: Harness) -> Iterator[Harness]:
    snapshot = harness.client.snapshot()
    harness.sender.nonces.reset()
    try:
        yield harness
    finally:
        harness.client.revert(snapshot)
        harness.sender.nonces.reset()


@pytest.fixture(params=["anvil", "embedded"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """A deployed ledger on each chain in turn, reverted to its snapshot after the test."""
    yield from _isolated(request.getfixturevalue(f"{request.param}_harness"))


@pytest.fixture
def anvil_only(anvil_harness: Harness) -> Iterator[Harness]:
    """The Anvil harness alone, for tests that need Anvil's node controls."""
    yield from _isolated(anvil_harness)
