"""Import usages from a CSV file through the usage service, row by row.

Columns (a header row is required; order is free):

| column | required | meaning |
|---|---|---|
| usage_id | yes | the client's id for the usage; re-importing a file is safe because a known id is never posted again |
| license_id | yes | license the usage is registered under |
| asset_hash | one of the two | SHA-256 of the asset, 64 hex digits |
| asset_file | one of the two | path of the asset file, relative to the CSV file; it is hashed |
| quantity | no (1) | units of use in the license's unit (images, placements or thousands of impressions) |
| channel | yes | print, social, out_of_home, web, video, ecommerce or broadcast |
| territory | yes | ISO 3166-1 country code (FR, FRA or 250) |
| deadline, signature | outside dev mode | the holder's EIP-712 UsageRequest signature and its deadline |

The file must be UTF-8; a leading byte-order mark (Excel's "CSV UTF-8") is allowed. A file in
another encoding is rejected before any row is posted. A row with a value in a column not listed
above, or beyond the header's last column, is rejected with the names of those columns.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from twinledger.errors import InvalidInputError, TwinLedgerError
from twinledger.services._messages import describe_error
from twinledger.services.assets import sha256_of
from twinledger.services.context import AppContext
from twinledger.services.usages import UsageInput

__all__ = ["CSV_COLUMNS", "ImportReport", "ImportedRow", "count_rows", "import_usages"]

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("usage_id", "license_id", "asset_hash", "asset_file", "quantity", "channel", "territory", "deadline", "signature")
_REQUIRED = ("usage_id", "license_id", "channel", "territory")


@dataclass(frozen=True)
class ImportedRow:
    """The outcome of one CSV row: ``accepted``, ``duplicate``, ``rejected`` with its reason, or
    ``rejected_earlier`` when an earlier import's usage with this id was rejected (never posted again)."""

    line: int
    usage_id: str
    outcome: str
    reason: str = ""


@dataclass
class ImportReport:
    """Every row's outcome, in file order."""

    rows: list[ImportedRow] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(row.outcome == outcome for row in self.rows)

    @property
    def rejected(self) -> list[ImportedRow]:
        """Rows that this import rejected."""
        return [row for row in self.rows if row.outcome == "rejected"]

    @property
    def rejected_earlier(self) -> list[ImportedRow]:
        """Rows whose usage id an earlier post stored and the chain or the batcher rejected."""
        return [row for row in self.rows if row.outcome == "rejected_earlier"]


def _read_text(path: Path) -> str:
    """Read the whole file as UTF-8 before any row is posted, so an encoding error imports nothing."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInputError(f"cannot read {path}: {error.strerror}", details={"file": str(path)}) from None
    try:
        # utf-8-sig drops the byte-order mark that Excel's "CSV UTF-8" format writes first.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InvalidInputError(
            f"{path} is not UTF-8 text: line {line} holds byte {data[error.start]:#04x}, as Latin-1, Windows-1252 or "
            "binary files do; save the file as UTF-8 (in Excel: CSV UTF-8) and import it again",
            details={"file": str(path), "line": line, "offset": error.start},
        ) from None
    if "\x00" in text:
        raise InvalidInputError(
            f"{path} contains NUL bytes, so it is not a CSV text file: save it as UTF-8 CSV and import it again",
            details={"file": str(path)},
        )
    return text


@dataclass(frozen=True)
class _CsvRow:
    """One data row: its line number, its values by column, and the names of the unknown columns it fills."""

    line: int
    values: dict[str, str]
    unknown_columns: list[str]


def _open(path: Path) -> Iterator[_CsvRow]:
    # DictReader puts the values beyond the header's last column in a list under the key None.
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as error:
        raise InvalidInputError(f"line 1 of {path} is not valid CSV: {error}", details={"file": str(path)}) from None
    header = [name.strip() for name in fieldnames]
    missing = [name for name in _REQUIRED if name not in header]
    if missing or ("asset_hash" not in header and "asset_file" not in header):
        needed = missing + ([] if "asset_hash" in header or "asset_file" in header else ["asset_hash or asset_file"])
        raise InvalidInputError(
            f"{path} lacks the column(s) {', '.join(needed)}: the header must name {', '.join(_REQUIRED)} "
            "and asset_hash or asset_file",
            details={"file": str(path), "missing": needed},
        )
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidInputError(
                f"line {reader.line_num} of {path} is not valid CSV: {error}",
                details={"file": str(path), "line": reader.line_num},
            ) from None
        values: dict[str, str] = {}
        unknown: list[str] = []
        for key, value in row.items():
            if key is None:
                # An empty value past the last column (a trailing comma) carries nothing and is ignored.
                unknown += [f"column {len(header) + 1 + index}" for index, extra in enumerate(value) if extra.strip()]
            elif key.strip() in CSV_COLUMNS:
                values[key.strip()] = (value or "").strip()
            elif (value or "").strip():
                unknown.append(key.strip() or f"column {header.index(key.strip()) + 1}")
        yield _CsvRow(reader.line_num, values, unknown)


def count_rows(path: Path) -> int:
    """Number of data rows in the CSV file (for a progress bar)."""
    return sum(1 for _ in _open(path))


def _to_input(row: _CsvRow, base: Path) -> UsageInput:
    if row.unknown_columns:
        raise InvalidInputError(
            f"line {row.line} has values in unknown column(s) {', '.join(row.unknown_columns)}: remove them, or "
            f"rename the column to one of {', '.join(CSV_COLUMNS)}",
            details={"line": row.line, "unknown_columns": row.unknown_columns},
        )
    return _usage_input(row.values, base)


def _usage_input(row: dict[str, str], base: Path) -> UsageInput:
    def integer(name: str, default: int | None = None) -> int | None:
        text = row.get(name, "")
        if not text:
            if default is None and name in _REQUIRED:
                raise InvalidInputError(f"{name} is empty", details={name: text})
            return default
        try:
            return int(text)
        except ValueError:
            raise InvalidInputError(f"{name} {text!r} is not a whole number", details={name: text}) from None

    asset_hash = row.get("asset_hash", "")
    if not asset_hash:
        name = row.get("asset_file", "")
        if not name:
            raise InvalidInputError("the row has neither asset_hash nor asset_file", details={})
        file = (base / name).resolve()
        if not file.is_file():
            raise InvalidInputError(f"asset file {name} not found next to the CSV file", details={"asset_file": name})
        asset_hash = "0x" + sha256_of(file)
    for name in _REQUIRED:
        if not row.get(name):
            raise InvalidInputError(f"{name} is empty", details={name: ""})
    return UsageInput(
        usage_id=row["usage_id"],
        license_id=integer("license_id"),
        asset_hash=asset_hash,
        quantity=integer("quantity", 1),
        channel=row["channel"],
        territory=row["territory"],
        deadline=integer("deadline", 0) or None,
        signature=row.get("signature") or None,
    )


def import_usages(
    context: AppContext,
    path: Path,
    *,
    client_id: str,
    acting: LocalAccount | None = None,
    on_row: Callable[[ImportedRow], None] | None = None,
) -> ImportReport:
    """Post every row of ``path`` as a usage of ``client_id``; a bad row is reported, not raised."""
    report = ImportReport()
    for row in _open(path):
        usage_id = row.values.get("usage_id", "")
        try:
            intake = context.usages.submit(client_id, _to_input(row, path.parent), acting=acting)
            outcome = ImportedRow(row.line, usage_id, intake.outcome, intake.rejection or "")
        except TwinLedgerError as error:
            outcome = ImportedRow(row.line, usage_id, "rejected", describe_error(error))
            logger.info("line %s of %s rejected: %s", row.line, path, outcome.reason)
        report.rows.append(outcome)
        if on_row is not None:
            on_row(outcome)
    return report
