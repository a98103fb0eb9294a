"""The audit trail: who did what to which record, in one keyed, linear chain.

- `audit_record` inserts one AuditEvent carrying an HMAC of its content, inside the caller's
  transaction, so a write and its audit row commit together. It takes no lock: a lock held
  from the audit insert to commit, with row locks taken before and after it, deadlocked
  concurrent saves (issue 18), and writers never need to see each other.
- `audit_chain` (beat, every AUDIT_CHAIN_SECONDS; and `audit_verify`) links the committed
  events, in the order it finds them, into AuditChainLink rows: one sequencer at a time, in a
  short transaction of its own that holds no other lock. It then appends a signed checkpoint of
  the chain's head to AUDIT_ANCHOR_FILE and the `clinic.audit.anchor` log, outside the database.
- `audit_verify` checks each row's HMAC, the chain, and the chain against its anchor, so rows
  edited, forged, deleted, re-chained, truncated or cut from the tail are all named. A month
  dropped past retention (clinic/partitions.py) leaves a keyed `AuditRetentionCut` naming the
  links it took, and the walk crosses exactly those.

The request's IP and id reach it through a context variable that `AuditContextMiddleware` sets,
so services need no request argument."""

import contextvars
import hmac
import json
import logging
import os
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from .addresses import client_ip
from .models import AuditChainLink, AuditEvent, AuditRetentionCut, audit_hmac
from .request_ids import request_id_for
from .types import AnyUser, User

GENESIS = "0" * 64
# Any constant: the key of the PostgreSQL advisory lock that admits one sequencer at a time.
# Only `audit_chain` takes it, in a transaction that touches nothing but the chain.
CHAIN_LOCK = 7_343_021
# A new event is looked for among this many ids below the chain's newest: an event committed
# later than events with higher ids (a long transaction) still gets linked. `audit_verify`
# looks at every row.
CHAIN_LOOKBACK = 100_000
CHAIN_BATCH = 5_000

anchor_log = logging.getLogger("clinic.audit.anchor")


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

    def __call__(self, request: HttpRequest):
        request_id = request_id_for(request)
        token = _request.set(RequestMeta(client_ip(request), request_id))
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


def _event(
    *, action, actor: AnyUser | None, actor_label, obj, patient, patient_id, clinic_id, fields=()
) -> AuditEvent:
    object_type, object_id = _object_ref(obj)
    if patient is not None:
        clinic_id, patient_id = patient.clinic_id, patient.pk
    meta = _request.get()
    event = AuditEvent(
        at=timezone.now(),
        clinic_id=clinic_id,
        actor=actor if isinstance(actor, User) else None,  # never AnonymousUser
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        fields=",".join(fields),
        patient_id=patient_id,
        ip=meta.ip if meta else None,
        request_id=meta.request_id if meta else "",
        nonce=secrets.token_hex(16),
    )
    event.mac = event.compute_mac()
    return event


def audit_record(
    *,
    action: str,
    actor: AnyUser | None = None,
    actor_label: str = "",
    obj=None,
    patient=None,
    patient_id: int | None = None,
    clinic_id: int | None = None,
    fields: Collection[str] = (),
) -> AuditEvent:
    """Append one event. `patient` (a Patient) files it under that patient and their clinic;
    `patient_id` and `clinic_id` do the same from ids alone. `fields` names the fields an
    update changed (names only: a value may be health data)."""
    event = _event(
        action=action, actor=actor, actor_label=actor_label, obj=obj, patient=patient,
        patient_id=patient_id, clinic_id=clinic_id, fields=fields,
    )  # fmt: skip
    event.save(force_insert=True)
    return event


def audit_record_patients(
    *, action: str, patients, actor: AnyUser | None = None, actor_label: str = ""
) -> None:
    """One event per patient, filed under each, in a few INSERTs: an import of thousands of
    patients audits every one of them without a round trip each."""
    events = [
        _event(
            action=action,
            actor=actor,
            actor_label=actor_label,
            obj=patient,
            patient=patient,
            patient_id=None,
            clinic_id=None,
        )  # fmt: skip
        for patient in patients
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)


def audit_chain(*, full: bool = False) -> int:
    """Link every committed event not yet in the chain; returns how many were linked. Run it
    outside any other transaction (beat, a command): its lock must be the only one it holds."""
    linked = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        head = AuditChainLink.objects.order_by("-seq").first()
        seq, previous = (head.seq, head.mac) if head else (0, GENESIS)
        pending = AuditEvent.objects.filter(chain_link__isnull=True).order_by("id")
        if not full:
            newest = AuditChainLink.objects.aggregate(newest=Max("event_id"))["newest"] or 0
            pending = pending.filter(id__gt=newest - CHAIN_LOOKBACK)
        while batch := list(pending[:CHAIN_BATCH]):
            links = []
            for event in batch:
                seq += 1
                link = AuditChainLink(seq=seq, event=event, event_at=event.at, previous=previous)
                link.mac = previous = link.compute_mac()
                links.append(link)
            AuditChainLink.objects.bulk_create(links)
            linked += len(links)
        if linked:
            transaction.on_commit(lambda: _anchor(seq, previous))
    return linked


def _checkpoint_signature(seq: int, mac: str, at: str) -> str:
    return audit_hmac(f"anchor|{seq}|{mac}|{at}")


def _anchor(seq: int, mac: str) -> None:
    """A signed checkpoint of the head, kept where a database role cannot reach: appended to
    AUDIT_ANCHOR_FILE (synced to disk) and written to the log."""
    at = timezone.now().isoformat()
    checkpoint = {"seq": seq, "mac": mac, "at": at, "sig": _checkpoint_signature(seq, mac, at)}
    path = settings.AUDIT_ANCHOR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as anchor:
        anchor.write(json.dumps(checkpoint) + "\n")
        anchor.flush()
        os.fsync(anchor.fileno())
    anchor_log.info("audit chain head seq=%s mac=%s at=%s sig=%s", seq, mac, at, checkpoint["sig"])


def _checkpoints() -> tuple[dict[int, dict], list[str]]:
    """The anchor's checkpoints by link number, and the lines whose signature does not hold."""
    checkpoints, problems = {}, []
    try:
        lines = settings.AUDIT_ANCHOR_FILE.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}, []
    for number, line in enumerate(lines, start=1):
        try:
            point = json.loads(line)
            expected = _checkpoint_signature(point["seq"], point["mac"], point["at"])
            valid = hmac.compare_digest(expected, point["sig"])
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            problems.append(f"audit anchor line {number}: not a checkpoint signed with the key")
            continue
        checkpoints[point["seq"]] = point
    return checkpoints, problems


def _retention_cuts() -> tuple[dict[int, tuple[int, str]], list[str]]:
    """The runs of links dropped with their months, by first `seq`: (last seq, last MAC); and
    the cuts whose HMAC does not hold (forged, or edited to cover a deletion)."""
    runs, problems = {}, []
    for cut in AuditRetentionCut.objects.all():
        if not hmac.compare_digest(cut.compute_mac(), cut.mac):
            problems.append(f"audit retention cut of {cut.month:%Y-%m}: changed or forged")
            continue
        runs.update({first: (last, head) for first, last, head in cut.runs})
    return runs, problems


def _dropped_head(first: int, last: int, runs: dict[int, tuple[int, str]]) -> str | None:
    """The MAC of link `last` when links `first`..`last` all went with dropped months."""
    position, head = first, None
    while position <= last and position in runs:
        position, head = runs[position][0] + 1, runs[position][1]
    return head if position == last + 1 else None


def audit_verify() -> list[str]:
    """Link what is still unlinked, then walk every event and the whole chain; each problem
    names the row or link it was found at. An empty list means the trail is intact."""
    audit_chain(full=True)
    problems = []
    dropped, cut_problems = _retention_cuts()
    problems += cut_problems
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if not hmac.compare_digest(event.compute_mac(), event.mac):
            problems.append(
                f"audit event {event.pk}: its content was changed or forged "
                "(its HMAC does not match)"
            )
    checkpoints, anchor_problems = _checkpoints()
    problems += anchor_problems
    expected_seq, previous = 1, GENESIS
    links = AuditChainLink.objects.select_related("event").order_by("seq")
    for link in links.iterator(chunk_size=2000):
        if link.seq != expected_seq and (
            head_mac := _dropped_head(expected_seq, link.seq - 1, dropped)
        ):
            previous = head_mac  # the links between went with months past retention
        elif link.seq != expected_seq:
            problems.append(f"audit chain: links {expected_seq} to {link.seq - 1} were deleted")
        if link.previous != previous:
            problems.append(
                f"audit chain link {link.seq} (event {link.event_id}): the link before it "
                "was changed or deleted"
            )
        if not hmac.compare_digest(link.compute_mac(), link.mac):
            problems.append(
                f"audit chain link {link.seq} (event {link.event_id}): changed after it was written"
            )
        point = checkpoints.get(link.seq)
        if point and not hmac.compare_digest(point["mac"], link.mac):
            problems.append(
                f"audit chain link {link.seq}: differs from the anchor's checkpoint "
                f"of {point['at']}"
            )
        expected_seq, previous = link.seq + 1, link.mac
    head = expected_seq - 1
    if checkpoints and (anchored := max(checkpoints)) > head:
        problems.append(
            f"audit chain: ends at link {head}, but the anchor saw link {anchored} on "
            f"{checkpoints[anchored]['at']}: the newest rows were deleted or the table emptied"
        )
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


def audit_read(*, user: AnyUser, obj) -> AuditEvent:
    """A read of one scoped row (a patient, a note, an intake...), filed under its patient."""
    patient = _patient_of(obj)
    return audit_record(
        action=AuditEvent.Action.READ, actor=user, obj=obj, patient=patient,
        clinic_id=None if patient else getattr(obj, "clinic_id", None),
    )  # fmt: skip
