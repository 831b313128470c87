"""Fixtures of the service tests: one AppContext per module on the session's Anvil node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services.support import make_context
from twinledger.services.context import AppContext


@pytest.fixture(scope="module")
def context(anvil, tmp_path_factory) -> Iterator[AppContext]:
    app_context = make_context(anvil, tmp_path_factory.mktemp("services"))
    yield app_context
    app_context.close()
