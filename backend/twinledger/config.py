"""Settings of TwinLedger: one validated object, read from the environment and ``.env``.

Every variable is the field name in upper case with the prefix ``TWINLEDGER_``, for example
``TWINLEDGER_RPC_URL``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "LOCAL_CHAIN_IDS"]

# Chain ids on which dev mode may sign with the well-known development keys: Anvil's and Hardhat's
# default. The embedded chain is always local.
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


class Settings(BaseSettings):
    """Validated settings; see README.md for what each one is for."""

    model_config = SettingsConfigDict(env_prefix="TWINLEDGER_", env_file=".env", extra="ignore")

    rpc_url: str | None = Field(default=None, description="EVM node URL; unset runs the embedded chain")
    deployment_file: Path = Field(default=Path("deployment.json"), description="contract addresses for rpc_url")
    database_url: str = Field(default="sqlite:///twinledger.db", description="SQLAlchemy URL of the index and outbox")
    dev_mode: bool = Field(default=False, description="sign for the development accounts (local chains only)")
    operator_key: SecretStr | None = Field(default=None, description="hex private key of the relayer account")
    keystore_path: Path | None = Field(default=None, description="encrypted keystore of the relayer account")
    keystore_password: SecretStr | None = Field(default=None, description="password of keystore_path")
    confirmations: int = Field(default=0, ge=0, le=1000, description="blocks the indexer waits before reading one")
    batch_max_size: int = Field(default=200, ge=1, le=1000, description="usages per on-chain batch")
    batch_interval_seconds: float = Field(default=0.5, gt=0, le=60, description="how often the batcher runs")
    rpc_timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="timeout of one RPC request")
    tx_replace_after_seconds: float | None = Field(
        default=None, gt=0, le=3600,
        description="replace a transaction still unmined after this long with the same nonce and higher fees; unset waits",
    )
    api_rate_limit_per_minute: int = Field(default=600, ge=1, description="requests per API key per minute")
    require_api_key: bool = Field(default=True, description="reject API requests without a valid API key")
    c2pa_remote_manifests: bool = Field(default=False, description="allow fetching remote C2PA manifests")
    host: str = Field(default="127.0.0.1", description="address the API listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="port the API listens on")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()
