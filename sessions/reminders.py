"""Reminders as rows: planned with their follow-up, swept, claimed, sent once.

The database is the source of truth. A sweep (asked for by beat) claims due rows with
`SELECT ... FOR UPDATE SKIP LOCKED`, marks them `sending` under a fresh lease and, after commit,
hands each id and lease to a worker. The send re-checks the row under a lock and acts only if it
still holds that lease, so a task delivered twice, or a row reclaimed after its worker died, is
sent by one task only. Transient failures go back to `pending` with a later `send_at` (backoff
in the database, never a broker ETA); after the last try the row is `failed` with the reason."""

import datetime as dt
import logging
import uuid
from collections import Counter

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac

from clinic.models import Clinic
from clinic.tokens import token_hash
from patients.models import Channel, Patient

from . import channels
from .check_ins import check_in_issue
from .models import CheckIn, FollowUp, Reminder, ReminderPolicy

logger = logging.getLogger(__name__)

SEND_TASK = "treatments.reminders_send"
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


# --- planning: rows move with their follow-up -------------------------------------------------


def reachable_channels(*, patient: Patient, policy: ReminderPolicy) -> list[str]:
    """The channels this clinic uses, the patient consented to, and has an address for; none
    once the patient asked for erasure (the record is restricted)."""
    if patient.is_restricted:
        return []
    address = {Channel.EMAIL: patient.email, Channel.SMS: patient.phone}
    return [c for c in policy.channels if patient.consents_to(c) and address[c]]


def reminder_schedule(
    *, follow_up: FollowUp, policy: ReminderPolicy
) -> dict[tuple[str, str], dt.datetime]:
    """When each (channel, kind) reminder of an open follow-up should go, outside quiet hours."""
    if not follow_up.is_open:
        return {}
    zone = follow_up.patient.clinic.zone
    times: dict[str, dt.datetime] = {}
    if follow_up.kind == FollowUp.Kind.APPOINTMENT:
        for kind, hours in (
            (Reminder.Kind.BEFORE_48H, policy.first_reminder_hours),
            (Reminder.Kind.BEFORE_2H, policy.second_reminder_hours),
        ):
            send_at = follow_up.due_at - dt.timedelta(hours=hours)
            if in_quiet_hours(send_at, policy=policy, zone=zone):
                send_at = quiet_hours_start_before(send_at, policy=policy, zone=zone)
            times[kind] = send_at
    elif follow_up.kind == FollowUp.Kind.CHECK_IN and follow_up.session_id:
        send_at = follow_up.due_at
        if in_quiet_hours(send_at, policy=policy, zone=zone):
            send_at = quiet_hours_end_after(send_at, policy=policy, zone=zone)
        times[Reminder.Kind.CHECK_IN_REQUEST] = send_at
    channels_ = reachable_channels(patient=follow_up.patient, policy=policy)
    return {(c, kind): at for c in channels_ for kind, at in times.items()}


def reminders_sync(
    *, follow_up: FollowUp, moved: bool = False, now: dt.datetime | None = None
) -> None:
    """Make the follow-up's reminder rows match its time, status and the patient's consent.
    Called inside the transaction that changes the follow-up; rows are locked, so a worker
    holding one finishes first and a task in flight loses its lease. A reminder before an
    appointment whose moment has passed is not planned (booked late, or moved closer)."""
    now = now or timezone.now()
    policy = policy_for(follow_up.patient.clinic)
    wanted = reminder_schedule(follow_up=follow_up, policy=policy)
    rows = {(r.channel, r.kind): r for r in follow_up.reminders.select_for_update()}
    unsent = (Reminder.Status.PENDING, Reminder.Status.SENDING)

    def too_late(kind: str, send_at: dt.datetime) -> bool:
        return kind in BEFORE_KINDS and send_at <= now

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
                row, status=Reminder.Status.PENDING, send_at=send_at, attempts=0, lease=None,
                claimed_at=None, sent_at=None, provider_message_id="", last_error="",
                answer_token_hash="", answered_at=None,
            )  # fmt: skip
    Reminder.objects.bulk_create(
        Reminder(follow_up=follow_up, channel=channel, kind=kind, send_at=send_at)
        for (channel, kind), send_at in wanted.items()
        if (channel, kind) not in rows and not too_late(kind, send_at)
    )


def _set(row: Reminder, **values) -> None:
    for name, value in values.items():
        setattr(row, name, value)
    row.save(update_fields=[*values, "updated_at"])


def reminder_resend(*, reminder: Reminder) -> Reminder:
    """Front desk sends a failed reminder again, now."""
    with transaction.atomic():
        row = Reminder.objects.select_for_update().get(pk=reminder.pk)
        if row.status != Reminder.Status.FAILED:
            raise ValueError("Only a failed reminder can be sent again.")
        _set(
            row, status=Reminder.Status.PENDING, send_at=timezone.now(), attempts=0,
            lease=None, claimed_at=None, last_error="",
        )  # fmt: skip
    return row


# --- sweep: claim, reclaim, hand over after commit --------------------------------------------


def _dispatch(ids: list[int], lease: uuid.UUID) -> None:
    """One task per chunk of ids: a task costs a worker several milliseconds of its own before
    it sends anything, which one reminder per task would pay 10,000 times at a busy hour."""
    app = current_app
    chunk = settings.REMINDER_SEND_CHUNK
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), chunk):
            app.send_task(
                SEND_TASK, args=(ids[start : start + chunk], str(lease)), producer=producer
            )


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
            status=Reminder.Status.SENDING, claimed_at=now, lease=lease
        )
        transaction.on_commit(lambda: _dispatch(ids, lease))
    return len(ids)


def reminders_reclaim_stuck(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Rows left in `sending` past the timeout: their worker died or their message was lost.
    Hand them out again under a new lease (so a late original task finds a stale lease), or
    fail them once they used all their attempts."""
    now = now or timezone.now()
    limit = limit or settings.REMINDER_CLAIM_BATCH
    cutoff = now - dt.timedelta(seconds=settings.REMINDER_SENDING_TIMEOUT_SECONDS)
    with transaction.atomic():
        rows = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=Reminder.Status.SENDING, claimed_at__lt=cutoff)
            .order_by("claimed_at")
            .values_list("id", "attempts")[:limit]
        )
        if not rows:
            return 0
        exhausted = [pk for pk, attempts in rows if attempts >= settings.REMINDER_MAX_ATTEMPTS]
        again = [pk for pk, attempts in rows if attempts < settings.REMINDER_MAX_ATTEMPTS]
        Reminder.objects.filter(id__in=exhausted, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.FAILED,
            lease=None,
            last_error="No worker finished sending it after the last attempt.",
        )
        if again:
            lease = uuid.uuid4()
            Reminder.objects.filter(id__in=again, status=Reminder.Status.SENDING).update(
                claimed_at=now, lease=lease
            )
            transaction.on_commit(lambda: _dispatch(again, lease))
    logger.warning("reclaimed %d reminders stuck in sending", len(rows))
    return len(rows)


def reminders_sweep(*, now: dt.datetime | None = None, max_batches: int = 100) -> dict:
    """What beat asks for: reclaim stuck rows, then claim every due row batch by batch."""
    reclaimed = reminders_reclaim_stuck(now=now)
    claimed = 0
    for _ in range(max_batches):
        batch = reminders_claim_due(now=now)
        claimed += batch
        if batch < settings.REMINDER_CLAIM_BATCH:
            break
    return {"claimed": claimed, "reclaimed": reclaimed}


# --- send: one claimed row, once ---------------------------------------------------------------


def reminders_send(*, reminder_ids: list[int], lease: str) -> Counter:
    """Send a chunk of rows claimed under `lease`, one by one; returns how many ended how.
    Their timeout restarts first: rows at the end of a chunk must not be reclaimed while the
    rows before them are being sent."""
    Reminder.objects.filter(
        id__in=reminder_ids, lease=lease, status=Reminder.Status.SENDING
    ).update(claimed_at=timezone.now())
    return Counter(reminder_send(reminder_id=pk, lease=lease) for pk in reminder_ids)


def _why_not(row: Reminder, *, policy: ReminderPolicy, now: dt.datetime) -> str:
    follow_up = row.follow_up
    patient = follow_up.patient
    if not follow_up.is_open:
        return f"The follow-up is {follow_up.get_status_display().lower()}."
    if row.channel not in policy.channels:
        return "The clinic no longer sends reminders on this channel."
    if row.channel not in reachable_channels(patient=patient, policy=policy):
        return "The patient has not consented to this channel, or left no address for it."
    if row.kind in BEFORE_KINDS and follow_up.due_at <= now:
        return "The appointment has already passed."
    if row.kind == Reminder.Kind.CHECK_IN_REQUEST:
        check_in = CheckIn.objects.filter(session_id=follow_up.session_id).first()
        if check_in is not None and check_in.completed_at is not None:
            return "The patient has already answered the check-in."
    return ""


def answer_token(row: Reminder) -> str:
    """The raw token of a reminder's confirm/cancel link. Derived from the secret key, the row
    and the appointment time, so a message sent again (a retry after a crash) carries the same
    working link; only its hash is stored."""
    return salted_hmac("reminders.answer", message_key(row)).hexdigest()


def message_key(row: Reminder) -> str:
    """Stable across retries of one message; new when the follow-up moves (a new message)."""
    return f"reminder-{row.pk}-{int(row.follow_up.due_at.timestamp())}"


def _check_in_link_token(row: Reminder) -> str:
    """The raw token of the session's check-in link. Like the answer token it is derived, not
    drawn, so a request sent again after a crash carries the link the patient already has; and
    it is derived from the session, not the message, so the email and the text message carry
    the same link and neither stops the other working (a check-in keeps one token hash)."""
    follow_up = row.follow_up
    raw = salted_hmac("reminders.check_in", f"check-in-{follow_up.session_id}").hexdigest()
    check_in = CheckIn.objects.filter(session_id=follow_up.session_id).first()
    if check_in is None:
        check_in, _ = check_in_issue(session=follow_up.session)
    if check_in.token_hash != token_hash(raw):
        CheckIn.objects.filter(pk=check_in.pk).update(token_hash=token_hash(raw))
    return raw


def _compose(row: Reminder) -> channels.OutgoingMessage:
    follow_up = row.follow_up
    patient = follow_up.patient
    clinic = patient.clinic
    context = {"patient": patient, "clinic": clinic, "follow_up": follow_up, "reminder": row}
    if row.kind == Reminder.Kind.CHECK_IN_REQUEST:
        template = "check_in"
        context["link"] = f"{settings.SITE_URL}/check-in/{_check_in_link_token(row)}/"
    else:
        template = "appointment"
        raw = answer_token(row)
        row.answer_token_hash = token_hash(raw)
        context["link"] = f"{settings.SITE_URL}/follow-ups/reply/{raw}/"
    language = patient.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(clinic.zone):
        context["when"] = formats.date_format(
            timezone.localtime(follow_up.due_at), "DATETIME_FORMAT"
        )
        lang = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        body = render_to_string(f"treatments/messages/{lang}/{template}_body.txt", context)
        subject = ""
        if row.channel == Channel.EMAIL:  # a text message has no subject
            subject = render_to_string(
                f"treatments/messages/{lang}/{template}_subject.txt", context
            )
    to = patient.email if row.channel == Channel.EMAIL else patient.phone
    return channels.OutgoingMessage(
        channel=row.channel,
        to=to,
        subject=" ".join(subject.split()),
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
                .select_related("follow_up__patient__clinic__reminder_policy")
                .filter(pk=reminder_id)
                .order_by()
            ),
            None,
        )
        if row is None or row.status != Reminder.Status.SENDING or str(row.lease) != lease:
            return "stale"
        clinic = row.follow_up.patient.clinic
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
        # The attempt is on record before the provider hears of it; claimed_at restarts the
        # timeout, so a row waiting in a long queue is not reclaimed while it is being sent.
        row.attempts += 1
        Reminder.objects.filter(pk=row.pk).update(
            attempts=row.attempts, claimed_at=now, answer_token_hash=row.answer_token_hash
        )

    try:
        provider_id = channels.send(message)
    except channels.TransientSendError as error:
        return _record_failure(row, lease=lease, reason=str(error), transient=True)
    except channels.PermanentSendError as error:
        return _record_failure(row, lease=lease, reason=str(error), transient=False)

    Reminder.objects.filter(pk=row.pk, lease=lease, status=Reminder.Status.SENDING).update(
        status=Reminder.Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_id[:120],
        lease=None,
        last_error="",
    )
    return "sent"


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


@transaction.atomic
def reminder_policy_update(*, clinic: Clinic, **values) -> ReminderPolicy:
    """A manager's change. It applies to follow-ups booked or moved from now on; channels and
    quiet hours are also re-checked at every send, so those apply at once."""
    policy = ReminderPolicy.objects.select_for_update().get(pk=policy_for(clinic).pk)
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    return policy
