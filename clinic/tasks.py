"""Celery tasks of the clinic app: thin, each calls one function."""

from celery import shared_task

from .audit import audit_chain as chain_audit_events


@shared_task(name="clinic.audit_chain")
def audit_chain() -> int:
    return chain_audit_events()
