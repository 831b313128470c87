"""Fixtures of the Brownie suite: one deployment per module, each test reverted to a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from ledger_builders import register_twin

from scripts.brownie_deploy import Ledger, deploy_ledger

SPLIT_SHARES = [7000, 2000, 1000]


@pytest.fixture(scope="module", autouse=True)
def module_chain(module_isolation: None) -> None:
    """Reset the chain before and after each module."""


@pytest.fixture(autouse=True)
def isolation(fn_isolation: None) -> None:
    """Revert the chain after each test to the state the module fixtures left."""


@dataclass(frozen=True)
class Roles:
    """The development accounts by role."""

    admin: Any
    studio: Any
    model: Any
    agency: Any
    brand: Any
    brand2: Any
    model2: Any
    outsider: Any


@pytest.fixture(scope="module")
def roles(accounts: Any) -> Roles:
    return Roles(*accounts[:8])


@pytest.fixture(scope="module")
def ledger(roles: Roles) -> Ledger:
    """The contracts deployed and wired by the deployment script, with the studio as registrar."""
    return deploy_ledger(roles.admin, [roles.studio])


@pytest.fixture(scope="module")
def split_recipients(roles: Roles) -> list[Any]:
    return [roles.model, roles.agency, roles.studio]


@pytest.fixture(scope="module")
def twin_id(ledger: Ledger, roles: Roles, split_recipients: list[Any]) -> int:
    """A twin owned by the model, split 70/20/10 between the model, the agency and the studio."""
    return register_twin(ledger, roles.studio, roles.model, split_recipients, SPLIT_SHARES)
