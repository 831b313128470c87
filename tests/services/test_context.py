"""AppContext start-up (a database is bound to one deployment, the embedded chain gets its own) and
the signer directory's errors for parties it cannot sign for."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.services.support import account, deploy_fresh, licensed_twin, make_context, usage
from twinledger.chain import ChainClient, dev_accounts
from twinledger.config import Settings
from twinledger.errors import AccessDeniedError, ConfigurationError, InvalidInputError
from twinledger.services.context import AppContext, SignerDirectory
from twinledger.store import DeploymentBinding


def test_context_binds_database_on_first_start(anvil, tmp_path) -> None:
    context = make_context(anvil, tmp_path)
    try:
        with context.session() as session:
            binding = session.scalars(select(DeploymentBinding)).one()
        receipt = context.w3.eth.get_transaction_receipt(context.ledger.deployment.transactions["UsageLedger"])
    finally:
        context.close()

    assert binding.chain_id == 31337
    assert binding.usage_ledger == context.ledger.usages.address
    assert binding.deployment_block_hash == "0x" + bytes(receipt["blockHash"]).hex()


def test_context_reopens_same_deployment(anvil, tmp_path) -> None:
    deployment_file = deploy_fresh(anvil, tmp_path)
    first = make_context(anvil, tmp_path, deployment_file)
    licensed = licensed_twin(first)
    first.usages.submit("client", usage(licensed.license_id, "kept"), acting=account("brand"))
    first.close()

    again = make_context(anvil, tmp_path, deployment_file)
    try:
        assert again.usages.get("client", "kept").license_id == licensed.license_id
    finally:
        again.close()


def test_context_other_deployment_rejected(anvil, tmp_path) -> None:
    first = make_context(anvil, tmp_path)
    first_ledger = first.ledger.usages.address
    first.close()
    (tmp_path / "other").mkdir()
    other_file = deploy_fresh(anvil, tmp_path / "other")

    with pytest.raises(ConfigurationError) as raised:
        make_context(anvil, tmp_path, other_file)

    message = str(raised.value)
    assert f"UsageLedger {first_ledger}" in message
    assert f"UsageLedger {raised.value.details['usage_ledger']}" in message
    assert raised.value.details["usage_ledger"] != first_ledger
    assert "point TWINLEDGER_DATABASE_URL at another database" in message
    assert "delete the database file" in message


def test_context_redeployed_same_address_rejected(anvil, tmp_path) -> None:
    # A restarted node that runs the same deployment again yields the same addresses in another block.
    client = ChainClient.connect(anvil.url)
    snapshot = client.snapshot()
    try:
        first = make_context(anvil, tmp_path)
        first_ledger = first.ledger.usages.address
        first.close()
        client.revert(snapshot)
        snapshot = client.snapshot()
        client.mine(1)
        (tmp_path / "again").mkdir()
        again_file = deploy_fresh(anvil, tmp_path / "again")

        with pytest.raises(ConfigurationError) as raised:
            make_context(anvil, tmp_path, again_file)
    finally:
        client.revert(snapshot)

    assert raised.value.details["usage_ledger"] == first_ledger
    assert raised.value.details["bound_deployment_block_hash"] != raised.value.details["deployment_block_hash"]
    assert raised.value.details["deployment_block_hash"] in str(raised.value)


def test_context_other_chain_rejected(anvil, tmp_path) -> None:
    database_url = f"sqlite:///{tmp_path / 'shared.db'}"
    make_context(anvil, tmp_path, database_url=database_url).close()

    with pytest.raises(ConfigurationError) as raised:
        AppContext.from_settings(Settings(database_url=database_url, dev_mode=True, _env_file=None))

    assert "chain 31337" in str(raised.value)
    assert raised.value.details["bound_chain_id"] == 31337
    assert raised.value.details["chain_id"] != 31337


def test_embedded_default_database_temporary(tmp_path, monkeypatch, caplog) -> None:
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO, logger="twinledger.services.context")

    context = AppContext.from_settings(Settings(dev_mode=True, _env_file=None))
    try:
        database = Path(context.engine.url.database)
        key = context.api_keys.create("embedded client")
        assert database.parent != tmp_path
        assert database.is_file()
        assert f"temporary database {database}" in caplog.text
        assert context.api_keys.authenticate(key.secret).key_id == key.info.key_id
    finally:
        context.close()

    assert not database.exists()
    # API keys belong to clients, not to a deployment, so they stay in the default database.
    assert (tmp_path / "twinledger.db").is_file()


def test_signer_outside_dev_mode_says_how() -> None:
    signers = SignerDirectory(dev_accounts()[0], dev_mode=False)

    with pytest.raises(AccessDeniedError) as raised:
        signers.resolve("brand")

    assert "outside dev mode it signs only as its operator" in str(raised.value)
    assert "on a local chain set TWINLEDGER_DEV_MODE=true (CLI: --dev-mode)" in str(raised.value)


def test_address_of_role_in_dev_mode() -> None:
    signers = SignerDirectory(dev_accounts()[0], dev_mode=True)

    assert signers.address_of("brand") == account("brand").address
    assert signers.address_of("account-7") == dev_accounts()[7].address
    assert signers.address_of(account("model").address.lower()) == account("model").address


def test_address_of_unknown_name_rejected() -> None:
    with pytest.raises(InvalidInputError, match="neither an Ethereum address nor a development account"):
        SignerDirectory(dev_accounts()[0], dev_mode=True).address_of("nobody")


def test_address_of_role_outside_dev_mode_rejected() -> None:
    with pytest.raises(InvalidInputError) as raised:
        SignerDirectory(dev_accounts()[0], dev_mode=False).address_of("brand")

    assert "account 'brand' is not an Ethereum address: outside dev mode pass the account's 0x address" in str(raised.value)
    assert "TWINLEDGER_DEV_MODE=true (CLI: --dev-mode)" in str(raised.value)


def test_context_unknown_deployment_transaction_rejected(anvil, tmp_path) -> None:
    deployment_file = deploy_fresh(anvil, tmp_path)
    data = json.loads(deployment_file.read_text(encoding="utf-8"))
    data["transactions"]["UsageLedger"] = "0x" + "ab" * 32
    deployment_file.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ConfigurationError, match=f"chain 31337 has no UsageLedger deployment transaction 0x{'ab' * 32}"):
        make_context(anvil, tmp_path, deployment_file)
