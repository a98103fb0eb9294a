"""Reminders as rows: planned with their appointment or follow-up, swept, claimed, sent once.

The database is the source of truth. A sweep (asked for by beat) claims due rows with
`SELECT ... FOR UPDATE SKIP LOCKED`, marks them `sending` under a fresh lease and, after commit,
hands each id and lease to a worker. The send re-checks the row under a lock and acts only if it
still holds that lease, so a task delivered twice, or a row reclaimed after its worker died, is
sent by one task only. Transient failures go back to `pending` with a later `send_at` (backoff
in the database, never a broker ETA); after the last try the row is `failed` with the reason.

Recovery takes seconds, not the sending timeout: the worker renews a heartbeat on the rows it is
sending, so a row whose worker died is reclaimed REMINDER_LEASE_SECONDS after its last beat; a row
still waiting in the broker has no heartbeat, and when the broker may have lost it (a worker
starts or reconnects: config/celery.py) the sweep that follows hands it out again at once. A row
sent again after its earlier attempt's outcome was lost asks the provider first (`accepted`), and
the provider's acceptance is recorded before anything else, retried over a dropped connection."""

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Collection

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac

from clinic.audit import audit_record
from clinic.models import AuditEvent, Clinic
from clinic.tokens import token_hash
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import Channel, Patient
from sessions.check_ins import check_in_issue
from sessions.models import CheckIn

from . import channels
from .models import Appointment, FollowUp, Reminder, ReminderPolicy

logger = logging.getLogger(__name__)

SEND_TASK = "treatments.reminders_send"
# A dropped or terminated database connection: the work is retried on a new one.
DATABASE_ERRORS = (OperationalError, InterfaceError)
BEFORE_KINDS = (Reminder.Kind.BEFORE_48H, Reminder.Kind.BEFORE_2H)
# The last moment before quiet hours begin, for a reminder that must not arrive after its
# appointment.
QUIET_MARGIN = dt.timedelta(minutes=1)


def policy_for(clinic: Clinic) -> ReminderPolicy:
    policy, _ = ReminderPolicy.objects.get_or_create(clinic=clinic)
    return policy


# --- quiet hours ------------------------------------------------------------------------------


def in_quiet_hours(moment: dt.datetime, *, policy: ReminderPolicy, zone) -> bool:
    start, end = policy.quiet_hours_start, policy.quiet_hours_end
    if start == end:
        return False
    local = moment.astimezone(zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # wraps past midnight


def _at(day: dt.date, time: dt.time, zone) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=zone)


def quiet_hours_end_after(moment: dt.datetime, *, policy: ReminderPolicy, zone) -> dt.datetime:
    """The first moment quiet hours are over, for a `moment` inside them."""
    local = moment.astimezone(zone)
    end = _at(local.date(), policy.quiet_hours_end, zone)
    if end <= local:
        end = _at(local.date() + dt.timedelta(days=1), policy.quiet_hours_end, zone)
    return end


def quiet_hours_start_before(moment: dt.datetime, *, policy: ReminderPolicy, zone) -> dt.datetime:
    """Just before quiet hours began, for a `moment` inside them."""
    local = moment.astimezone(zone)
    start = _at(local.date(), policy.quiet_hours_start, zone)
    if start > local:
        start = _at(local.date() - dt.timedelta(days=1), policy.quiet_hours_start, zone)
    return start - QUIET_MARGIN


# --- planning: rows move with their appointment or follow-up ------------------------------------


def reachable_channels(*, patient: Patient, policy: ReminderPolicy) -> list[str]:
    """The channels this clinic uses, the patient consented to, and has an address for; none
    once the patient asked for erasure (the record is restricted)."""
    if patient.is_restricted:
        return []
    address: dict[str, str] = {Channel.EMAIL: patient.email, Channel.SMS: patient.phone}
    return [c for c in policy.channels if patient.consents_to(c) and address[c]]


def _announces_a_visit(subject: Appointment | FollowUp) -> bool:
    return isinstance(subject, Appointment) or subject.kind == FollowUp.Kind.APPOINTMENT


def reminder_schedule(
    *, subject: Appointment | FollowUp, policy: ReminderPolicy
) -> dict[tuple[str, str], dt.datetime]:
    """When each (channel, kind) reminder of an open appointment or follow-up should go,
    outside quiet hours."""
    if not subject.is_open:
        return {}
    zone = subject.patient.clinic.zone
    times: dict[str, dt.datetime] = {}
    if _announces_a_visit(subject):
        for kind, hours in (
            (Reminder.Kind.BEFORE_48H, policy.first_reminder_hours),
            (Reminder.Kind.BEFORE_2H, policy.second_reminder_hours),
        ):
            send_at = subject.due_at - dt.timedelta(hours=hours)
            if in_quiet_hours(send_at, policy=policy, zone=zone):
                send_at = quiet_hours_start_before(send_at, policy=policy, zone=zone)
            times[kind] = send_at
    elif subject.kind == FollowUp.Kind.CHECK_IN and subject.session_id:
        send_at = subject.due_at
        if in_quiet_hours(send_at, policy=policy, zone=zone):
            send_at = quiet_hours_end_after(send_at, policy=policy, zone=zone)
        times[Reminder.Kind.CHECK_IN_REQUEST] = send_at
    elif subject.kind == FollowUp.Kind.OUTCOME:
        send_at = subject.due_at
        if in_quiet_hours(send_at, policy=policy, zone=zone):
            send_at = quiet_hours_end_after(send_at, policy=policy, zone=zone)
        times[Reminder.Kind.QUESTIONNAIRE_REQUEST] = send_at
    channels_ = reachable_channels(patient=subject.patient, policy=policy)
    return {(c, kind): at for c in channels_ for kind, at in times.items()}


def reminders_sync(
    *, subject: Appointment | FollowUp, moved: bool = False, now: dt.datetime | None = None
) -> None:
    """Make the reminder rows of an appointment or follow-up match its time, status and the
    patient's consent. Called inside the transaction that changes it; rows are locked, so a worker
    holding one finishes first and a task in flight loses its lease. A reminder before an
    appointment whose moment has passed is not planned (booked late, or moved closer)."""
    now = now or timezone.now()
    policy = policy_for(subject.patient.clinic)
    wanted = reminder_schedule(subject=subject, policy=policy)
    rows = {(r.channel, r.kind): r for r in subject.reminders.select_for_update()}
    unsent = (Reminder.Status.PENDING, Reminder.Status.SENDING)

    def too_late(kind: str, send_at: dt.datetime) -> bool:
        return _too_late(kind, send_at, now)

    for (channel, kind), row in rows.items():
        send_at = wanted.get((channel, kind))
        if send_at is None:
            if row.status in unsent:
                _set(row, status=Reminder.Status.CANCELLED, lease=None)
        elif moved or row.status == Reminder.Status.CANCELLED:
            if too_late(kind, send_at):
                if row.status in unsent:
                    _set(row, status=Reminder.Status.CANCELLED, lease=None)
                continue
            # The patient must hear the new time, even if the old one was sent.
            _set(
                row,
                status=Reminder.Status.PENDING,
                send_at=send_at,
                attempts=0,
                lease=None,
                claimed_at=None,
                sent_at=None,
                provider_message_id="",
                last_error="",
                answer_token_hash="",
                answered_at=None,
            )
    Reminder.objects.bulk_create(
        reminders_planned(subject=subject, policy=policy, now=now, existing=rows.keys())
    )


def _too_late(kind: str, send_at: dt.datetime, now: dt.datetime) -> bool:
    return kind in BEFORE_KINDS and send_at <= now


def reminders_planned(
    *,
    subject: Appointment | FollowUp,
    policy: ReminderPolicy,
    now: dt.datetime,
    existing: Collection[tuple[str, str]] = (),
) -> list[Reminder]:
    """The reminder rows (unsaved) an appointment or follow-up booked at `now` gets under
    `policy`, but for the (channel, kind) pairs it has already. `reminders_sync` saves them; the
    demo writer (demo/writer.py) plans its rows with it, so they are the ones booking makes."""
    wanted = reminder_schedule(subject=subject, policy=policy)
    about = {"appointment" if isinstance(subject, Appointment) else "follow_up": subject}
    return [
        Reminder(patient=subject.patient, channel=channel, kind=kind, send_at=send_at, **about)
        for (channel, kind), send_at in wanted.items()
        if (channel, kind) not in existing and not _too_late(kind, send_at, now)
    ]


def _set(row: Reminder, **values) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=[*values, "updated_at"])


@retrying_atomic
def reminder_resend(*, reminder: Reminder, actor: User) -> Reminder:
    """Front desk sends a failed reminder again, now."""
    row = (
        Reminder.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=reminder.pk)
    )
    if row.status != Reminder.Status.FAILED:
        raise ValueError("Only a failed reminder can be sent again.")
    _set(
        row,
        status=Reminder.Status.PENDING,
        send_at=timezone.now(),
        attempts=0,
        lease=None,
        claimed_at=None,
        last_error="",
    )
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=row, patient=row.patient)
    return row


# --- sweep: claim, reclaim, hand over after commit --------------------------------------------


def _dispatch(ids: list[int], lease: uuid.UUID) -> None:
    """One task per chunk of ids: a task costs a worker several milliseconds of its own before
    it sends anything, which one reminder per task would pay 10,000 times at a busy hour.
    Rows whose task could not be published (the broker is down) go back to `pending` at once,
    for the next sweep, instead of waiting in `sending` for a task that does not exist."""
    app = current_app
    chunk = settings.REMINDER_SEND_CHUNK
    published = 0
    try:
        with app.producer_or_acquire() as producer:
            for start in range(0, len(ids), chunk):
                app.send_task(
                    SEND_TASK, args=(ids[start : start + chunk], str(lease)), producer=producer
                )
                published = start + chunk
    except Exception:
        _release(ids[published:], lease)
        raise


def _release(ids: list[int], lease: uuid.UUID) -> None:
    try:
        Reminder.objects.filter(
            id__in=ids, lease=lease, status=Reminder.Status.SENDING, heartbeat_at__isnull=True
        ).update(status=Reminder.Status.PENDING, lease=None, claimed_at=None)
    except DATABASE_ERRORS:
        # The database is gone too: the rows wait for the sweep that follows a reconnection.
        logger.warning("could not release %d reminders whose task was not published", len(ids))


def reminders_claim_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Claim up to `limit` due rows in one transaction; their tasks are sent after commit.
    Concurrent sweeps (two beats) skip each other's locked rows instead of waiting."""
    now = now or timezone.now()
    limit = limit or settings.REMINDER_CLAIM_BATCH
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=Reminder.Status.PENDING, send_at__lte=now)
            .order_by("send_at")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return 0
        lease = uuid.uuid4()
        # The status guard keeps databases without row locks (SQLite) safe too: a row another
        # sweep claimed meanwhile keeps that sweep's lease, and this one's task will find so.
        Reminder.objects.filter(id__in=ids, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.SENDING, claimed_at=now, lease=lease, heartbeat_at=None
        )
        transaction.on_commit(lambda: _dispatch(ids, lease))
    return len(ids)


def _orphaned(now: dt.datetime, lost_before: dt.datetime | None) -> Q:
    """Rows in `sending` that nobody is sending: their worker's heartbeat stopped a lease ago,
    or no worker ever started them (their message waited in the broker past the sending
    timeout, or was handed out before `lost_before`, when the broker may have lost it)."""
    silent_since = now - dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    never_started = now - dt.timedelta(seconds=settings.REMINDER_SENDING_TIMEOUT_SECONDS)
    if lost_before is not None:
        never_started = max(never_started, lost_before)
    return Q(heartbeat_at__lt=silent_since) | Q(
        heartbeat_at__isnull=True, claimed_at__lt=never_started
    )


def reminders_reclaim_stuck(
    *,
    now: dt.datetime | None = None,
    limit: int | None = None,
    lost_before: dt.datetime | None = None,
) -> int:
    """Rows left in `sending` that nobody is sending (see `_orphaned`). Hand them out again
    under a new lease (so a late original task finds a stale lease), or fail them once they
    used all their attempts. A task whose message was not lost after all then does nothing."""
    now = now or timezone.now()
    limit = limit or settings.REMINDER_CLAIM_BATCH
    orphaned = Q(status=Reminder.Status.SENDING) & _orphaned(now, lost_before)
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(orphaned)
            .order_by("claimed_at")
            .values_list("id", "attempts")[:limit]
        )
        if not rows:
            return 0
        exhausted = [pk for pk, attempts in rows if attempts >= settings.REMINDER_MAX_ATTEMPTS]
        again = [pk for pk, attempts in rows if attempts < settings.REMINDER_MAX_ATTEMPTS]
        Reminder.objects.filter(orphaned, id__in=exhausted).update(
            status=Reminder.Status.FAILED,
            lease=None,
            last_error="No worker finished sending it after the last attempt.",
        )
        if again:
            lease = uuid.uuid4()
            Reminder.objects.filter(orphaned, id__in=again).update(
                claimed_at=now, lease=lease, heartbeat_at=None
            )
            transaction.on_commit(lambda: _dispatch(again, lease))
    logger.warning("reclaimed %d reminders that nobody was sending", len(rows))
    return len(rows)


def reminders_sweep(
    *,
    now: dt.datetime | None = None,
    max_batches: int = 100,
    lost_before: dt.datetime | None = None,
) -> dict:
    """What beat asks for: reclaim rows nobody is sending, then claim every due row batch by
    batch. After a worker (re)connects to the broker, `lost_before` is that moment: rows handed
    to the broker before it and never started are handed out again."""
    now = now or timezone.now()
    batch = settings.REMINDER_CLAIM_BATCH
    reclaimed = claimed = 0
    for _ in range(max_batches):
        found = reminders_reclaim_stuck(now=now, lost_before=lost_before)
        reclaimed += found
        if found < batch:
            break
    for _ in range(max_batches):
        found = reminders_claim_due(now=now)
        claimed += found
        if found < batch:
            break
    return {"claimed": claimed, "reclaimed": reclaimed}


# --- send: one claimed row, once ---------------------------------------------------------------


def _heartbeat(reminder_ids: list[int], lease: str) -> int:
    """This worker is still sending these rows: their lease runs for another
    REMINDER_LEASE_SECONDS. Returns how many rows it still holds."""
    return Reminder.objects.filter(
        id__in=reminder_ids, lease=lease, status=Reminder.Status.SENDING
    ).update(heartbeat_at=timezone.now())


def reminders_send(*, reminder_ids: list[int], lease: str) -> Counter:
    """Send a chunk of rows claimed under `lease`, one by one; returns how many ended how.
    The heartbeat is renewed between rows, not by a thread beside them: a worker stuck in one
    send stops beating, and its other rows go to a worker that is not stuck. One send is
    bounded by the provider's timeout, at most half a lease (settings)."""
    outcomes: Counter = Counter()
    if not _heartbeat(reminder_ids, lease):
        # A task delivered again, or whose rows were reclaimed: nothing here is ours.
        outcomes["stale"] = len(reminder_ids)
        return outcomes
    every = settings.REMINDER_LEASE_SECONDS / 3
    beat_at = time.monotonic()
    for index, pk in enumerate(reminder_ids):
        if time.monotonic() - beat_at >= every:
            _heartbeat(reminder_ids[index:], lease)
            beat_at = time.monotonic()
        outcomes[reminder_send(reminder_id=pk, lease=lease)] += 1
    return outcomes


def _why_not(row: Reminder, *, policy: ReminderPolicy, now: dt.datetime) -> str:
    subject = row.subject
    patient = row.patient
    # The news that a slot was taken goes out about an offer that is closed by then.
    if not subject.is_open and row.kind != Reminder.Kind.SLOT_TAKEN:
        what = "offer" if row.offer_id else "appointment" if row.appointment_id else "follow-up"
        status = subject.get_status_display().lower()
        if row.offer_id and status == "offered":
            status = "expired"
        return f"The {what} is {status}."
    if row.channel not in policy.channels:
        return "The clinic no longer sends reminders on this channel."
    if row.channel not in reachable_channels(patient=patient, policy=policy):
        return "The patient has not consented to this channel, or left no address for it."
    if row.kind in BEFORE_KINDS and subject.due_at <= now:
        return "The appointment has already passed."
    if row.kind == Reminder.Kind.CHECK_IN_REQUEST and row.follow_up is not None:
        check_in = CheckIn.objects.filter(session_id=row.follow_up.session_id).first()
        if check_in is not None and check_in.completed_at is not None:
            return "The patient has already answered the check-in."
    return ""


def answer_token(row: Reminder) -> str:
    """The raw token of a reminder's confirm/cancel link. Derived from the secret key, the row
    and the appointment time, so a message sent again (a retry after a crash) carries the same
    working link; only its hash is stored."""
    return salted_hmac("reminders.answer", message_key(row)).hexdigest()


def message_key(row: Reminder) -> str:
    """Stable across retries of one message; new when the appointment moves (a new message)."""
    return f"reminder-{row.pk}-{int(row.subject.due_at.timestamp())}"


def _check_in_link_token(row: Reminder) -> str:
    """The raw token of the session's check-in link. Like the answer token it is derived, not
    drawn, so a request sent again after a crash carries the link the patient already has; and
    it is derived from the session, not the message, so the email and the text message carry
    the same link and neither stops the other working (a check-in keeps one token hash)."""
    follow_up = row.follow_up
    assert follow_up is not None  # a check-in request is a follow-up's
    raw = salted_hmac("reminders.check_in", f"check-in-{follow_up.session_id}").hexdigest()
    check_in = CheckIn.objects.filter(session_id=follow_up.session_id).first()
    if check_in is None:
        # A check-in request's follow-up always has its session.
        check_in, _ = check_in_issue(session=follow_up.session, actor_label="system")  # type: ignore[arg-type]
    if check_in.token_hash != token_hash(raw):
        CheckIn.objects.filter(pk=check_in.pk).update(token_hash=token_hash(raw))
    return raw


def questionnaire_link_token(follow_up_id: int) -> str:
    """The raw token of a questionnaire's link (outcomes keeps only its hash, on the request
    that names this follow-up). Derived, not drawn, so the email and the text message, and a
    message sent again after a crash, carry the one link the patient has."""
    return salted_hmac("reminders.questionnaire", f"questionnaire-{follow_up_id}").hexdigest()


def _compose(row: Reminder) -> channels.OutgoingMessage:
    about = row.subject
    patient = row.patient
    clinic = patient.clinic
    context: dict = {"patient": patient, "clinic": clinic, "reminder": row}
    if row.kind == Reminder.Kind.CHECK_IN_REQUEST:
        template = "check_in"
        context["link"] = f"{settings.SITE_URL}/check-in/{_check_in_link_token(row)}/"
    elif row.kind == Reminder.Kind.QUESTIONNAIRE_REQUEST:
        template = "questionnaire"
        context["link"] = f"{settings.SITE_URL}/questionnaire/{questionnaire_link_token(about.pk)}/"
    elif row.kind == Reminder.Kind.SLOT_TAKEN:
        template = "slot_taken"
    elif row.kind == Reminder.Kind.SLOT_OFFER:
        template = "slot_offer"
        raw = answer_token(row)
        row.answer_token_hash = token_hash(raw)
        context["link"] = f"{settings.SITE_URL}/waitlist/offer/{raw}/"
        if row.offer is not None:
            context["expires"] = row.offer.expires_at
    else:
        template = "appointment"
        raw = answer_token(row)
        row.answer_token_hash = token_hash(raw)
        context["link"] = f"{settings.SITE_URL}/follow-ups/reply/{raw}/"
    language = patient.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(clinic.zone):
        # The date and time stand on their own line: English formats end in "p.m.", and a
        # sentence's full stop after it read "6:14 p.m..".
        context["when"] = formats.date_format(timezone.localtime(about.due_at), "DATETIME_FORMAT")
        if "expires" in context:
            context["expires"] = formats.time_format(timezone.localtime(context["expires"]))
        lang = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        body = render_to_string(f"scheduling/messages/{lang}/{template}_body.txt", context)
        title = ""
        if row.channel == Channel.EMAIL:  # a text message has no subject
            title = render_to_string(f"scheduling/messages/{lang}/{template}_subject.txt", context)
    to = patient.email if row.channel == Channel.EMAIL else patient.phone
    return channels.OutgoingMessage(
        channel=row.channel,
        to=to,
        subject=" ".join(title.split()),
        body=body.strip(),
        idempotency_key=message_key(row),
    )


def _backoff(attempts: int) -> dt.timedelta:
    seconds = settings.REMINDER_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, 3600))


def _commit_lazily() -> None:
    """What the first transaction of a send writes (the attempt, the lease's new start) may be
    lost if PostgreSQL itself crashes: the row then looks as if the task never started, which
    the sweep already handles. Not waiting for the disk there halves a send's time; recording
    `sent` stays durable."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def reminder_send(*, reminder_id: int, lease: str) -> str:
    """Send one claimed reminder. Returns what happened: sent, stale (not ours any more),
    cancelled, deferred (quiet hours), retry or failed."""
    now = timezone.now()
    with transaction.atomic():
        _commit_lazily()
        row = next(
            iter(
                Reminder.objects.select_for_update(of=("self",))
                # The policy rides along in the same query: every round trip counts here.
                .select_related(
                    "patient__clinic__reminder_policy",
                    "appointment",
                    "follow_up",
                    "offer__slot",
                    "offer__entry",
                )
                .filter(pk=reminder_id)
                .order_by()
            ),
            None,
        )
        if row is None or row.status != Reminder.Status.SENDING or str(row.lease) != lease:
            return "stale"
        clinic = row.patient.clinic
        try:
            policy = clinic.reminder_policy
        except ReminderPolicy.DoesNotExist:
            policy = policy_for(clinic)
        reason = _why_not(row, policy=policy, now=now)
        if reason:
            _set(row, status=Reminder.Status.CANCELLED, lease=None, last_error=reason)
            return "cancelled"
        if in_quiet_hours(now, policy=policy, zone=clinic.zone):
            later = quiet_hours_end_after(now, policy=policy, zone=clinic.zone)
            _set(row, status=Reminder.Status.PENDING, send_at=later, lease=None)
            return "deferred"
        message = _compose(row)
        # An earlier attempt whose outcome never reached the database (its worker died, its
        # connection dropped) may have been accepted: ask the provider before sending again.
        ask_first = row.attempts > 0
        # The attempt is on record before the provider hears of it, with a fresh heartbeat:
        # the lease now outlasts the provider call.
        row.attempts += 1
        Reminder.objects.filter(pk=row.pk).update(
            attempts=row.attempts, heartbeat_at=now, answer_token_hash=row.answer_token_hash
        )

    try:
        provider_id = channels.accepted(message) if ask_first else None
        if provider_id is None:
            provider_id = channels.send(message)
    except channels.TransientSendError as error:
        return _record_failure(row, lease=lease, reason=str(error), transient=True)
    except channels.PermanentSendError as error:
        return _record_failure(row, lease=lease, reason=str(error), transient=False)

    _record_accepted(row, provider_id=provider_id)
    return "sent"


def _record_accepted(row: Reminder, *, provider_id: str) -> None:
    """The provider has the message: nothing else may run before this is on record, and a
    dropped connection is retried on a new one for up to half a lease, so that the record is
    not lost and the message not sent again. It holds whoever's lease the row is under by now:
    if it was reclaimed meanwhile, the message it carries (same key, same appointment time) is
    the one the provider accepted, and the new holder finds it sent."""
    # The same time as the message said: a row moved meanwhile is a new message to send.
    when = row.subject.due_at
    if row.appointment_id:
        same_time = Q(appointment__starts_at=when)
    elif row.follow_up_id:
        same_time = Q(follow_up__due_at=when)
    else:
        same_time = Q()  # an offer's slot never moves
    accepted = Reminder.objects.filter(same_time, pk=row.pk, status=Reminder.Status.SENDING)
    values = {
        "status": Reminder.Status.SENT,
        "sent_at": timezone.now(),
        "provider_message_id": provider_id[:120],
        "lease": None,
        "last_error": "",
    }
    _retrying_on_new_connections(lambda: accepted.update(**values))


def _retrying_on_new_connections(write, *, within: float | None = None):
    """Run `write` (one autocommit statement), reconnecting with backoff after a dropped
    connection; inside a transaction a new connection cannot help, so the error goes up."""
    deadline = time.monotonic() + (within or settings.REMINDER_LEASE_SECONDS / 2)
    delay = 0.1
    while True:
        try:
            return write()
        except DATABASE_ERRORS:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning("database connection lost while recording a reminder; retrying")
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _record_failure(row: Reminder, *, lease: str, reason: str, transient: bool) -> str:
    mine = Reminder.objects.filter(pk=row.pk, lease=lease, status=Reminder.Status.SENDING)
    if transient and row.attempts < settings.REMINDER_MAX_ATTEMPTS:
        mine.update(
            status=Reminder.Status.PENDING,
            send_at=timezone.now() + _backoff(row.attempts),
            lease=None,
            last_error=reason[:500],
        )
        return "retry"
    mine.update(status=Reminder.Status.FAILED, lease=None, last_error=reason[:500])
    logger.warning("reminder %s failed after %d attempts", row.pk, row.attempts)
    return "failed"


@retrying_atomic
def reminder_policy_update(*, clinic: Clinic, actor: User, **values) -> ReminderPolicy:
    """A manager's change. It applies to follow-ups booked or moved from now on; channels and
    quiet hours are also re-checked at every send, so those apply at once."""
    policy = ReminderPolicy.objects.select_for_update().get(pk=policy_for(clinic).pk)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    audit_record(action=AuditEvent.Action.UPDATE, actor=actor, obj=policy, clinic_id=clinic.pk)
    return policy
