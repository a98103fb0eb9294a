"""Reminders recover in seconds: the sending worker's heartbeat, the sweep after a reconnection,
asking the provider before sending again, and recording its acceptance over a dropped connection.
Real processes, killed and cut off: tests/integration/test_reminders_exactly_once.py."""

import datetime as dt
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest
from celery import Celery, current_app
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from scheduling import channels, reminders
from scheduling.follow_ups import follow_up_create
from scheduling.models import FollowUp, Reminder
from tests.factories import PatientFactory
from tests.integration.conftest import free_port

pytestmark = pytest.mark.django_db

Status = Reminder.Status


@pytest.fixture
def booked(clinic_a, front_desk, settings):
    """An appointment in a week with its four reminder rows; no quiet hours; short leases."""
    settings.REMINDER_LEASE_SECONDS = 30
    settings.REMINDER_SENDING_TIMEOUT_SECONDS = 600
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0, 0)
    policy.save()
    patient = PatientFactory(
        clinic=clinic_a,
        email="ana@example.com",
        phone="+15550101",
        consents_to_email=True,
        consents_to_sms=True,
    )
    return follow_up_create(
        patient=patient, due_at=timezone.now() + dt.timedelta(days=7), created_by=front_desk
    )


def _sending(row: Reminder, *, claimed_ago: float, beat_ago: float | None) -> str:
    now = timezone.now()
    lease = uuid.uuid4()
    Reminder.objects.filter(pk=row.pk).update(
        status=Status.SENDING,
        lease=lease,
        send_at=now,
        claimed_at=now - dt.timedelta(seconds=claimed_ago),
        heartbeat_at=None if beat_ago is None else now - dt.timedelta(seconds=beat_ago),
    )
    return str(lease)


def _rows(follow_up: FollowUp) -> list[Reminder]:
    return list(follow_up.reminders.order_by("pk"))


def test_a_row_whose_worker_stopped_beating_is_reclaimed_after_a_lease_not_the_sending_timeout(
    booked, django_capture_on_commit_callbacks
):
    dead, alive, *_ = _rows(booked)
    dead_lease = _sending(dead, claimed_ago=45, beat_ago=31)
    alive_lease = _sending(alive, claimed_ago=45, beat_ago=5)

    with django_capture_on_commit_callbacks(execute=False) as dispatched:
        assert reminders.reminders_reclaim_stuck() == 1

    assert len(dispatched) == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == Status.SENDING and str(dead.lease) != dead_lease
    assert dead.heartbeat_at is None  # waiting in the broker again
    assert str(alive.lease) == alive_lease


def test_a_row_waiting_in_the_broker_keeps_its_lease_until_the_sending_timeout(
    booked, django_capture_on_commit_callbacks
):
    queued, forgotten, *_ = _rows(booked)
    queued_lease = _sending(queued, claimed_ago=300, beat_ago=None)
    _sending(forgotten, claimed_ago=601, beat_ago=None)

    with django_capture_on_commit_callbacks(execute=False):
        assert reminders.reminders_reclaim_stuck() == 1

    queued.refresh_from_db()
    assert str(queued.lease) == queued_lease


def test_after_a_reconnection_rows_handed_to_the_broker_before_it_are_handed_out_again_at_once(
    booked, django_capture_on_commit_callbacks
):
    lost, started, later, _ = _rows(booked)
    lost_lease = _sending(lost, claimed_ago=2, beat_ago=None)
    started_lease = _sending(started, claimed_ago=2, beat_ago=1)
    reconnected_at = timezone.now()
    later_lease = _sending(later, claimed_ago=0, beat_ago=None)

    with django_capture_on_commit_callbacks(execute=False) as dispatched:
        outcome = reminders.reminders_sweep(lost_before=reconnected_at)

    assert outcome == {"claimed": 0, "reclaimed": 1} and len(dispatched) == 1
    for row in (lost, started, later):
        row.refresh_from_db()
    assert str(lost.lease) != lost_lease and lost.status == Status.SENDING
    # A worker is sending this one (its heartbeat is fresh): the broker is not needed for it.
    assert str(started.lease) == started_lease
    # Handed out after the reconnection: its task went to the broker that is there now.
    assert str(later.lease) == later_lease
    # The original task of the reclaimed row, if the broker kept it after all, does nothing.
    assert reminders.reminders_send(reminder_ids=[lost.pk], lease=lost_lease) == {"stale": 1}


class HeartbeatWatcher(channels.SmsBackend):
    """A provider that notes, at each message, when the chunk's last row last had a heartbeat."""

    seen: list[dt.datetime] = []
    watched: int = 0

    def send(self, message):
        row = Reminder.objects.get(pk=type(self).watched)
        type(self).seen.append(row.heartbeat_at)
        return f"watch-{message.idempotency_key}"


def test_a_worker_renews_the_heartbeat_of_the_rows_it_still_holds_while_it_sends_a_chunk(
    booked, settings
):
    settings.SMS_BACKEND = "tests.scheduling.test_reminder_recovery.HeartbeatWatcher"
    settings.REMINDER_LEASE_SECONDS = 0.001  # renewed before every row
    ids = [row.pk for row in booked.reminders.filter(channel="sms").order_by("pk")]
    lease = uuid.uuid4()
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    Reminder.objects.filter(pk__in=ids).update(
        status=Status.SENDING, lease=lease, claimed_at=long_ago, send_at=long_ago
    )
    HeartbeatWatcher.seen, HeartbeatWatcher.watched = [], ids[-1]

    outcomes = reminders.reminders_send(reminder_ids=ids, lease=str(lease))

    assert outcomes == {"sent": 2}
    first, second = HeartbeatWatcher.seen
    assert long_ago < first < second


class _Provider(BaseHTTPRequestHandler):
    """A real local HTTP SMS provider that honours nothing: it sends every POST, and answers
    GET /v1/messages/<key> with what it accepted under that key."""

    accepted: dict[str, str] = {}
    posts: list[str] = []
    gets: list[str] = []

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers["Idempotency-Key"]
        type(self).posts.append(key)
        type(self).accepted[key] = f"prov-{len(type(self).posts)}"
        self._answer(201, {"id": type(self).accepted[key]})

    def do_GET(self):  # noqa: N802
        key = self.path.rsplit("/", 1)[1]
        type(self).gets.append(key)
        if key in type(self).accepted:
            self._answer(200, {"id": type(self).accepted[key], "status": "delivered"})
        else:
            self._answer(404, {"error": "unknown"})

    def _answer(self, status: int, payload: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(payload).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    _Provider.accepted, _Provider.posts, _Provider.gets = {}, [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/v1/messages"
    settings.SMS_HTTP_STATUS_URL = None  # SMS_HTTP_URL/{key}
    yield _Provider
    server.shutdown()


def _sms(follow_up: FollowUp) -> Reminder:
    return follow_up.reminders.get(channel="sms", kind="before_2h")


def test_a_first_attempt_is_sent_without_asking_the_provider(booked, provider):
    row = _sms(booked)

    lease = _sending(row, claimed_ago=0, beat_ago=0)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"

    assert provider.gets == [] and provider.posts == [reminders.message_key(row)]


def test_a_message_whose_earlier_attempt_the_provider_accepted_is_recorded_not_sent_again(
    booked, provider
):
    row = _sms(booked)
    key = reminders.message_key(row)
    # The worker died between the provider's answer and the database's record.
    provider.accepted[key] = "prov-earlier"
    Reminder.objects.filter(pk=row.pk).update(attempts=1)

    lease = _sending(row, claimed_ago=40, beat_ago=31)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"

    row.refresh_from_db()
    assert provider.gets == [key] and provider.posts == []
    assert row.status == Status.SENT and row.provider_message_id == "prov-earlier"


def test_a_message_the_provider_never_got_is_sent_after_asking(booked, provider):
    row = _sms(booked)
    Reminder.objects.filter(pk=row.pk).update(attempts=1)

    lease = _sending(row, claimed_ago=40, beat_ago=31)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"

    key = reminders.message_key(row)
    assert provider.gets == [key] and provider.posts == [key]


def test_a_provider_that_cannot_be_asked_gets_the_message_with_its_key(booked, provider, settings):
    settings.SMS_HTTP_STATUS_URL = ""
    row = _sms(booked)
    Reminder.objects.filter(pk=row.pk).update(attempts=1)

    lease = _sending(row, claimed_ago=40, beat_ago=31)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"

    assert provider.gets == [] and provider.posts == [reminders.message_key(row)]


def test_the_file_backend_knows_which_messages_it_accepted(tmp_path):
    backend = channels.FileSmsBackend(str(tmp_path))
    message = channels.OutgoingMessage(
        channel="sms", to="+15550101", subject="", body="Hi", idempotency_key="reminder-1-0"
    )

    assert backend.accepted(message) is None
    provider_id = backend.send(message)
    assert backend.accepted(message) == provider_id


class ReclaimedWhileSending(channels.SmsBackend):
    """The provider is slow: meanwhile a sweep reclaims the row and hands it to another task."""

    def send(self, message):
        pk = int(message.idempotency_key.split("-")[1])
        Reminder.objects.filter(pk=pk).update(lease=uuid.uuid4(), heartbeat_at=None)
        return "slow-1"


class MovedWhileSending(channels.SmsBackend):
    """The provider is slow: meanwhile front desk moves the appointment, and the row, armed for
    the new time, is claimed by another sweep."""

    def send(self, message):
        row = Reminder.objects.select_related("follow_up").get(
            pk=int(message.idempotency_key.split("-")[1])
        )
        FollowUp.objects.filter(pk=row.follow_up_id).update(
            due_at=row.follow_up.due_at + dt.timedelta(days=1)
        )
        Reminder.objects.filter(pk=row.pk).update(lease=uuid.uuid4(), heartbeat_at=None)
        return "slow-2"


def test_an_acceptance_is_recorded_even_if_the_row_was_reclaimed_during_the_call(booked, settings):
    settings.SMS_BACKEND = "tests.scheduling.test_reminder_recovery.ReclaimedWhileSending"
    row = _sms(booked)

    lease = _sending(row, claimed_ago=0, beat_ago=0)
    assert reminders.reminder_send(reminder_id=row.pk, lease=lease) == "sent"

    row.refresh_from_db()
    assert row.status == Status.SENT and row.provider_message_id == "slow-1"
    # The task that holds the new lease finds nothing left to send.
    assert reminders.reminders_send(reminder_ids=[row.pk], lease=str(uuid.uuid4())) == {"stale": 1}


def test_an_acceptance_for_an_appointment_that_moved_meanwhile_does_not_mark_the_new_one_sent(
    booked, settings, front_desk
):
    settings.SMS_BACKEND = "tests.scheduling.test_reminder_recovery.MovedWhileSending"
    row = _sms(booked)

    reminders.reminder_send(reminder_id=row.pk, lease=_sending(row, claimed_ago=0, beat_ago=0))

    row.refresh_from_db()
    assert row.status == Status.SENDING and not row.provider_message_id


def _terminate(pid: int) -> None:
    db = connection.settings_dict
    other = psycopg2.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()


class ConnectionDropsAfterAcceptance(channels.SmsBackend):
    """The provider accepts; meanwhile the worker's database connection is terminated."""

    calls = 0

    def send(self, message):
        type(self).calls += 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _terminate(cursor.fetchone()[0])
        return "accepted-1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_acceptance_is_recorded_over_a_terminated_database_connection(booked, settings):
    settings.SMS_BACKEND = "tests.scheduling.test_reminder_recovery.ConnectionDropsAfterAcceptance"
    ConnectionDropsAfterAcceptance.calls = 0
    row = _sms(booked)

    outcome = reminders.reminder_send(
        reminder_id=row.pk, lease=_sending(row, claimed_ago=0, beat_ago=0)
    )

    assert outcome == "sent" and ConnectionDropsAfterAcceptance.calls == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.provider_message_id == "accepted-1"


def test_rows_whose_task_could_not_be_published_go_back_to_pending(
    booked, django_capture_on_commit_callbacks, monkeypatch
):
    # Celery reads the broker from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{free_port()}/0")
    unreachable = Celery("unreachable")
    due = _rows(booked)
    Reminder.objects.filter(pk__in=[r.pk for r in due]).update(send_at=timezone.now())
    usual = current_app._get_current_object()
    unreachable.set_current()
    try:
        with pytest.raises(BrokerError), django_capture_on_commit_callbacks(execute=True):
            assert reminders.reminders_claim_due() == len(due)
    finally:
        usual.set_current()

    states = set(booked.reminders.values_list("status", "lease"))
    assert states == {(Status.PENDING, None)}  # the next sweep claims them again
