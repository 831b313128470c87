"""Audit routes: the usage and payment trail, exports, reconciliation, asset checks, figures, takedowns.

Every route reads the event index; ``POST /audit/index`` runs one indexer pass on demand, and a
long-running deployment runs :meth:`twinledger.audit.EventIndexer.follow` beside the API.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from twinledger.api.deps import Context
from twinledger.api.schemas.audit import (
    AssetCheckOut,
    FiguresOut,
    IndexReportOut,
    OpenTakedownsOut,
    ReconciliationOut,
    TakedownOut,
    TrailPageOut,
)
from twinledger.api.schemas.common import ERROR_RESPONSES, ErrorBody
from twinledger.audit.asset_check import check_asset
from twinledger.audit.context import AuditContext
from twinledger.audit.figures import compute_figures
from twinledger.audit.reconcile import reconcile
from twinledger.audit.takedowns import open_takedowns
from twinledger.audit.trail import MAX_PAGE_SIZE, TRAIL_EVENTS, TrailFilter, iter_trail, query_trail, write_csv, write_json
from twinledger.errors import InvalidInputError, TwinLedgerError

__all__ = ["router", "MAX_UPLOAD_BYTES"]

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERROR_RESPONSES)

# The index stores ids and timestamps as signed 64-bit integers (SQLite, PostgreSQL BIGINT): a
# larger filter would overflow the database driver instead of matching nothing.
_MAX_INDEXED_INT = 2**63 - 1

# Campaign images are a few megabytes; the limit keeps one upload from filling the server's memory.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadTooLargeError(TwinLedgerError):
    """An uploaded file is larger than the asset check accepts."""

    http_status = 413


def get_audit(context: Context) -> AuditContext:
    return AuditContext(context.w3, context.ledger.deployment, context.sessions, context.settings, ledger=context.ledger)


Audit = Annotated[AuditContext, Depends(get_audit)]


def trail_filter(
    twin_id: Annotated[int | None, Query(ge=1, le=_MAX_INDEXED_INT, description="twin id")] = None,
    license_id: Annotated[int | None, Query(ge=1, le=_MAX_INDEXED_INT, description="license id")] = None,
    brand: Annotated[str | None, Query(description="brand or account address")] = None,
    asset_hash: Annotated[str | None, Query(description="SHA-256 of the asset file, 64 hex digits")] = None,
    recipient: Annotated[str | None, Query(description="recipient address of credits or withdrawals")] = None,
    since: Annotated[int | None, Query(ge=0, le=_MAX_INDEXED_INT, description="first block timestamp included, Unix seconds")] = None,
    until: Annotated[int | None, Query(ge=0, le=_MAX_INDEXED_INT, description="first block timestamp excluded, Unix seconds")] = None,
    event: Annotated[list[str] | None, Query(description=f"event names; default: {', '.join(TRAIL_EVENTS)}")] = None,
) -> TrailFilter:
    return TrailFilter(
        twin_id=twin_id,
        license_id=license_id,
        brand=brand,
        asset_hash=asset_hash,
        recipient=recipient,
        since=since,
        until=until,
        events=tuple(event) if event else TRAIL_EVENTS,
    ).normalized()


Filter = Annotated[TrailFilter, Depends(trail_filter)]


@router.get("/trail", response_model=TrailPageOut)
def read_trail(
    audit: Audit,
    filters: Filter,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="rows per page")] = 100,
    after: Annotated[str | None, Query(description="next_after of the previous page")] = None,
) -> TrailPageOut:
    """Read one page of the usage and payment trail, in chain order."""
    with audit.session_factory() as session:
        return TrailPageOut.of(query_trail(session, filters, limit=limit, after=after))


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}, "description": "the trail as a file"}},
)
def export_trail(audit: Audit, filters: Filter, format: Literal["csv", "json"] = "csv") -> Response:
    """Export every trail row that matches the filters as CSV or JSON (columns in docs/audit-exports.md)."""
    # NOTE: the export is built in memory before it is sent. For trails of millions of rows use
    # `twinledger audit export`, which writes to a file as it reads.
    buffer = io.StringIO()
    with audit.session_factory() as session:
        rows = iter_trail(session, filters)
        if format == "csv":
            write_csv(rows, buffer)
        else:
            write_json(rows, buffer)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    media_type = "text/csv" if format == "csv" else "application/json"
    return Response(
        buffer.getvalue(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="twinledger-trail-{stamp}.{format}"'},
    )


@router.get(
    "/reconciliation",
    response_model=ReconciliationOut,
    responses={409: {"model": ErrorBody, "description": "the event index is empty: index the chain first"}},
)
def read_reconciliation(audit: Audit) -> ReconciliationOut:
    """Rebuild every deposit and balance from events and compare them with the vault."""
    with audit.session_factory() as session:
        return ReconciliationOut.of(reconcile(session, audit.ledger))


@router.post(
    "/asset-check",
    response_model=AssetCheckOut,
    responses={413: {"model": ErrorBody, "description": "the file is larger than the limit"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the file itself as the request body",
        }
    },
)
async def check_uploaded_asset(
    request: Request,
    audit: Audit,
    filename: Annotated[str | None, Query(description="file name, used to tell the file type")] = None,
) -> AssetCheckOut:
    """Check an uploaded file: its SHA-256, its C2PA manifest, its uses in the trail and takedowns."""
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_UPLOAD_BYTES:
            raise UploadTooLargeError(
                f"the file is larger than {MAX_UPLOAD_BYTES} bytes: check a smaller file",
                details={"max_bytes": MAX_UPLOAD_BYTES},
            )
    if not data:
        raise InvalidInputError("the request body is empty: send the file's bytes as the body")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    media_type = content_type if content_type and content_type != "application/octet-stream" else None
    with audit.session_factory() as session:
        report = check_asset(
            session,
            bytes(data),
            filename=filename,
            media_type=media_type,
            allow_remote_manifests=audit.settings.c2pa_remote_manifests,
        )
    return AssetCheckOut.of(report)


@router.get("/figures", response_model=FiguresOut)
def read_figures(
    audit: Audit,
    since: Annotated[int | None, Query(ge=0, le=_MAX_INDEXED_INT, description="first block timestamp included, Unix seconds")] = None,
    until: Annotated[int | None, Query(ge=0, le=_MAX_INDEXED_INT, description="first block timestamp excluded, Unix seconds")] = None,
    twin_id: Annotated[int | None, Query(ge=1, le=_MAX_INDEXED_INT, description="one twin only")] = None,
) -> FiguresOut:
    """Compute asset reuse, the marginal cost of new images and earnings over a period."""
    with audit.session_factory() as session:
        return FiguresOut.of(compute_figures(session, since=since, until=until, twin_id=twin_id))


@router.get("/takedowns/open", response_model=OpenTakedownsOut)
def read_open_takedowns(audit: Audit, context: Context) -> OpenTakedownsOut:
    """List the takedowns in force, oldest first, with their ages at the chain's latest block."""
    now = context.read(context.client.latest_timestamp, what="reading the latest block")
    with audit.session_factory() as session:
        states = open_takedowns(session)
    return OpenTakedownsOut(as_of=now, takedowns=[TakedownOut.of(state, now) for state in states])


@router.post("/index", response_model=IndexReportOut)
def run_index_pass(audit: Audit) -> IndexReportOut:
    """Index every confirmed block not indexed yet, and return what the pass read."""
    return IndexReportOut.of(audit.indexer().sync())
