"""The operator's private key and keystore password never reach a log record or a response body.

A whole API campaign (twin, consent, terms, license, deposit, usages through the batcher thread,
withdrawal, and some rejected requests) runs with a fresh operator key set through the
environment, once as TWINLEDGER_OPERATOR_KEY and once as an encrypted keystore with its password.
Every log record at DEBUG level and every response body is searched for the secrets.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from tests.reliability.support import run_api_campaign
from tests.services.support import account, deploy_fresh
from twinledger.api import create_app
from twinledger.chain import ChainClient, TransactionSender
from twinledger.config import Settings
from twinledger.errors import ConfigurationError
from twinledger.services.context import AppContext


class _Everything(logging.Handler):
    """Keeps the formatted text of every record, with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))
        self.texts.append(repr(record.__dict__))


@pytest.fixture
def captured_logs() -> Iterator[_Everything]:
    handler = _Everything()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _secret_forms(key_hex: str, password: str | None) -> list[str]:
    """The strings that must appear nowhere: the key in upper and lower case, with and without 0x."""
    forms = [key_hex.lower(), key_hex.upper(), "0x" + key_hex.lower(), "0x" + key_hex.upper()]
    return forms + ([password] if password else [])


@pytest.mark.parametrize("source", ["operator_key", "keystore"])
def test_campaign_never_exposes_operator_secrets(
    source: str, anvil, tmp_path, monkeypatch, captured_logs: _Everything
) -> None:
    operator = Account.create()
    key_hex = bytes(operator.key).hex()
    password = None
    client = ChainClient.connect(anvil.url)
    TransactionSender(client.w3).send_value(account("operator"), operator.address, 10**19)
    deployment_file = deploy_fresh(anvil, tmp_path)

    for name, value in {
        "TWINLEDGER_RPC_URL": anvil.url,
        "TWINLEDGER_DEPLOYMENT_FILE": str(deployment_file),
        "TWINLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'secrets.db'}",
        "TWINLEDGER_DEV_MODE": "true",
        "TWINLEDGER_BATCH_INTERVAL_SECONDS": "0.05",
    }.items():
        monkeypatch.setenv(name, value)
    if source == "operator_key":
        monkeypatch.setenv("TWINLEDGER_OPERATOR_KEY", "0x" + key_hex)
    else:
        password = "correct horse " + secrets.token_hex(8)
        keystore = tmp_path / "operator.json"
        keystore.write_text(json.dumps(Account.encrypt(operator.key, password)))
        monkeypatch.setenv("TWINLEDGER_KEYSTORE_PATH", str(keystore))
        monkeypatch.setenv("TWINLEDGER_KEYSTORE_PASSWORD", password)

    settings = Settings(_env_file=None)
    context = AppContext.from_settings(settings)
    try:
        assert context.operator.address == operator.address
        api_key = context.api_keys.create("secrets check").secret
        with TestClient(create_app(context), headers={"X-API-Key": api_key}) as http:
            campaign = run_api_campaign(http, context)
            campaign.bodies.append(http.get("/openapi.json").content)
            campaign.bodies.append(http.get("/health").content)
    finally:
        context.close()

    texts = captured_logs.texts + [body.decode("utf-8", "replace") for body in campaign.bodies]
    texts += [repr(settings), str(settings.model_dump()), settings.model_dump_json()]
    assert any("sent " in text and operator.address in text for text in captured_logs.texts), "the relayer's sends were not logged"
    for secret in _secret_forms(key_hex, password):
        leaks = [text[:200] for text in texts if secret in text]
        assert leaks == [], f"a secret appears in {len(leaks)} logged or returned texts"


def test_wrong_keystore_password_error_omits_it(anvil, tmp_path, captured_logs: _Everything) -> None:
    operator = Account.create()
    keystore = tmp_path / "operator.json"
    keystore.write_text(json.dumps(Account.encrypt(operator.key, "the right one")))
    wrong = "wrong " + secrets.token_hex(8)

    with pytest.raises(ConfigurationError) as raised:
        AppContext.from_settings(Settings(
            rpc_url=anvil.url, deployment_file=deploy_fresh(anvil, tmp_path), database_url=f"sqlite:///{tmp_path / 'k.db'}",
            keystore_path=keystore, keystore_password=wrong, _env_file=None,
        ))

    assert "wrong password or damaged file" in str(raised.value)
    assert wrong not in str(raised.value)
    assert not any(wrong in text for text in captured_logs.texts)


def test_malformed_operator_key_error_omits_it(anvil, tmp_path) -> None:
    # One digit that is not hex: close enough to a real key that echoing it would leak most of it.
    digits = secrets.token_hex(32)
    almost = "0x" + digits[:40] + "z" + digits[41:]

    with pytest.raises(ConfigurationError) as raised:
        AppContext.from_settings(Settings(
            rpc_url=anvil.url, deployment_file=deploy_fresh(anvil, tmp_path), database_url=f"sqlite:///{tmp_path / 'k.db'}",
            operator_key=almost, _env_file=None,
        ))

    assert "not 32 bytes of hex" in str(raised.value)
    assert almost[2:20] not in str(raised.value)
