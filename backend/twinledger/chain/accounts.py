"""Accounts that sign TwinLedger transactions: development accounts and operator keys.

Development accounts are the ten accounts of the well-known test mnemonic that Anvil and the
embedded chain both fund at start. Anyone can derive their keys, so they are for local chains only.
An operator key comes from an encrypted keystore file (eth-account) or from the environment.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from twinledger.errors import ConfigurationError

__all__ = ["DEV_MNEMONIC", "DEV_ACCOUNT_COUNT", "dev_accounts", "load_keystore", "account_from_key"]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_COUNT = 10

Account.enable_unaudited_hdwallet_features()


@lru_cache(maxsize=1)
def dev_accounts() -> tuple[LocalAccount, ...]:
    """Return the ten development accounts, in Anvil's order."""
    return tuple(
        Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
        for index in range(DEV_ACCOUNT_COUNT)
    )


def load_keystore(path: Path, password: str) -> LocalAccount:
    """Decrypt an eth-account keystore file. The error never includes the password."""
    try:
        keyfile = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read keystore {path}: {error.__class__.__name__}") from None
    try:
        return Account.from_key(Account.decrypt(keyfile, password))
    except ValueError:
        raise ConfigurationError(f"cannot decrypt keystore {path}: wrong password or damaged file") from None


def account_from_key(private_key: str) -> LocalAccount:
    """Build an account from a hex private key. The error never includes the key."""
    try:
        return Account.from_key(private_key)
    except (ValueError, TypeError):
        raise ConfigurationError("the private key is not 32 bytes of hex: check the key setting") from None
