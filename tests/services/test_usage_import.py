"""CSV import of usages: accepted, duplicate and rejected rows, with line numbers and reasons."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.services.support import account, licensed_twin
from twinledger.errors import InvalidInputError
from twinledger.services.usage_import import import_usages


def write_csv(path: Path, license_id: int) -> Path:
    (path.parent / "look.jpg").write_bytes(b"\xff\xd8 campaign look")
    asset = "0x" + hashlib.sha256(b"banner").hexdigest()
    path.write_text(
        "usage_id,license_id,asset_hash,asset_file,quantity,channel,territory\n"
        f"row-1,{license_id},{asset},,1,social,FR\n"
        f"row-2,{license_id},,look.jpg,2,web,US\n"
        f"row-1,{license_id},{asset},,1,social,FR\n"
        f"row-4,{license_id},{asset},,1,social,JP\n"
        f"row-5,{license_id},,missing.jpg,1,social,FR\n"
        f"row-6,{license_id},{asset},,many,social,FR\n"
        f"row-7,9999,{asset},,1,social,FR\n",
        encoding="utf-8",
    )
    return path


def test_import_reports_each_row(context, tmp_path) -> None:
    licensed = licensed_twin(context)
    path = write_csv(tmp_path / "usages.csv", licensed.license_id)
    seen = []

    report = import_usages(context, path, client_id="importer", acting=account("brand"), on_row=seen.append)

    assert [(row.line, row.outcome) for row in report.rows] == [
        (2, "accepted"), (3, "accepted"), (4, "duplicate"), (5, "rejected"), (6, "rejected"), (7, "rejected"), (8, "rejected"),
    ]
    reasons = {row.line: row.reason for row in report.rejected}
    assert "does not cover territory JP" in reasons[5]
    assert "missing.jpg not found" in reasons[6]
    assert "quantity 'many' is not a whole number" in reasons[7]
    assert "License 9999 does not exist" in reasons[8]
    assert len(seen) == 7
    stored = context.usages.get("importer", "row-2")
    assert stored.asset_hash == "0x" + hashlib.sha256(b"\xff\xd8 campaign look").hexdigest()
    assert stored.quantity == 2


def test_import_again_only_duplicates(context, tmp_path) -> None:
    licensed = licensed_twin(context)
    path = write_csv(tmp_path / "usages.csv", licensed.license_id)
    import_usages(context, path, client_id="importer-2", acting=account("brand"))

    report = import_usages(context, path, client_id="importer-2", acting=account("brand"))

    assert report.count("accepted") == 0
    assert report.count("duplicate") == 3


def test_import_missing_column_rejected(context, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("usage_id,license_id,quantity\nx,1,1\n", encoding="utf-8")

    with pytest.raises(InvalidInputError, match="lacks the column"):
        import_usages(context, path, client_id="importer", acting=account("brand"))
