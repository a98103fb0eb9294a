"""The waitlist's pages and API: front desk enters a patient (form and API, with per-field
errors), sees the list and takes someone off; the patient answers an offer on its page, in their
language, and an offer past its time is never taken."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from clinic.tokens import token_new
from scheduling import reminders
from scheduling.appointments import appointment_book, appointment_set_status
from scheduling.models import Appointment, Reminder, WaitlistEntry, WaitlistOffer
from scheduling.waitlist import waitlist_entry_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("America/Toronto")


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.localdate(timezone.now(), ZONE) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZONE)


def _until() -> str:
    return (timezone.localdate(timezone.now(), ZONE) + dt.timedelta(days=10)).isoformat()


def test_front_desk_puts_a_patient_on_the_waitlist_from_the_form(client, patient, front_desk):
    client.force_login(front_desk)
    url = f"/waitlist/new/?patient={patient.pk}"
    assert client.get(url).status_code == 200

    # Nothing chosen: the form comes back with what was typed and the field's error.
    refused = client.post(url, {"until": _until(), "duration_minutes": 45, "kind": "treatment"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["weekdays"]
    assert refused.context["form"]["until"].value() == _until()

    response = client.post(
        url,
        {
            "weekdays": ["0", "2"],
            "parts_of_day": ["1", "4"],
            "until": _until(),
            "duration_minutes": 30,
            "kind": "treatment",
        },
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    assert (entry.weekday_list, entry.parts_of_day, entry.duration_minutes) == ([0, 2], 5, 30)
    listed = client.get("/waitlist/")
    assert patient.last_name in listed.content.decode()

    # Twice is refused on the form, not with an error page.
    again = client.post(
        url,
        {
            "weekdays": ["0"],
            "parts_of_day": ["1"],
            "until": _until(),
            "duration_minutes": 30,
            "kind": "treatment",
        },
    )
    assert "on the waitlist already" in again.content.decode()

    assert client.post(f"/waitlist/{entry.pk}/withdraw/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WITHDRAWN


def test_another_clinics_staff_find_neither_the_patient_nor_the_entry(
    client, patient, front_desk, stranger
):
    entry = waitlist_entry_create(
        patient=patient, actor=front_desk, until=_at(9, 0).date(), weekdays=[1], parts_of_day=[1]
    )
    client.force_login(stranger)
    assert client.get(f"/waitlist/new/?patient={patient.pk}").status_code == 404
    assert client.post(f"/waitlist/{entry.pk}/withdraw/").status_code == 404
    assert patient.last_name not in client.get("/waitlist/").content.decode()
    assert client.get(f"/api/v1/waitlist/{entry.pk}/").status_code == 404


def test_the_api_enters_a_patient_and_answers_400_per_field(client, patient, therapist, front_desk):
    client.force_login(front_desk)
    bad = client.post(
        "/api/v1/waitlist/",
        {"patient": patient.pk, "weekdays": [], "parts_of_day": ["noon"], "until": "soon"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"weekdays", "parts_of_day", "until"}
    past = client.post(
        "/api/v1/waitlist/",
        {
            "patient": patient.pk,
            "weekdays": [0],
            "parts_of_day": ["morning"],
            "until": "2020-01-01",
        },
        content_type="application/json",
    )
    assert past.status_code == 400
    assert list(past.json()) == ["until"]

    made = client.post(
        "/api/v1/waitlist/",
        {
            "patient": patient.pk,
            "therapist": therapist.pk,
            "weekdays": [0, 4],
            "parts_of_day": ["morning", "evening"],
            "until": _until(),
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["weekdays"], body["parts_of_day"], body["status"]) == (
        [0, 4],
        ["morning", "evening"],
        "waiting",
    )
    withdrawn = client.post(f"/api/v1/waitlist/{body['id']}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/waitlist/{body['id']}/withdraw/").status_code == 400


@pytest.fixture
def offered(clinic_a, therapist, front_desk):
    """A freed slot offered to a Spanish-speaking patient; returns (offer, raw link token)."""
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0, 0)
    policy.save()
    waiting = PatientFactory(
        clinic=clinic_a,
        first_name="Lucía",
        email="lucia@example.com",
        consents_to_email=True,
        preferred_language="es",
    )
    waitlist_entry_create(
        patient=waiting,
        actor=front_desk,
        until=_at(9, 0).date(),
        weekdays=range(7),
        parts_of_day=[1, 2, 4],
    )
    leaving = PatientFactory(clinic=clinic_a)
    booked = appointment_book(
        patient=leaving,
        therapist=therapist,
        starts_at=_at(2, 10),
        duration_minutes=45,
        actor=front_desk,
    )
    appointment_set_status(appointment=booked, status="cancelled", actor=front_desk)
    offer = WaitlistOffer.objects.get()
    raw, hashed = token_new()
    Reminder.objects.filter(offer=offer).update(answer_token_hash=hashed)
    return offer, raw


def test_the_patient_takes_the_offer_on_its_page_in_their_language(client, offered):
    offer, raw = offered
    page = client.get(f"/waitlist/offer/{raw}/")
    assert page.status_code == 200
    assert page["Content-Language"] == "es"
    assert "Aceptar esta cita" in page.content.decode()
    assert offer.status == WaitlistOffer.Status.OFFERED  # opening the link answers nothing

    taken = client.post(f"/waitlist/offer/{raw}/", {"answer": "accept"})
    assert "Es suya" in taken.content.decode()
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.ACCEPTED
    assert offer.appointment.status == Appointment.Status.BOOKED
    # The link again: it says what stands, and books nothing more.
    assert (
        "Es suya" in client.post(f"/waitlist/offer/{raw}/", {"answer": "accept"}).content.decode()
    )
    assert Appointment.objects.filter(patient=offer.entry.patient).count() == 1


def test_an_offer_past_its_time_says_so_and_is_not_taken(client, offered):
    offer, raw = offered
    WaitlistOffer.objects.filter(pk=offer.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    page = client.get(f"/waitlist/offer/{raw}/")
    assert "Esta oferta ha caducado" in page.content.decode()
    client.post(f"/waitlist/offer/{raw}/", {"answer": "accept"})
    offer.refresh_from_db()
    assert (offer.status, offer.appointment) == (WaitlistOffer.Status.EXPIRED, None)
    assert client.get("/waitlist/offer/not-a-token/").status_code == 404


def test_the_patient_joins_the_waitlist_from_their_reminder_and_is_offered_a_freed_slot(
    client, clinic_a, therapist, front_desk
):
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0, 0)
    policy.save()
    ana = PatientFactory(clinic=clinic_a, email="ana@example.com", consents_to_email=True)
    later = appointment_book(
        patient=ana,
        therapist=therapist,
        starts_at=_at(6, 16),
        duration_minutes=45,
        actor=front_desk,
    )
    raw, hashed = token_new()
    Reminder.objects.filter(pk=later.reminders.first().pk).update(answer_token_hash=hashed)

    reply = client.get(f"/follow-ups/reply/{raw}/").content.decode()
    assert f"/waitlist/join/{raw}/" in reply
    url = f"/waitlist/join/{raw}/"
    refused = client.post(url, {"weekdays": ["1"]})
    assert "Choose at least one time of day." in refused.content.decode()
    joined = client.post(url, {"weekdays": [str(d) for d in range(7)], "parts_of_day": ["1"]})
    assert "You are on the waitlist" in joined.content.decode()
    entry = WaitlistEntry.objects.get(patient=ana)
    assert (entry.therapist, entry.appointment, entry.until, entry.created_by) == (
        therapist,
        later,
        _at(6, 16).date(),
        None,
    )
    # Asking twice changes nothing; the page says where they stand.
    assert "You are on the waitlist" in client.post(url, {"weekdays": ["0"]}).content.decode()
    assert WaitlistEntry.objects.filter(patient=ana).count() == 1

    leaving = PatientFactory(clinic=clinic_a)
    sooner = appointment_book(
        patient=leaving,
        therapist=therapist,
        starts_at=_at(2, 9),
        duration_minutes=45,
        actor=front_desk,
    )
    appointment_set_status(appointment=sooner, status="cancelled", actor=front_desk)
    assert WaitlistOffer.objects.get().entry == entry
