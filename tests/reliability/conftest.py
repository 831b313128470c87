"""Fixtures of the reliability tests: a service context per module on the session's Anvil node,
an API key, and a test client without the batcher thread."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.services.support import make_context
from twinledger.api import create_app
from twinledger.services.context import AppContext


@pytest.fixture(scope="module")
def context(anvil, tmp_path_factory) -> Iterator[AppContext]:
    app_context = make_context(anvil, tmp_path_factory.mktemp("reliability"))
    yield app_context
    app_context.close()


@pytest.fixture(scope="module")
def api_key(context: AppContext) -> str:
    return context.api_keys.create("reliability client").secret


@pytest.fixture(scope="module")
def client(context: AppContext, api_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(context, run_batcher=False), headers={"X-API-Key": api_key}) as test_client:
        yield test_client


@pytest.fixture
def client_for():
    """Open a test client (no batcher thread) with a fresh API key on any context; closed after the test."""
    opened: list[TestClient] = []

    def open_client(app_context: AppContext) -> TestClient:
        key = app_context.api_keys.create("reliability probe").secret
        http = TestClient(create_app(app_context, run_batcher=False), headers={"X-API-Key": key})
        http.__enter__()
        opened.append(http)
        return http

    yield open_client
    for http in opened:
        http.__exit__(None, None, None)
