"""The audit trail: `audit_record` appends one hash-chained AuditEvent.

Services call it inside their own transaction, so a write and its audit row commit together.
The request's IP and id reach it through a context variable that `AuditContextMiddleware` sets,
so services need no request argument."""

import contextvars
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent
from .request_ids import request_id_for

GENESIS = "0" * 64
# Any constant: the key of the PostgreSQL advisory lock that serialises the chain's tail.
CHAIN_LOCK = 7_343_021


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None
    request_id: str


_request: contextvars.ContextVar[RequestMeta | None] = contextvars.ContextVar(
    "audit_request", default=None
)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request)
        token = _request.set(RequestMeta(request.META.get("REMOTE_ADDR"), request_id))
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


@transaction.atomic
def audit_record(
    *,
    action: str,
    actor=None,
    actor_label: str = "",
    obj=None,
    patient=None,
    patient_id: int | None = None,
    clinic_id: int | None = None,
) -> AuditEvent:
    """Append one event. `patient` (a Patient) files it under that patient and their clinic;
    `patient_id` and `clinic_id` do the same from ids alone."""
    object_type, object_id = _object_ref(obj)
    if patient is not None:
        clinic_id, patient_id = patient.clinic_id, patient.pk
    meta = _request.get()
    if connection.vendor == "postgresql":
        # Two writers reading the same tail would fork the chain: one at a time, until commit.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    tail = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        at=timezone.now(),
        clinic_id=clinic_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        ip=meta.ip if meta else None,
        request_id=meta.request_id if meta else "",
        previous_hash=tail or GENESIS,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def audit_verify() -> list[str]:
    """Walk the chain oldest first; each problem names the row it was found at."""
    problems = []
    expected_previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != expected_previous:
            problems.append(
                f"audit event {event.pk}: the row before it was changed or deleted "
                "(its previous hash does not match)"
            )
        if event.compute_hash() != event.hash:
            problems.append(f"audit event {event.pk}: its content was changed after it was written")
        expected_previous = event.hash
    return problems


def _patient_of(obj):
    """The patient a scoped row belongs to, found along its `clinic_lookup` path
    (`session__patient__clinic` -> obj.session.patient); None for a row without one."""
    target = obj
    for part in filter(None, obj.clinic_lookup.removesuffix("clinic").split("__")):
        target = getattr(target, part)
    if target._meta.label_lower != "patients.patient":
        target = getattr(target, "patient", None)  # an intake not linked to a patient yet
    return target


def audit_read(*, user, obj) -> AuditEvent:
    """A read of one scoped row (a patient, a note, an intake...), filed under its patient."""
    patient = _patient_of(obj)
    return audit_record(
        action=AuditEvent.Action.READ, actor=user, obj=obj, patient=patient,
        clinic_id=None if patient else getattr(obj, "clinic_id", None),
    )  # fmt: skip
