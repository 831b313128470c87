"""Plain sentences for contract errors: role names instead of role hashes, vocabulary names instead of bitmasks."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from twinledger.errors import PermissionDeniedError
from twinledger.services._messages import describe_error

ACCOUNT = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


def _missing_role(role: bytes) -> PermissionDeniedError:
    arguments = {"account": ACCOUNT, "neededRole": role}
    return PermissionDeniedError("AccessControlUnauthorizedAccount", arguments, "AccessControlUnauthorizedAccount")


@pytest.mark.parametrize("name", ["REGISTRAR_ROLE", "PAUSER_ROLE", "LEDGER_ROLE", "CURRENCY_ADMIN_ROLE"])
def test_missing_role_named(name) -> None:
    message = describe_error(_missing_role(keccak(text=name)))

    assert message.startswith(f"Account {ACCOUNT} lacks {name}, which this action needs")
    assert keccak(text=name).hex() not in message


def test_missing_admin_role_named() -> None:
    assert "lacks DEFAULT_ADMIN_ROLE, which" in describe_error(_missing_role(bytes(32)))


def test_missing_unknown_role_in_hex() -> None:
    role = keccak(text="MINTER_ROLE")

    assert f"lacks role 0x{role.hex()}, which" in describe_error(_missing_role(role))
