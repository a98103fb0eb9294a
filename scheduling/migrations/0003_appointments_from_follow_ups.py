"""Today's open appointment follow-ups go on the book: each becomes an appointment (45 minutes,
a treatment) at its time with its therapist, and its reminders (sent or not, with their answer
links) move to the appointment; the follow-up stays as the booking request it fulfilled, done.
A follow-up without a therapist, or one whose time overlaps an appointment already placed for
the same therapist, stays a booking request for the front desk to place: nothing fails."""

import datetime as dt

from django.db import migrations

MINUTES = 45
OPEN = ("planned", "confirmed")


def follow_ups_to_appointments(apps, schema_editor):
    FollowUp = apps.get_model("scheduling", "FollowUp")
    Appointment = apps.get_model("scheduling", "Appointment")
    Reminder = apps.get_model("scheduling", "Reminder")
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    requests = (
        FollowUp.objects.filter(kind="appointment", status__in=OPEN, therapist__isnull=False)
        .select_related("patient")
        .order_by("due_at", "pk")
    )
    for follow_up in requests.iterator():
        starts, ends = follow_up.due_at, follow_up.due_at + dt.timedelta(minutes=MINUTES)
        mine = taken.setdefault(follow_up.therapist_id, [])
        if any(start < ends and starts < end for start, end in mine):
            continue
        mine.append((starts, ends))
        appointment = Appointment.objects.create(
            clinic_id=follow_up.patient.clinic_id,
            patient_id=follow_up.patient_id,
            therapist_id=follow_up.therapist_id,
            kind="treatment",
            status="booked",
            starts_at=starts,
            ends_at=ends,
            note=follow_up.note,
            confirmed_at=follow_up.answered_by_patient_at if follow_up.status == "confirmed" else None,
            follow_up_id=follow_up.pk,
            created_by_id=follow_up.created_by_id,
        )
        Appointment.objects.filter(pk=appointment.pk).update(created_at=follow_up.created_at)
        Reminder.objects.filter(follow_up_id=follow_up.pk).update(
            appointment_id=appointment.pk, follow_up_id=None
        )
        FollowUp.objects.filter(pk=follow_up.pk).update(status="done")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_appointment_book")]

    operations = [migrations.RunPython(follow_ups_to_appointments, migrations.RunPython.noop)]
