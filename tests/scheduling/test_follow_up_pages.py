import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from scheduling import reminders
from scheduling.follow_ups import follow_up_create
from scheduling.models import FollowUp, Reminder, ReminderPolicy
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(clinic_a):
    return PatientFactory(
        clinic=clinic_a,
        first_name="Ana",
        last_name="Reyes",
        email="ana@example.com",
        phone="+15550101",
        consents_to_email=True,
        consents_to_sms=True,
    )


def _local(clinic, days: int, hour: int) -> dt.datetime:
    day = timezone.localtime(timezone.now(), clinic.zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=clinic.zone)


def test_front_desk_sees_each_reminders_state_and_failure(client, front_desk, ana):
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    follow_up.reminders.filter(channel="sms", kind="before_48h").update(
        status="failed", attempts=5, last_error="SMS provider answered 503"
    )
    client.force_login(front_desk)

    page = client.get(reverse("follow_up_list")).content.decode()

    assert "Ana Reyes" in page and "SMS provider answered 503" in page
    assert page.count("Send again") == 1 and page.count("Pending") == 3


def test_the_list_runs_a_fixed_number_of_queries(
    client, front_desk, therapist, clinic_a, django_assert_max_num_queries
):
    for i in range(12):
        patient = PatientFactory(clinic=clinic_a, email=f"p{i}@example.com", consents_to_email=True)
        follow_up_create(
            patient=patient,
            due_at=_local(clinic_a, 3, 12),
            created_by=front_desk,
            therapist=therapist,
        )
    client.force_login(front_desk)

    with django_assert_max_num_queries(15):  # 5 of them write the audit row
        response = client.get(reverse("follow_up_list"), {"therapist": therapist.pk})

    assert response.status_code == 200 and len(response.context["page"].object_list) == 12


def test_filters_show_what_is_due_today_this_week_or_overdue_and_by_therapist(
    client, front_desk, therapist, ana
):
    clinic = ana.clinic
    today = follow_up_create(
        patient=ana, due_at=timezone.now() + dt.timedelta(minutes=1), created_by=front_desk
    )
    in_five_days = follow_up_create(
        patient=ana, due_at=_local(clinic, 5, 12), created_by=front_desk, therapist=therapist
    )
    overdue = follow_up_create(
        patient=ana, due_at=timezone.now() - dt.timedelta(days=2), created_by=front_desk
    )
    client.force_login(front_desk)

    def shown(**params):
        response = client.get(reverse("follow_up_list"), params)
        return {f.pk for f in response.context["page"].object_list}

    assert shown(when="today") == {today.pk}
    assert shown(when="week") == {today.pk, in_five_days.pk}
    assert shown(when="overdue") == {overdue.pk}
    assert shown(therapist=therapist.pk) == {in_five_days.pk}
    assert shown(status="planned") == {today.pk, in_five_days.pk, overdue.pk}


def test_the_list_has_a_clear_empty_state(client, front_desk):
    client.force_login(front_desk)

    page = client.get(reverse("follow_up_list"), {"when": "overdue"})

    assert "No follow-ups match these filters." in page.content.decode()


def test_a_stranger_cannot_see_or_touch_another_clinics_follow_ups(
    client, stranger, front_desk, ana
):
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    reminder = follow_up.reminders.first()
    client.force_login(stranger)

    listing = client.get(reverse("follow_up_list")).content.decode()
    assert "Ana Reyes" not in listing
    assert client.get(reverse("follow_up_detail", args=[follow_up.pk])).status_code == 404
    moved = client.post(
        reverse("follow_up_move", args=[follow_up.pk]), {"due_at": "2030-01-01T10:00"}
    )
    resent = client.post(reverse("reminder_resend", args=[reminder.pk]))
    assert moved.status_code == resent.status_code == 404


def test_front_desk_resends_a_failed_reminder(client, front_desk, ana):
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    failed = follow_up.reminders.get(channel="sms", kind="before_48h")
    Reminder.objects.filter(pk=failed.pk).update(status="failed", attempts=5, last_error="503")
    client.force_login(front_desk)

    client.post(reverse("reminder_resend", args=[failed.pk]))

    failed.refresh_from_db()
    assert failed.status == "pending" and failed.send_at <= timezone.now()


def test_moving_from_the_page_reads_the_time_in_the_clinics_zone(client, front_desk, ana):
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    new_day = _local(ana.clinic, 9, 15)
    client.force_login(front_desk)

    client.post(
        reverse("follow_up_move", args=[follow_up.pk]),
        {"due_at": new_day.strftime("%Y-%m-%dT%H:%M")},
    )

    follow_up.refresh_from_db()
    assert follow_up.due_at == new_day
    assert follow_up.reminders.get(
        channel="email", kind="before_2h"
    ).send_at == new_day - dt.timedelta(hours=2)


def test_a_bad_time_is_shown_next_to_the_field_with_what_was_typed(client, front_desk, ana):
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    client.force_login(front_desk)

    response = client.post(
        reverse("follow_up_move", args=[follow_up.pk]), {"due_at": "next tuesday"}
    )

    assert response.status_code == 400
    assert response.context["move_form"].errors["due_at"]
    assert 'value="next tuesday"' in response.content.decode()


def test_cancelling_from_the_page_cancels_the_reminders(client, front_desk, ana):
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    client.force_login(front_desk)

    client.post(reverse("follow_up_status", args=[follow_up.pk]), {"status": "cancelled"})

    assert set(follow_up.reminders.values_list("status", flat=True)) == {"cancelled"}


def test_front_desk_books_a_follow_up_for_a_patient(client, front_desk, therapist, ana):
    client.force_login(front_desk)
    due = _local(ana.clinic, 6, 10)

    response = client.post(
        f"{reverse('follow_up_new')}?patient={ana.pk}",
        {
            "due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "kind": "appointment",
            "therapist": therapist.pk,
        },
    )

    follow_up = FollowUp.objects.get(patient=ana)
    assert response.status_code == 302 and follow_up.due_at == due
    assert follow_up.created_by == front_desk and follow_up.reminders.count() == 4


def test_a_manager_sets_the_clinics_reminder_policy(client, manager, clinic_a):
    client.force_login(manager)
    data = {
        "first_reminder_hours": 24,
        "second_reminder_hours": 3,
        "check_in_after_hours": 36,
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
        "sms_enabled": "on",
        "late_cancellation_hours": 12,
    }

    client.post(reverse("reminder_policy"), data)

    policy = ReminderPolicy.objects.get(clinic=clinic_a)
    assert (policy.first_reminder_hours, policy.second_reminder_hours) == (24, 3)
    assert policy.late_cancellation_hours == 12
    assert policy.quiet_hours_end == dt.time(7, 30) and policy.channels == ["sms"]


def test_a_policy_whose_first_reminder_is_not_first_is_refused_with_a_field_message(
    client, manager
):
    client.force_login(manager)
    data = {
        "first_reminder_hours": 2,
        "second_reminder_hours": 48,
        "check_in_after_hours": 24,
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
    }

    response = client.post(reverse("reminder_policy"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["first_reminder_hours"]


def test_front_desk_cannot_change_the_reminder_policy(client, front_desk):
    client.force_login(front_desk)

    assert client.get(reverse("reminder_policy")).status_code == 403


@pytest.fixture
def reply_link(ana, front_desk):
    policy = reminders.policy_for(ana.clinic)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0)
    policy.save()
    follow_up = follow_up_create(
        patient=ana, due_at=_local(ana.clinic, 7, 12), created_by=front_desk
    )
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    Reminder.objects.filter(pk=row.pk).update(
        status="sending", lease="00000000-0000-4000-8000-000000000001"
    )
    reminders.reminder_send(reminder_id=row.pk, lease="00000000-0000-4000-8000-000000000001")
    link = mail.outbox[0].body.split("http://127.0.0.1:8000")[1].split()[0]
    return follow_up, link


def test_the_patient_confirms_from_the_link_and_staff_see_it(client, reply_link, front_desk):
    follow_up, link = reply_link

    opened = client.get(link)
    assert "I will come" in opened.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == "planned"  # opening the link (a mail scanner) changes nothing

    client.post(link, {"answer": "confirm"})
    again = client.get(link).content.decode()

    follow_up.refresh_from_db()
    assert follow_up.status == "confirmed" and "already confirmed" in again
    client.force_login(front_desk)
    assert "by the patient" in client.get(reverse("follow_up_list")).content.decode()


def test_an_unknown_reply_link_answers_404(client):
    assert client.get("/follow-ups/reply/nothing-here/").status_code == 404


def test_a_reply_link_stops_working_once_the_appointment_time_has_passed(client, reply_link):
    follow_up, link = reply_link
    FollowUp.objects.filter(pk=follow_up.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))

    opened = client.get(link)
    answered = client.post(link, {"answer": "cancel"})

    assert opened.status_code == answered.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.status == "planned"


def test_a_reply_link_expires_days_after_its_reminder_was_sent(client, reply_link, settings):
    follow_up, link = reply_link
    row = follow_up.reminders.get(channel="email", kind="before_48h")
    settings.REPLY_LINK_VALID_DAYS = 2
    Reminder.objects.filter(pk=row.pk).update(sent_at=timezone.now() - dt.timedelta(days=1))
    assert client.get(link).status_code == 200

    Reminder.objects.filter(pk=row.pk).update(sent_at=timezone.now() - dt.timedelta(days=2))

    assert client.get(link).status_code == 404
    assert client.post(link, {"answer": "confirm"}).status_code == 404


def test_guessing_reply_links_is_limited_like_every_patient_link(client, reply_link, settings):
    _, link = reply_link
    settings.LINK_GUESS_LIMIT = 3
    for guess in range(3):
        assert client.get(f"/follow-ups/reply/guess-{guess}/").status_code == 404

    refused = client.get(link)

    assert refused.status_code == 429 and "I will come" not in refused.content.decode()


def test_front_desk_finds_the_patient_to_book_for_but_never_another_clinics(
    client, front_desk, ana, patient_b
):
    client.force_login(front_desk)

    mine = client.get(reverse("follow_up_new"), {"q": "ana rey"}).content.decode()
    theirs = client.get(reverse("follow_up_new"), {"q": "Other"}).content.decode()

    assert f"?patient={ana.pk}" in mine
    assert f"?patient={patient_b.pk}" not in theirs and "No patient matches" in theirs
    assert client.get(reverse("follow_up_new"), {"patient": patient_b.pk}).status_code == 404
