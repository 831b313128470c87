"""Audit trail: the event indexer, the usage and payment trail, reconciliation, asset checks and figures."""

from twinledger.audit.context import AuditContext
from twinledger.audit.indexer import EventIndexer, IndexReport
from twinledger.audit.reconcile import ReconcileReport, reconcile
from twinledger.audit.trail import TrailFilter, TrailPage, query_trail

__all__ = [
    "AuditContext",
    "EventIndexer",
    "IndexReport",
    "ReconcileReport",
    "TrailFilter",
    "TrailPage",
    "query_trail",
    "reconcile",
]
