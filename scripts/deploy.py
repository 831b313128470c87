#!/usr/bin/env python3
"""Deploy TwinLedger to any EVM node and write a deployment file.

    python scripts/deploy.py --rpc-url http://127.0.0.1:8545 --output deployment.json --dev-account 0

Without --dev-account the deployer's hex private key is read from $TWINLEDGER_OPERATOR_KEY.
"""

from twinledger.cli import app

if __name__ == "__main__":
    app(["deploy", *__import__("sys").argv[1:]])
