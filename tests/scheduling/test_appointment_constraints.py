"""What only PostgreSQL proves: its exclusion constraints refuse overlapping appointments of a
therapist or a room even past the service, and twenty clerks booking one slot at once on their
own connections get one appointment and nineteen clear refusals, never an error."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from scheduling.appointments import appointment_book
from scheduling.models import Appointment, Room
from tests.factories import PatientFactory

pytestmark = pytest.mark.postgres

CLERKS = 20


def _row(patient, therapist, starts_at, **more):
    return Appointment(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=45),
        **more,
    )


@pytest.mark.django_db
def test_the_database_refuses_overlapping_appointments_of_one_therapist_or_room(
    clinic_a, patient, therapist, manager
):
    room = Room.objects.create(clinic=clinic_a, name="Room 1")
    at = timezone.now() + dt.timedelta(days=2)
    Appointment.objects.bulk_create([_row(patient, therapist, at, room=room)])
    for overlapping in (
        _row(patient, therapist, at + dt.timedelta(minutes=30)),
        _row(patient, manager, at + dt.timedelta(minutes=30), room=room),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.bulk_create([overlapping])
    # A cancelled appointment, or one that starts as the other ends, holds nothing.
    Appointment.objects.bulk_create(
        [
            _row(patient, therapist, at, status="cancelled", cancelled_at=timezone.now()),
            _row(patient, therapist, at + dt.timedelta(minutes=45), room=room),
        ]
    )
    assert Appointment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_slot_give_one_appointment(
    clinic_a, therapist, front_desk
):
    patients = [PatientFactory(clinic=clinic_a) for _ in range(CLERKS)]
    at = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    start = threading.Barrier(CLERKS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def clerk(patient):
        try:
            start.wait()
            appointment_book(
                patient=patient,
                therapist=therapist,
                starts_at=at,
                duration_minutes=45,
                actor=front_desk,
            )
            outcome = "booked"
        except ValidationError as refusal:
            outcome = " ".join(refusal.message_dict["starts_at"])
        except Exception as error:  # noqa: BLE001  (any other failure is the finding)
            outcome = f"error: {type(error).__name__}: {error}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=clerk, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("booked") == 1, outcomes
    refusals = [o for o in outcomes if o != "booked"]
    assert len(refusals) == CLERKS - 1
    assert all(
        o.startswith("The therapist is already booked") or o.startswith("This slot was just taken")
        for o in refusals
    ), refusals
    assert Appointment.objects.filter(therapist=therapist).count() == 1
