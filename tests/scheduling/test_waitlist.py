"""The waitlist: a freed slot is offered to the first matching patients by request time, through
the reminder machinery (one-time link, stored hashed; quiet hours); the first to accept gets it,
the others are told it is taken; offers expire and the slot goes to the next in line."""

import datetime as dt
import re
import threading
import uuid
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.utils import timezone

from clinic.tokens import token_hash
from scheduling import reminders
from scheduling.appointments import appointment_book, appointment_move, appointment_set_status
from scheduling.models import Appointment, FreedSlot, Reminder, WaitlistEntry, WaitlistOffer
from scheduling.offers import offer_for_link, waitlist_offer_accept, waitlist_offer_decline
from scheduling.replies import follow_up_reply
from scheduling.waitlist import (
    waitlist_entry_create,
    waitlist_entry_withdraw,
    waitlist_offers_expire,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

ZONE = zoneinfo.ZoneInfo("America/Toronto")  # the factories' clinic's
Offer = WaitlistOffer.Status
Part = WaitlistEntry.PartOfDay


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.localdate(timezone.now(), ZONE) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


SLOT = (3, 15)  # three days ahead, 15:00: an afternoon


@pytest.fixture
def awake(clinic_a):
    """No quiet hours, so offers go at once whatever the hour the suite runs at."""
    policy = reminders.policy_for(clinic_a)
    policy.quiet_hours_start = policy.quiet_hours_end = dt.time(0, 0)
    policy.save()
    return policy


def _reachable(clinic, name: str):
    return PatientFactory(
        clinic=clinic, first_name=name, email=f"{name.lower()}@example.com", consents_to_email=True
    )


def _wait(patient, actor, **more) -> WaitlistEntry:
    values = {
        "until": _at(10, 0).date(),
        "weekdays": [_at(*SLOT).weekday()],
        "parts_of_day": [Part.AFTERNOON],
    }
    return waitlist_entry_create(patient=patient, actor=actor, **(values | more))


def _freed(therapist, front_desk, minutes=45) -> FreedSlot:
    """Book someone at the slot and cancel: the time is freed and offered."""
    leaving = _reachable(therapist.memberships.first().clinic, "Leaving")
    booked = appointment_book(
        patient=leaving,
        therapist=therapist,
        starts_at=_at(*SLOT),
        duration_minutes=minutes,
        actor=front_desk,
    )
    appointment_set_status(
        appointment=booked, status=Appointment.Status.CANCELLED, actor=front_desk
    )
    return FreedSlot.objects.get(starts_at=_at(*SLOT))


def _send(row: Reminder) -> str:
    lease = uuid.uuid4()
    Reminder.objects.filter(pk=row.pk).update(
        status=Reminder.Status.SENDING, claimed_at=timezone.now(), lease=lease
    )
    return reminders.reminder_send(reminder_id=row.pk, lease=str(lease))


def _link_token(offer: WaitlistOffer) -> str:
    row = offer.reminders.get(kind=Reminder.Kind.SLOT_OFFER)
    assert _send(row) == "sent"
    body = mail.outbox[-1].body
    return re.search(r"/waitlist/offer/([^/]+)/", body).group(1)


def test_a_freed_slot_is_offered_to_the_first_matching_patients_by_request_time(
    settings, clinic_a, therapist, manager, front_desk, awake
):
    settings.WAITLIST_OFFER_COUNT = 2
    ana, ben, cy, dee, eve, fay = (
        _reachable(clinic_a, name) for name in ("Ana", "Ben", "Cy", "Dee", "Eve", "Fay")
    )
    _wait(ana, front_desk, weekdays=[(_at(*SLOT).weekday() + 1) % 7])  # another weekday
    _wait(ben, front_desk, parts_of_day=[Part.MORNING])  # mornings only
    _wait(cy, front_desk, therapist=manager)  # another therapist
    _wait(dee, front_desk, duration_minutes=60)  # longer than the freed 45 minutes
    first = _wait(eve, front_desk, therapist=therapist)
    second = _wait(fay, front_desk, parts_of_day=[Part.AFTERNOON, Part.EVENING])
    _wait(_reachable(clinic_a, "Gus"), front_desk)  # third in line: not yet

    slot = _freed(therapist, front_desk)

    offers = list(slot.offers.order_by("id"))
    assert [o.entry for o in offers] == [first, second]
    assert {o.status for o in offers} == {Offer.OFFERED}
    # An offer lasts WAITLIST_OFFER_MINUTES (120), never past the slot's start.
    assert timezone.now() + dt.timedelta(minutes=119) < offers[0].expires_at <= slot.starts_at
    rows = Reminder.objects.filter(offer__slot=slot)
    assert sorted(rows.values_list("patient__first_name", "kind", "channel")) == [
        ("Eve", "slot_offer", "email"),
        ("Fay", "slot_offer", "email"),
    ]


def test_the_offer_goes_out_with_a_one_time_link_stored_only_as_a_hash(
    clinic_a, therapist, front_desk, awake
):
    entry = _wait(_reachable(clinic_a, "Eve"), front_desk)
    offer = _freed(therapist, front_desk).offers.get()

    token = _link_token(offer)

    message = mail.outbox[-1]
    assert message.to == ["eve@example.com"]
    assert "An earlier appointment" in message.subject
    row = offer.reminders.get()
    assert (row.status, row.answer_token_hash) == (Reminder.Status.SENT, token_hash(token))
    assert token not in str(Reminder.objects.filter(pk=row.pk).values().get())
    assert offer_for_link(token=token) == offer
    with pytest.raises(WaitlistOffer.DoesNotExist):
        offer_for_link(token=token[:-1] + "x")
    # The appointment reply page does not take an offer's token.
    with pytest.raises(Reminder.DoesNotExist):
        follow_up_reply(token=token, confirm=False)
    assert entry.status == WaitlistEntry.Status.WAITING


def test_the_first_to_accept_gets_the_slot_and_the_others_are_told_it_is_taken(
    clinic_a, therapist, front_desk, awake
):
    eve, fay, gus = (_reachable(clinic_a, name) for name in ("Eve", "Fay", "Gus"))
    for patient in (eve, fay, gus):
        _wait(patient, front_desk)
    slot = _freed(therapist, front_desk)
    eve_offer, fay_offer, gus_offer = slot.offers.order_by("id")
    _link_token(eve_offer)
    _link_token(fay_offer)  # Gus's message is still to send

    won = waitlist_offer_accept(offer=fay_offer)

    assert won.status == Offer.ACCEPTED
    booked = won.appointment
    assert (booked.patient, booked.therapist, booked.starts_at, booked.status) == (
        fay,
        therapist,
        slot.starts_at,
        Appointment.Status.BOOKED,
    )
    slot.refresh_from_db()
    assert slot.status == FreedSlot.Status.TAKEN
    assert WaitlistEntry.objects.get(patient=fay).status == WaitlistEntry.Status.BOOKED
    eve_offer.refresh_from_db()
    gus_offer.refresh_from_db()
    assert (eve_offer.status, gus_offer.status) == (Offer.TAKEN, Offer.TAKEN)
    # Eve had the offer, so she hears it is gone; Gus's offer is simply not sent.
    taken = Reminder.objects.get(kind=Reminder.Kind.SLOT_TAKEN)
    assert taken.patient == eve
    assert gus_offer.reminders.get().status == Reminder.Status.CANCELLED
    assert _send(taken) == "sent"
    assert "taken by another patient" in mail.outbox[-1].body
    # Too late: Eve's acceptance finds the slot gone, nothing more is booked.
    assert waitlist_offer_accept(offer=eve_offer).status == Offer.TAKEN
    assert Appointment.objects.filter(starts_at=slot.starts_at, status="booked").count() == 1
    # The others stay on the waitlist.
    assert WaitlistEntry.objects.get(patient=eve).status == WaitlistEntry.Status.WAITING


def test_an_expired_offer_cannot_be_accepted_and_the_slot_goes_to_the_next_in_line(
    settings, clinic_a, therapist, front_desk, awake
):
    settings.WAITLIST_OFFER_COUNT = 1
    eve, fay, gus = (_reachable(clinic_a, name) for name in ("Eve", "Fay", "Gus"))
    for patient in (eve, fay, gus):
        _wait(patient, front_desk)
    slot = _freed(therapist, front_desk)
    eve_offer = slot.offers.get()
    past = timezone.now() - dt.timedelta(seconds=1)
    WaitlistOffer.objects.filter(pk=eve_offer.pk).update(expires_at=past)

    # Checked on open: the acceptance finds it expired, and Fay is offered the slot.
    assert waitlist_offer_accept(offer=eve_offer).status == Offer.EXPIRED
    assert not Appointment.objects.filter(patient=eve).exists()
    fay_offer = slot.offers.get(status=Offer.OFFERED)
    assert fay_offer.entry.patient == fay
    # Eve's message, not sent yet, is cancelled at its send.
    assert _send(eve_offer.reminders.get()) == "cancelled"

    # And by beat: Fay lets hers run out too; Gus is next.
    WaitlistOffer.objects.filter(pk=fay_offer.pk).update(expires_at=past)
    assert waitlist_offers_expire() == 1
    fay_offer.refresh_from_db()
    assert fay_offer.status == Offer.EXPIRED
    assert slot.offers.get(status=Offer.OFFERED).entry.patient == gus

    # Gus declines: nobody is left, the slot lapses.
    waitlist_offer_decline(offer=slot.offers.get(status=Offer.OFFERED))
    slot.refresh_from_db()
    assert slot.status == FreedSlot.Status.LAPSED


def test_accepting_cancels_the_later_appointment_and_offers_that_time_in_turn(
    clinic_a, therapist, front_desk, awake
):
    eve, fay = _reachable(clinic_a, "Eve"), _reachable(clinic_a, "Fay")
    later = appointment_book(
        patient=eve,
        therapist=therapist,
        starts_at=_at(5, 15),
        duration_minutes=45,
        actor=front_desk,
    )
    _wait(eve, front_desk, appointment=later, weekdays=range(7))
    _wait(fay, front_desk, weekdays=range(7))
    slot = _freed(therapist, front_desk)
    eve_offer = slot.offers.get(entry__patient=eve)

    waitlist_offer_accept(offer=eve_offer)

    later.refresh_from_db()
    assert (later.status, later.cancelled_by_patient) == (Appointment.Status.CANCELLED, True)
    # Fay's offer of the first slot was closed as taken; she is offered Eve's old time.
    assert slot.offers.get(entry__patient=fay).status == Offer.TAKEN
    freed_again = FreedSlot.objects.get(starts_at=_at(5, 15))
    assert freed_again.offers.get().entry.patient == fay


def test_moving_an_appointment_offers_the_time_it_leaves(
    clinic_a, therapist, manager, front_desk, awake
):
    fay = _reachable(clinic_a, "Fay")
    _wait(fay, front_desk, weekdays=range(7), duration_minutes=30)
    leaving = _reachable(clinic_a, "Leaving")
    booked = appointment_book(
        patient=leaving,
        therapist=therapist,
        starts_at=_at(*SLOT),
        duration_minutes=45,
        actor=front_desk,
    )

    # Half an hour later: only 15:00-15:30 is left free, and Fay needs 30 minutes.
    appointment_move(appointment=booked, starts_at=_at(3, 15, 30), actor=front_desk)
    slot = FreedSlot.objects.get()
    assert (slot.starts_at, slot.ends_at, slot.therapist) == (_at(3, 15), _at(3, 15, 30), therapist)
    assert slot.offers.get().entry.patient == fay

    # To another therapist: all of the old time leaves this therapist's book.
    appointment_move(appointment=booked, starts_at=_at(4, 15), therapist=manager, actor=front_desk)
    moved_away = FreedSlot.objects.get(starts_at=_at(3, 15, 30))
    assert (moved_away.ends_at, moved_away.therapist) == (_at(3, 16, 15), therapist)


def test_a_move_within_its_own_time_frees_nothing(clinic_a, therapist, front_desk, awake):
    booked = appointment_book(
        patient=_reachable(clinic_a, "Staying"),
        therapist=therapist,
        starts_at=_at(*SLOT),
        duration_minutes=45,
        actor=front_desk,
    )
    appointment_move(
        appointment=booked, starts_at=_at(*SLOT), duration_minutes=60, actor=front_desk
    )
    assert not FreedSlot.objects.exists()


def test_only_an_earlier_slot_is_offered_to_a_patient_with_an_appointment(
    clinic_a, therapist, front_desk, awake
):
    eve = _reachable(clinic_a, "Eve")
    sooner = appointment_book(
        patient=eve,
        therapist=therapist,
        starts_at=_at(2, 15),
        duration_minutes=45,
        actor=front_desk,
    )
    _wait(eve, front_desk, appointment=sooner)
    slot = _freed(therapist, front_desk)
    assert not slot.offers.exists()
    assert slot.status == FreedSlot.Status.LAPSED


def test_an_offer_made_in_quiet_hours_goes_when_they_end(clinic_a, therapist, front_desk):
    policy = reminders.policy_for(clinic_a)
    now = timezone.localtime(timezone.now(), ZONE)
    # Quiet from an hour ago to an hour from now, whatever the time.
    policy.quiet_hours_start = (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    policy.quiet_hours_end = (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    policy.save()
    _wait(_reachable(clinic_a, "Eve"), front_desk)
    offer = _freed(therapist, front_desk).offers.get()
    row = offer.reminders.get()
    ends = reminders.quiet_hours_end_after(timezone.now(), policy=policy, zone=ZONE)
    assert row.send_at == ends
    assert offer.expires_at == min(ends + dt.timedelta(minutes=120), offer.slot.starts_at)


def test_the_patients_own_cancellation_from_the_reminder_link_offers_the_slot(
    clinic_a, therapist, front_desk, awake
):
    leaving = _reachable(clinic_a, "Leaving")
    booked = appointment_book(
        patient=leaving,
        therapist=therapist,
        starts_at=_at(*SLOT),
        duration_minutes=45,
        actor=front_desk,
    )
    entry = _wait(_reachable(clinic_a, "Eve"), front_desk)
    Reminder.objects.filter(pk=booked.reminders.first().pk).update(
        answer_token_hash=token_hash("raw-link")
    )
    follow_up_reply(token="raw-link", confirm=False)
    assert WaitlistOffer.objects.get().entry == entry


def test_entries_are_checked_and_withdrawn(clinic_a, patient, therapist, front_desk, stranger):
    with pytest.raises(ValidationError) as refused:
        waitlist_entry_create(
            patient=patient,
            actor=front_desk,
            until=_at(-1, 0).date(),
            weekdays=[],
            parts_of_day=[],
        )
    assert set(refused.value.message_dict) == {"until", "weekdays", "parts_of_day"}
    entry = _wait(patient, front_desk)
    with pytest.raises(ValidationError) as refused:
        _wait(patient, front_desk)
    assert refused.value.message_dict["patient"] == ["This patient is on the waitlist already."]
    with pytest.raises(ValidationError):
        _wait(PatientFactory(clinic=clinic_a), front_desk, therapist=front_desk)
    with pytest.raises(PermissionDenied):
        waitlist_entry_withdraw(entry=entry, actor=stranger)
    withdrawn = waitlist_entry_withdraw(entry=entry, actor=front_desk)
    assert withdrawn.status == WaitlistEntry.Status.WITHDRAWN
    assert (withdrawn.weekday_list, withdrawn.part_list) == (
        [_at(*SLOT).weekday()],
        [Part.AFTERNOON],
    )


PATIENTS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_patients_accepting_one_slot_at_once_give_one_appointment(
    settings, clinic_a, therapist, front_desk, awake
):
    """Real connections, one per patient, released together: the slot's row lock lets the
    first acceptance book it; every other one finds it taken, none fails."""
    settings.WAITLIST_OFFER_COUNT = PATIENTS
    for number in range(PATIENTS):
        _wait(_reachable(clinic_a, f"P{number}"), front_desk)
    slot = _freed(therapist, front_desk)
    offers = list(slot.offers.all())
    assert len(offers) == PATIENTS
    start = threading.Barrier(PATIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def patient_taps(offer):
        try:
            start.wait()
            outcome = waitlist_offer_accept(offer=offer).status
        except Exception as error:  # noqa: BLE001  (any failure is the finding)
            outcome = f"error: {type(error).__name__}: {error}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=patient_taps, args=(o,)) for o in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [Offer.ACCEPTED] + [Offer.TAKEN] * (PATIENTS - 1), outcomes
    assert Appointment.objects.filter(starts_at=slot.starts_at, status="booked").count() == 1
    assert WaitlistEntry.objects.filter(status=WaitlistEntry.Status.BOOKED).count() == 1


def test_an_erasure_request_takes_the_patient_off_the_waitlist_and_passes_their_offer_on(
    settings, clinic_a, therapist, front_desk, manager, awake
):
    from scheduling.erasure import patient_erasure_request

    settings.WAITLIST_OFFER_COUNT = 1
    eve, fay = _reachable(clinic_a, "Eve"), _reachable(clinic_a, "Fay")
    _wait(eve, front_desk)
    _wait(fay, front_desk)
    slot = _freed(therapist, front_desk)
    eve_offer = slot.offers.get()

    patient_erasure_request(patient=eve, user=manager)

    eve_offer.refresh_from_db()
    assert eve_offer.status == Offer.DECLINED
    assert eve_offer.reminders.get().status == Reminder.Status.CANCELLED
    assert WaitlistEntry.objects.get(patient=eve).status == WaitlistEntry.Status.WITHDRAWN
    assert slot.offers.get(status=Offer.OFFERED).entry.patient == fay


def test_a_merged_record_waits_once_its_first_request_keeping_its_place(
    clinic_a, manager, front_desk
):
    from patients.services import patient_merge

    survivor, duplicate = _reachable(clinic_a, "Eve"), _reachable(clinic_a, "Eva")
    first = _wait(duplicate, front_desk)
    later = _wait(survivor, front_desk)

    patient_merge(actor=manager, survivor=survivor, merged=duplicate)

    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.patient, first.status) == (survivor, WaitlistEntry.Status.WAITING)
    assert later.status == WaitlistEntry.Status.WITHDRAWN
