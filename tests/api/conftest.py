"""Fixtures of the API tests: per module, an AppContext on the session's Anvil node with a fresh
deployment and a SQLite file, an app without its batcher thread (tests run the batcher
themselves), and an API key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.services.support import make_context
from twinledger.api import create_app
from twinledger.services.context import AppContext


@pytest.fixture(scope="module")
def context(anvil, tmp_path_factory) -> Iterator[AppContext]:
    app_context = make_context(anvil, tmp_path_factory.mktemp("api"))
    yield app_context
    app_context.close()


@pytest.fixture(scope="module")
def api_key(context: AppContext) -> str:
    return context.api_keys.create("test client").secret


@pytest.fixture(scope="module")
def client(context: AppContext, api_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(context, run_batcher=False), headers={"X-API-Key": api_key}) as test_client:
        yield test_client


def acting(role: str) -> dict[str, str]:
    return {"X-TwinLedger-Account": role}


def assert_error(response, status: int, error: str, *fragments: str) -> dict:
    """Check an error response's status, error name and that its message contains each fragment."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    return body
