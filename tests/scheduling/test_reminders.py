import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from clinic.tokens import token_hash
from scheduling import reminders
from scheduling.follow_ups import (
    follow_up_cancel,
    follow_up_create,
    follow_up_move,
    follow_up_plan_check_in,
    follow_up_set_status,
)
from scheduling.models import FollowUp, Reminder
from scheduling.replies import ReplyLinkUsed, follow_up_reply
from sessions.check_ins import check_in_regions
from sessions.models import CheckIn
from tests.factories import PainScoreFactory, PatientFactory, TreatmentSessionFactory

pytestmark = pytest.mark.django_db

Status = Reminder.Status


def _noon_in_a_week(clinic) -> dt.datetime:
    """An appointment at 12:00 in the clinic's zone, so neither reminder falls in quiet hours."""
    day = timezone.localtime(timezone.now(), clinic.zone).date() + dt.timedelta(days=7)
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=clinic.zone)


@pytest.fixture
def consenting(clinic_a):
    return PatientFactory(
        clinic=clinic_a,
        first_name="Ana",
        email="ana@example.com",
        phone="+15550101",
        consents_to_email=True,
        consents_to_sms=True,
    )


@pytest.fixture
def awake(clinic_a):
    """No quiet hours, so a send test does not depend on the hour the suite runs at."""
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0, 0)
    policy.save()
    return policy


def _book(patient, user, due_at=None) -> FollowUp:
    return follow_up_create(
        patient=patient, due_at=due_at or _noon_in_a_week(patient.clinic), created_by=user
    )


def _claim_one(reminder: Reminder) -> str:
    """Claim `reminder` the way a sweep does and return its lease (without dispatching)."""
    lease = uuid.uuid4()
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Status.SENDING, claimed_at=timezone.now(), lease=lease, send_at=timezone.now()
    )
    return str(lease)


def test_booking_an_appointment_plans_both_reminders_on_each_consented_channel(
    consenting, front_desk
):
    follow_up = _book(consenting, front_desk)

    rows = {(r.channel, r.kind): r.send_at for r in follow_up.reminders.all()}
    assert rows == {
        (channel, kind): follow_up.due_at - dt.timedelta(hours=hours)
        for channel in ("email", "sms")
        for kind, hours in (("before_48h", 48), ("before_2h", 2))
    }


def test_no_reminder_is_planned_on_a_channel_without_consent(clinic_a, front_desk):
    patient = PatientFactory(clinic=clinic_a, phone="+15550102", consents_to_email=True)

    follow_up = _book(patient, front_desk)

    assert set(follow_up.reminders.values_list("channel", flat=True)) == {"email"}


def test_moving_an_appointment_moves_its_reminders(consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    later = follow_up.due_at + dt.timedelta(days=1)

    follow_up_move(follow_up=follow_up, due_at=later, actor=follow_up.created_by)

    send_times = set(follow_up.reminders.values_list("kind", "send_at"))
    assert send_times == {
        ("before_48h", later - dt.timedelta(hours=48)),
        ("before_2h", later - dt.timedelta(hours=2)),
    }
    assert set(follow_up.reminders.values_list("status", flat=True)) == {Status.PENDING}


def test_moving_after_a_reminder_was_sent_arms_it_again_for_the_new_time(consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    follow_up.reminders.update(status=Status.SENT, sent_at=timezone.now())

    follow_up_move(
        follow_up=follow_up,
        due_at=follow_up.due_at + dt.timedelta(hours=3),
        actor=follow_up.created_by,
    )

    assert set(follow_up.reminders.values_list("status", flat=True)) == {Status.PENDING}


def test_cancelling_an_appointment_cancels_its_reminders(consenting, front_desk):
    follow_up = _book(consenting, front_desk)

    follow_up_cancel(follow_up=follow_up, actor=follow_up.created_by)

    assert set(follow_up.reminders.values_list("status", flat=True)) == {Status.CANCELLED}


def test_a_closed_follow_up_cannot_be_moved_or_reopened(consenting, front_desk):
    from django.core.exceptions import ValidationError

    follow_up = _book(consenting, front_desk)
    follow_up_set_status(
        follow_up=follow_up, status=FollowUp.Status.DONE, actor=follow_up.created_by
    )

    with pytest.raises(ValidationError) as moved:
        follow_up_move(
            follow_up=follow_up,
            due_at=follow_up.due_at + dt.timedelta(days=1),
            actor=follow_up.created_by,
        )
    with pytest.raises(ValidationError) as reopened:
        follow_up_set_status(
            follow_up=follow_up, status=FollowUp.Status.PLANNED, actor=follow_up.created_by
        )
    assert "due_at" in moved.value.message_dict and "status" in reopened.value.message_dict


def test_a_reminder_that_would_fall_in_quiet_hours_goes_the_evening_before(consenting, front_desk):
    clinic = consenting.clinic
    zone = clinic.zone
    # 09:00 appointment: its 2-hour reminder (07:00) is inside the default 21:00-08:00 quiet hours.
    day = timezone.localtime(timezone.now(), zone).date() + dt.timedelta(days=7)
    follow_up = _book(consenting, front_desk, dt.datetime.combine(day, dt.time(9), tzinfo=zone))

    late = follow_up.reminders.get(channel="sms", kind="before_2h")
    local = timezone.localtime(late.send_at, zone)
    assert (local.date(), local.time()) == (day - dt.timedelta(days=1), dt.time(20, 59))


def test_a_check_in_request_falling_at_night_waits_for_the_morning(consenting, therapist):
    zone = consenting.clinic.zone
    day = timezone.localtime(timezone.now(), zone).date() + dt.timedelta(days=3)
    session = TreatmentSessionFactory(
        patient=consenting,
        therapist=therapist,
        started_at=dt.datetime.combine(day, dt.time(22, 0), tzinfo=zone),
    )

    follow_up = follow_up_plan_check_in(session=session, created_by=therapist)

    assert follow_up.due_at == session.started_at + dt.timedelta(hours=25)
    request = follow_up.reminders.get(channel="email")
    local = timezone.localtime(request.send_at, zone)
    assert request.kind == "check_in_request"
    assert (local.date(), local.time()) == (day + dt.timedelta(days=2), dt.time(8, 0))


def test_a_sweep_claims_due_rows_and_hands_them_over_only_after_commit(
    consenting, front_desk, django_capture_on_commit_callbacks
):
    follow_up = _book(consenting, front_desk)
    follow_up.reminders.filter(kind="before_48h").update(send_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claimed = reminders.reminders_claim_due()

    assert claimed == 2 and len(callbacks) == 1
    due = follow_up.reminders.filter(kind="before_48h")
    assert set(due.values_list("status", flat=True)) == {Status.SENDING}
    assert len(set(due.values_list("lease", flat=True))) == 1
    assert set(follow_up.reminders.filter(kind="before_2h").values_list("status", flat=True)) == {
        Status.PENDING
    }


def test_a_row_stuck_in_sending_is_reclaimed_under_a_new_lease(
    awake, consenting, front_desk, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_SENDING_TIMEOUT_SECONDS = 60
    follow_up = _book(consenting, front_desk)
    stuck = follow_up.reminders.get(channel="email", kind="before_48h")
    old_lease = _claim_one(stuck)
    Reminder.objects.filter(pk=stuck.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=5), attempts=1
    )
    exhausted = follow_up.reminders.get(channel="sms", kind="before_48h")
    _claim_one(exhausted)
    Reminder.objects.filter(pk=exhausted.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=5), attempts=settings.REMINDER_MAX_ATTEMPTS
    )

    with django_capture_on_commit_callbacks(execute=False):
        assert reminders.reminders_reclaim_stuck() == 2

    stuck.refresh_from_db()
    exhausted.refresh_from_db()
    assert stuck.status == Status.SENDING and str(stuck.lease) != old_lease
    assert exhausted.status == Status.FAILED and exhausted.last_error
    # The original task, delivered late, finds that the row is no longer its own.
    assert reminders.reminder_send(reminder_id=stuck.pk, lease=old_lease) == "stale"


def test_a_claimed_reminder_is_sent_once_however_often_its_task_runs(awake, consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    lease = _claim_one(row)

    outcomes = [reminders.reminder_send(reminder_id=row.pk, lease=lease) for _ in range(3)]

    assert outcomes == ["sent", "stale", "stale"]
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at
    assert row.provider_message_id == mail.outbox[0].extra_headers["Message-ID"]


def test_a_chunk_sends_only_the_rows_it_still_holds_and_renews_their_heartbeat(
    awake, consenting, front_desk
):
    follow_up = _book(consenting, front_desk)
    mine, reclaimed, cancelled = follow_up.reminders.order_by("pk")[:3]
    lease = uuid.uuid4()
    long_ago = timezone.now() - dt.timedelta(minutes=9)
    Reminder.objects.filter(pk__in=[mine.pk, cancelled.pk]).update(
        status=Status.SENDING, claimed_at=long_ago, lease=lease, send_at=long_ago
    )
    _claim_one(reclaimed)  # a sweep handed this one out again under another lease
    Reminder.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED, lease=None)

    outcomes = reminders.reminders_send(
        reminder_ids=[mine.pk, reclaimed.pk, cancelled.pk, 0], lease=str(lease)
    )

    assert outcomes == {"sent": 1, "stale": 3}
    assert len(mail.outbox) == 1
    mine.refresh_from_db()
    assert mine.status == Status.SENT and mine.heartbeat_at > long_ago


def test_the_appointment_reminder_is_in_the_patients_language_with_the_clinic_and_a_link(
    awake, consenting, front_desk
):
    consenting.preferred_language = "es"
    consenting.save()
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")

    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))

    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert "Harbour Street Clinic" in message.subject and message.subject.startswith("Su cita")
    assert "Hola Ana" in message.body and "12:00" in message.body
    raw = message.body.split("/follow-ups/reply/")[1].split("/")[0]
    row.refresh_from_db()
    assert row.answer_token_hash == token_hash(raw)


def test_an_afternoon_appointment_reads_pm_once_without_a_double_full_stop(
    awake, consenting, front_desk
):
    day = timezone.localtime(timezone.now(), consenting.clinic.zone).date() + dt.timedelta(days=7)
    due = dt.datetime.combine(day, dt.time(18, 14), tzinfo=consenting.clinic.zone)
    follow_up = _book(consenting, front_desk, due_at=due)
    row = follow_up.reminders.get(channel="email", kind="before_48h")

    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))

    body = mail.outbox[0].body
    assert "6:14 p.m." in body and ".." not in body, body
    assert "6:14 p.m." in mail.outbox[0].subject


def test_the_patients_reply_confirms_once_and_shows_who_answered(awake, consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))
    raw = mail.outbox[0].body.split("/follow-ups/reply/")[1].split("/")[0]

    follow_up_reply(token=raw, confirm=True)

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CONFIRMED and follow_up.answered_by_patient_at
    with pytest.raises(ReplyLinkUsed):
        follow_up_reply(token=raw, confirm=False)
    with pytest.raises(Reminder.DoesNotExist):
        follow_up_reply(token="not-a-token", confirm=False)


def test_a_patient_cancelling_by_link_cancels_the_remaining_reminders(
    awake, consenting, front_desk
):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))
    raw = mail.outbox[0].body.split("/follow-ups/reply/")[1].split("/")[0]

    follow_up_reply(token=raw, confirm=False)

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CANCELLED
    assert set(follow_up.reminders.exclude(pk=row.pk).values_list("status", flat=True)) == {
        Status.CANCELLED
    }


def test_the_check_in_request_carries_the_sessions_check_in_link(awake, consenting, therapist):
    session = TreatmentSessionFactory(
        patient=consenting, therapist=therapist, started_at=timezone.now() - dt.timedelta(days=1)
    )
    follow_up = follow_up_plan_check_in(session=session, created_by=therapist)
    row = follow_up.reminders.get(channel="email")

    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))

    raw = mail.outbox[0].body.split("/check-in/")[1].split("/")[0]
    assert CheckIn.objects.get(session=session).token_hash == token_hash(raw)


def test_nothing_is_sent_for_a_cancelled_follow_up_even_if_already_claimed(consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    lease = _claim_one(row)
    FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUp.Status.CANCELLED)

    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "cancelled"
    assert mail.outbox == []


def test_nothing_is_sent_on_a_channel_whose_consent_was_withdrawn(consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    lease = _claim_one(row)
    type(consenting).objects.filter(pk=consenting.pk).update(consents_to_email=False)

    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "cancelled"
    row.refresh_from_db()
    assert mail.outbox == [] and "consent" in row.last_error


def test_nothing_is_sent_inside_quiet_hours_it_waits_for_their_end(consenting, front_desk):
    clinic = consenting.clinic
    policy = reminders.policy_for(clinic)
    now_local = timezone.localtime(timezone.now(), clinic.zone)
    policy.quiet_hours_start = (now_local - dt.timedelta(hours=1)).time().replace(microsecond=0)
    policy.quiet_hours_end = (now_local + dt.timedelta(hours=1)).time().replace(microsecond=0)
    policy.save()
    follow_up = _book(consenting, front_desk, timezone.now() + dt.timedelta(days=3))
    row = follow_up.reminders.get(channel="email", kind="before_48h")

    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "deferred"

    row.refresh_from_db()
    assert mail.outbox == [] and row.status == Status.PENDING
    assert row.send_at == reminders.quiet_hours_end_after(
        timezone.now(), policy=policy, zone=clinic.zone
    )


class _Provider(BaseHTTPRequestHandler):
    """A real local HTTP SMS provider: answers with the queued status codes, records requests."""

    statuses: list[int] = []
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"body": body, "key": self.headers["Idempotency-Key"]})
        status = type(self).statuses.pop(0) if type(self).statuses else 201
        payload = json.dumps({"id": f"prov-{len(type(self).received)}"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_provider(settings):
    _Provider.statuses, _Provider.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/v1/messages"
    settings.SMS_HTTP_TOKEN = "provider-token"
    settings.SMS_FROM = "+15550100"
    yield _Provider
    server.shutdown()


def test_an_sms_goes_to_the_http_provider_with_its_idempotency_key(
    awake, consenting, front_desk, sms_provider
):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="sms", kind="before_2h")

    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "sent"

    (request,) = sms_provider.received
    row.refresh_from_db()
    assert request["body"]["to"] == "+15550101" and request["body"]["from"] == "+15550100"
    assert "Harbour Street Clinic" in request["body"]["body"]
    assert request["key"] == reminders.message_key(row)
    assert row.provider_message_id == "prov-1"


def test_a_transient_provider_failure_is_retried_later_with_backoff_then_fails_with_the_reason(
    awake, consenting, front_desk, sms_provider, settings
):
    settings.REMINDER_MAX_ATTEMPTS = 2
    settings.REMINDER_RETRY_BASE_SECONDS = 30
    sms_provider.statuses = [503, 503]
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="sms", kind="before_2h")

    before = timezone.now()
    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "retry"
    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 1 and "503" in row.last_error
    assert row.send_at >= before + dt.timedelta(seconds=30)

    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 2 and "503" in row.last_error
    assert [r["key"] for r in sms_provider.received] == [reminders.message_key(row)] * 2


def test_a_refused_message_fails_at_once(awake, consenting, front_desk, sms_provider):
    sms_provider.statuses = [400]
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="sms", kind="before_2h")

    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 1 and "400" in row.last_error


def test_front_desk_can_send_a_failed_reminder_again(consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    Reminder.objects.filter(pk=row.pk).update(status=Status.FAILED, attempts=5, last_error="x")

    reminders.reminder_resend(reminder=row, actor=row.follow_up.created_by)

    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 0 and row.send_at <= timezone.now()


def test_an_unreachable_sms_provider_is_a_transient_failure(
    awake, consenting, front_desk, settings
):
    from tests.integration.conftest import free_port

    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{free_port()}/v1/messages"
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="sms", kind="before_2h")

    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "retry"
    row.refresh_from_db()
    assert row.status == Status.PENDING and "unreachable" in row.last_error


def test_nothing_is_sent_on_a_channel_the_clinic_switched_off(
    awake, consenting, front_desk, manager
):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    lease = _claim_one(row)
    reminders.reminder_policy_update(clinic=consenting.clinic, actor=manager, email_enabled=False)

    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "cancelled"
    assert mail.outbox == []


def test_a_sweep_claims_every_due_row_batch_by_batch(
    consenting, front_desk, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_CLAIM_BATCH = 3
    for days in range(4):
        _book(consenting, front_desk, _noon_in_a_week(consenting.clinic) - dt.timedelta(days=days))
    Reminder.objects.update(send_at=timezone.now() - dt.timedelta(minutes=1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = reminders.reminders_sweep()

    assert outcome == {"claimed": 16, "reclaimed": 0} and len(callbacks) == 6
    assert not Reminder.objects.exclude(status=Status.SENDING).exists()


def test_a_check_in_request_sent_again_carries_the_same_working_link(awake, consenting, therapist):
    session = TreatmentSessionFactory(
        patient=consenting, therapist=therapist, started_at=timezone.now() - dt.timedelta(days=1)
    )
    follow_up = follow_up_plan_check_in(session=session, created_by=therapist)
    row = follow_up.reminders.get(channel="email")

    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))
    reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row))  # as after a crash

    first, second = (m.body.split("/check-in/")[1].split("/")[0] for m in mail.outbox)
    assert first == second
    assert CheckIn.objects.get(session=session).token_hash == token_hash(first)


def test_the_email_and_the_text_check_in_links_both_work_until_the_check_in_is_answered(
    awake, consenting, therapist, settings, tmp_path, client
):
    settings.SMS_BACKEND, settings.SMS_FILE_DIR = "file", str(tmp_path)
    session = TreatmentSessionFactory(
        patient=consenting, therapist=therapist, started_at=timezone.now() - dt.timedelta(days=1)
    )
    PainScoreFactory(patient=consenting, session=session, source="pre_session", score=6)
    follow_up = follow_up_plan_check_in(session=session, created_by=therapist)
    by_email, by_text = (follow_up.reminders.get(channel=c) for c in ("email", "sms"))

    reminders.reminder_send(reminder_id=by_email.pk, lease=_claim_one(by_email))
    reminders.reminder_send(reminder_id=by_text.pk, lease=_claim_one(by_text))  # sent second

    (text_message,) = (json.loads(p.read_text()) for p in tmp_path.glob("*.json"))
    links = [
        "/check-in/" + body.split("/check-in/")[1].split("/")[0] + "/"
        for body in (mail.outbox[0].body, text_message["body"])
    ]
    for link in links:
        assert client.get(link).status_code == 200, link

    answer = {"soreness": 2, "unexpected": ""}
    check_in = CheckIn.objects.get(session=session)
    answer |= {f"pain_{r}_{s}": 3 for r, s in check_in_regions(check_in=check_in)}
    assert client.post(links[1], answer).status_code == 302

    for link in links:
        assert client.get(link).status_code == 404, link


def test_without_an_sms_provider_a_text_reminder_fails_saying_why(awake, consenting, front_desk):
    follow_up = _book(consenting, front_desk)
    row = follow_up.reminders.get(channel="sms", kind="before_48h")

    assert reminders.reminder_send(reminder_id=row.pk, lease=_claim_one(row)) == "failed"
    row.refresh_from_db()
    assert row.status == Status.FAILED and "No SMS provider" in row.last_error
