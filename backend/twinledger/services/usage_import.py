"""Import usages from a CSV file through the usage service, row by row.

Columns (a header row is required; order is free):

| column | required | meaning |
|---|---|---|
| usage_id | yes | the client's id for the usage; re-importing a file is safe |
| license_id | yes | license the usage is registered under |
| asset_hash | one of the two | SHA-256 of the asset, 64 hex digits |
| asset_file | one of the two | path of the asset file, relative to the CSV file; it is hashed |
| quantity | no (1) | units of use in the license's unit (images, placements or thousands of impressions) |
| channel | yes | print, social, out_of_home, web, video, ecommerce or broadcast |
| territory | yes | ISO 3166-1 country code (FR, FRA or 250) |
| deadline, signature | outside dev mode | the holder's EIP-712 UsageRequest signature and its deadline |
"""

from __future__ import annotations

import csv
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
    """The outcome of one CSV row: ``accepted``, ``duplicate`` or ``rejected`` with its reason."""

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
        return [row for row in self.rows if row.outcome == "rejected"]


def _open(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(f"cannot read {path}: {error.strerror}", details={"file": str(path)}) from None
    with handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in _REQUIRED if name not in header]
        if missing or ("asset_hash" not in header and "asset_file" not in header):
            needed = missing + ([] if "asset_hash" in header or "asset_file" in header else ["asset_hash or asset_file"])
            raise InvalidInputError(
                f"{path} lacks the column(s) {', '.join(needed)}: the header must name {', '.join(_REQUIRED)} "
                "and asset_hash or asset_file",
                details={"file": str(path), "missing": needed},
            )
        for row in reader:
            yield reader.line_num, {key.strip(): (value or "").strip() for key, value in row.items() if key}


def count_rows(path: Path) -> int:
    """Number of data rows in the CSV file (for a progress bar)."""
    return sum(1 for _ in _open(path))


def _to_input(row: dict[str, str], base: Path) -> UsageInput:
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
    for line, row in _open(path):
        usage_id = row.get("usage_id", "")
        try:
            intake = context.usages.submit(client_id, _to_input(row, path.parent), acting=acting)
            outcome = ImportedRow(line, usage_id, "accepted" if intake.created else "duplicate")
        except TwinLedgerError as error:
            outcome = ImportedRow(line, usage_id, "rejected", describe_error(error))
            logger.info("line %s of %s rejected: %s", line, path, outcome.reason)
        report.rows.append(outcome)
        if on_row is not None:
            on_row(outcome)
    return report
