"""Run the TwinLedger API for the throughput benchmark, with a funded brand holding licenses.

    python -m benchmarks._server --port PORT --database PATH --ready-file PATH [--rpc-url URL]

Without ``--rpc-url`` the API runs the embedded chain in this process. With it, this process first
deploys TwinLedger to that node. Either way it then registers a twin, sells ``--licenses``
licenses to the brand development account, deposits for the brand, writes the license ids to the
ready file as JSON and serves the API on 127.0.0.1 in dev mode, without API keys, until stopped.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import uvicorn

from tests import builders
from tests.harness import Accounts
from twinledger.api.app import create_app
from twinledger.chain import ChainClient, TransactionSender, TxResult, deploy_ledger, dev_accounts, save_deployment
from twinledger.config import Settings
from twinledger.services.context import DEV_ROLES, AppContext

logger = logging.getLogger("benchmarks.server")

BRAND_DEPOSIT = 10**18


class _SetupChain:
    """The attributes that the test builders read, backed by the API's own context."""

    def __init__(self, context: AppContext) -> None:
        self.client = context.client
        self.w3 = context.w3
        self.ledger = context.ledger
        self.sender = context.sender
        self.accounts = Accounts.from_dev()

    def transact(self, account, function, *, value: int = 0) -> TxResult:
        return self.sender.transact(account, function, value=value)

    def now(self) -> int:
        return self.client.latest_timestamp()


def _deploy_to(rpc_url: str, deployment_file: Path) -> None:
    client = ChainClient.connect(rpc_url)
    sender = TransactionSender(client.w3)
    accounts = dev_accounts()
    deployment = deploy_ledger(client.w3, sender, accounts[DEV_ROLES["admin"]], [accounts[DEV_ROLES["studio"]].address])
    save_deployment(deployment, deployment_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--database", type=Path, required=True, help="SQLite file for the outbox and index")
    parser.add_argument("--ready-file", type=Path, required=True, help="where to write the license ids when ready")
    parser.add_argument("--rpc-url", default=None, help="EVM node URL; omit to run the embedded chain")
    parser.add_argument("--licenses", type=int, default=4, help="licenses to sell to the brand")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    deployment_file = arguments.database.with_suffix(".deployment.json")
    if arguments.rpc_url:
        _deploy_to(arguments.rpc_url, deployment_file)
    settings = Settings(
        rpc_url=arguments.rpc_url,
        deployment_file=deployment_file,
        database_url=f"sqlite:///{arguments.database}",
        dev_mode=True,
        require_api_key=False,
        host="127.0.0.1",
        port=arguments.port,
    )
    context = AppContext.from_settings(settings)

    chain = _SetupChain(context)
    licensed = builders.licensed_twin(chain)
    licenses = [licensed.license_id]
    for _ in range(arguments.licenses - 1):
        licenses.append(builders.license_twin(chain, licensed.twin_id).license_id)
    builders.deposit(chain, BRAND_DEPOSIT)
    arguments.ready_file.write_text(json.dumps({"licenses": licenses}), encoding="utf-8")

    uvicorn.run(create_app(context), host="127.0.0.1", port=arguments.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
