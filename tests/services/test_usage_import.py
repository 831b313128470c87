"""CSV import of usages: accepted, duplicate and rejected rows, with line numbers and reasons."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rich.console import Console

from tests.services.support import account, licensed_twin
from twinledger.demo.report import import_summary
from twinledger.errors import InvalidInputError, RecordNotFoundError
from twinledger.services.batcher import UsageBatcher
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


def test_import_again_rejected_row_reported(context, tmp_path) -> None:
    licensed = licensed_twin(context, max_uses=2)
    asset = "0x" + hashlib.sha256(b"banner").hexdigest()
    path = tmp_path / "usages.csv"
    path.write_text(
        "usage_id,license_id,asset_hash,quantity,channel,territory\n"
        + "".join(f"capped-{n},{licensed.license_id},{asset},1,social,FR\n" for n in (1, 2, 3)),
        encoding="utf-8",
    )
    import_usages(context, path, client_id="importer-3", acting=account("brand"))
    UsageBatcher(context).drain(timeout=60)
    assert context.usages.get("importer-3", "capped-3").status == "rejected"

    report = import_usages(context, path, client_id="importer-3", acting=account("brand"))

    assert [row.outcome for row in report.rows] == ["duplicate", "duplicate", "rejected_earlier"]
    assert report.rejected == []
    reason = report.rejected_earlier[0].reason
    assert reason.startswith("rejected earlier: The usage would bring the license to 3 uses, above its maximum of 2")
    assert reason.endswith("; post it with a new usage id")
    console = Console(record=True, width=200)
    console.print(import_summary(report, path))
    output = console.export_text()
    assert "rejected earlier" in output
    assert "line 4: usage id capped-3 rejected earlier:" in output


def test_import_latin1_file_rejected(context, tmp_path) -> None:
    licensed = licensed_twin(context)
    path = tmp_path / "latin1.csv"
    asset = "0x" + hashlib.sha256(b"banner").hexdigest()
    path.write_bytes(
        "usage_id,license_id,asset_hash,quantity,channel,territory\n"
        f"latin-ok,{licensed.license_id},{asset},1,social,FR\n"
        f"latin-caf\u00e9,{licensed.license_id},{asset},1,social,FR\n".encode("latin-1")
    )

    with pytest.raises(InvalidInputError) as raised:
        import_usages(context, path, client_id="importer-4", acting=account("brand"))

    assert f"{path} is not UTF-8 text: line 3" in str(raised.value)
    assert "save the file as UTF-8" in str(raised.value)
    with pytest.raises(RecordNotFoundError, match="never accepted"):
        context.usages.get("importer-4", "latin-ok")


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"usage_id,license_id,asset_hash,channel,territory\n\x00\x00\n"],
    ids=["png", "nul-bytes"],
)
def test_import_binary_file_rejected(context, tmp_path, content) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(content)

    with pytest.raises(InvalidInputError, match="save .*as UTF-8") as raised:
        import_usages(context, path, client_id="importer", acting=account("brand"))

    assert str(path) in str(raised.value)


def test_import_utf8_with_bom_accepted(context, tmp_path) -> None:
    licensed = licensed_twin(context)
    path = tmp_path / "excel.csv"
    asset = "0x" + hashlib.sha256(b"banner").hexdigest()
    path.write_text(
        f"usage_id,license_id,asset_hash,quantity,channel,territory\nexcel-1,{licensed.license_id},{asset},1,social,FR\n",
        encoding="utf-8-sig",
    )

    report = import_usages(context, path, client_id="importer-5", acting=account("brand"))

    assert [(row.line, row.outcome) for row in report.rows] == [(2, "accepted")]
    assert context.usages.get("importer-5", "excel-1").license_id == licensed.license_id


def test_import_extra_columns_rejected(context, tmp_path) -> None:
    licensed = licensed_twin(context)
    path = tmp_path / "extra.csv"
    asset = "0x" + hashlib.sha256(b"banner").hexdigest()
    path.write_text(
        "usage_id,license_id,asset_hash,quantity,channel,territory,notes,quantiy\n"
        f"extra-1,{licensed.license_id},{asset},1,social,FR,,\n"
        f"extra-2,{licensed.license_id},{asset},1,social,FR,spring look,\n"
        f"extra-3,{licensed.license_id},{asset},1,social,FR,,5\n"
        f"extra-4,{licensed.license_id},{asset},1,social,FR,,,surplus\n",
        encoding="utf-8",
    )

    report = import_usages(context, path, client_id="importer-6", acting=account("brand"))

    assert [(row.line, row.outcome) for row in report.rows] == [
        (2, "accepted"), (3, "rejected"), (4, "rejected"), (5, "rejected"),
    ]
    reasons = {row.line: row.reason for row in report.rejected}
    assert "line 3 has values in unknown column(s) notes:" in reasons[3]
    assert "line 4 has values in unknown column(s) quantiy:" in reasons[4]
    assert "line 5 has values in unknown column(s) column 9:" in reasons[5]


def test_cli_import_wait_fails_on_chain_rejection(context, tmp_path) -> None:
    from typer.testing import CliRunner

    from twinledger.cli import app as cli_app

    licensed = licensed_twin(context, brand="brand2", deposit=10**12)  # pays for one image only
    asset = "0x" + hashlib.sha256(b"lookbook").hexdigest()
    path = tmp_path / "wait.csv"
    path.write_text(
        "usage_id,license_id,asset_hash,quantity,channel,territory\n"
        f"wait-1,{licensed.license_id},{asset},1,social,FR\n"
        f"wait-2,{licensed.license_id},{asset},5,social,FR\n",
        encoding="utf-8",
    )
    settings = context.settings

    result = CliRunner().invoke(cli_app, [
        "usages", "import", str(path), "--as", "brand2", "--wait", "--dev-mode",
        "--rpc-url", settings.rpc_url, "--deployment-file", str(settings.deployment_file),
        "--database-url", settings.database_url,
    ])

    assert result.exit_code == 2, result.output
    assert "usage wait-2 rejected on-chain" in result.output
    assert context.usages.get("cli", "wait-1").status == "confirmed"
    assert context.usages.get("cli", "wait-2").status == "rejected"
