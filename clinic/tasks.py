"""Celery tasks of the clinic app: thin, each calls one function."""

from celery import shared_task

from .audit import audit_chain as chain_audit_events
from .partitions import audit_partitions_maintain


@shared_task(name="clinic.audit_chain")
def audit_chain() -> int:
    return chain_audit_events()


@shared_task(name="clinic.audit_partitions")
def audit_partitions() -> dict[str, list[str]]:
    report = audit_partitions_maintain()
    return {
        "created": [f"{month:%Y-%m}" for month in report.created],
        "dropped": [f"{month:%Y-%m}" for month in report.dropped],
        "held": [f"{month:%Y-%m}" for month, _reason in report.held],
    }
