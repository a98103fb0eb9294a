"""Reads about appointments, follow-ups and their reminders, for the front desk (writes:
appointments.py, follow_ups.py; the book's grid: book.py)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from clinic.models import Clinic, Role
from clinic.permissions import visible
from clinic.types import User
from patients.models import Patient

from .hours import WEEKDAYS, free_slots
from .models import (
    Appointment,
    FollowUp,
    Reminder,
    Room,
    WaitlistEntry,
    WaitlistOffer,
    WorkingHours,
    WorkingHoursException,
)

OPEN = (FollowUp.Status.PLANNED, FollowUp.Status.CONFIRMED)


def follow_ups_for_desk(
    *,
    user: User,
    clinic: Clinic,
    when: str = "",
    therapist_id: int | None = None,
    status: str = "",
    now: dt.datetime | None = None,
) -> QuerySet:
    """One clinic's follow-ups with their reminders, soonest first. `when` is today, week or
    overdue (days in the clinic's time zone); overdue means still open after its time."""
    now = now or timezone.now()
    midnight = timezone.localtime(now, clinic.zone).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    follow_ups = (
        visible(user, FollowUp)
        .filter(patient__clinic=clinic)
        .select_related("patient", "therapist")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("send_at")))
        .order_by("due_at", "id")
    )
    if when == "today":
        follow_ups = follow_ups.filter(due_at__gte=midnight, due_at__lt=midnight + dt.timedelta(1))
    elif when == "week":
        follow_ups = follow_ups.filter(due_at__gte=midnight, due_at__lt=midnight + dt.timedelta(7))
    elif when == "overdue":
        follow_ups = follow_ups.filter(due_at__lt=now, status__in=OPEN)
    if therapist_id:
        follow_ups = follow_ups.filter(therapist_id=therapist_id)
    if status:
        follow_ups = follow_ups.filter(status=status)
    return follow_ups


def follow_up_detail(*, user: User, pk: int) -> FollowUp:
    """One follow-up the user may see (404 otherwise is the view's job), with its reminders."""
    return (
        visible(user, FollowUp)
        .select_related("patient__clinic", "therapist")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("send_at")))
        .get(pk=pk)
    )


def clinic_therapists(*, clinic: Clinic) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(
            memberships__clinic=clinic,
            memberships__role=Role.THERAPIST,
            memberships__is_active=True,
        )
        .order_by("first_name", "last_name", "username")
    )


def patients_matching(*, user: User, text: str, limit: int = 20) -> list[Patient]:
    """Patients whose name contains every word typed, for booking a follow-up."""
    patients = visible(user, Patient).select_related("clinic")
    for word in text.split()[:4]:
        patients = patients.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return list(patients.order_by("last_name", "first_name")[:limit])


def follow_ups_due_between(*, user: User, start: dt.datetime, end: dt.datetime) -> QuerySet:
    """The home page's follow-ups of the day, every status but cancelled (index followup_due)."""
    return (
        visible(user, FollowUp)
        .filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=FollowUp.Status.CANCELLED)
        .select_related("patient")
        .only("due_at", "kind", "status", "patient_id", "patient__first_name", "patient__last_name")
        .order_by("due_at")
    )


def follow_ups_of_patient(*, user: User, patient: Patient) -> QuerySet:
    """A patient's follow-ups on their chart, latest first."""
    return (
        visible(user, FollowUp)
        .filter(patient=patient)
        .select_related("therapist")
        .order_by("-due_at")
    )


def follow_ups_of_session(*, session) -> QuerySet:
    """The follow-ups planned from one session, soonest first."""
    return FollowUp.objects.filter(session=session).order_by("due_at")


def reminder_get(*, user: User, pk: int) -> Reminder:
    """One reminder the user may see; Reminder.DoesNotExist otherwise (the view answers 404)."""
    return visible(user, Reminder).get(pk=pk)


def appointment_detail(*, user, pk: int) -> Appointment:
    """One appointment the user may see (Appointment.DoesNotExist otherwise), with its
    reminders."""
    return (
        visible(user, Appointment)
        .select_related("patient__clinic", "therapist", "room", "cancelled_by", "follow_up")
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("send_at")))
        .get(pk=pk)
    )


def clinic_rooms(*, clinic: Clinic) -> QuerySet:
    return Room.objects.filter(clinic=clinic).order_by("name")


def book_requests(*, user, clinic: Clinic) -> QuerySet:
    """Booking requests waiting to be placed on the book: open appointment follow-ups."""
    return (
        visible(user, FollowUp)
        .filter(patient__clinic=clinic, kind=FollowUp.Kind.APPOINTMENT, status__in=OPEN)
        .select_related("patient", "therapist")
        .order_by("due_at", "id")
    )


def book_today(*, user, start: dt.datetime, end: dt.datetime, limit: int) -> dict:
    """The home page's "Today" from the book: the day's appointments (bounded) and how many are
    expected, arrived, in treatment, done and no-show (one aggregate)."""
    appointments = visible(user, Appointment).filter(starts_at__gte=start, starts_at__lt=end)
    S = Appointment.Status
    counts = appointments.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in S.values}
    )
    rows = list(
        appointments.exclude(status=S.CANCELLED)
        .select_related("patient", "therapist")
        .only(
            "starts_at",
            "status",
            "kind",
            "patient__first_name",
            "patient__last_name",
            "therapist__first_name",
            "therapist__last_name",
            "therapist__username",
        )
        .order_by("starts_at", "id")[:limit]
    )
    return {"appointments": rows, "counts": counts}


def therapist_hours(*, clinic: Clinic, therapist, today: dt.date) -> dict:
    """A therapist's weekly hours, each (its day's name, the row), and the exceptions not yet
    over, for the hours page."""
    names = dict(WEEKDAYS)
    weekly = WorkingHours.objects.filter(clinic=clinic, therapist=therapist).order_by(
        "weekday", "starts"
    )
    return {
        "weekly": [(names[row.weekday], row) for row in weekly],
        "exceptions": list(
            WorkingHoursException.objects.filter(
                clinic=clinic, therapist=therapist, last_day__gte=today
            ).order_by("first_day", "starts")
        ),
    }


def hours_row_get(*, user, clinic: Clinic, model, pk: int):
    """One row of hours (weekly or exception) of the clinic; model.DoesNotExist otherwise."""
    return visible(user, model).select_related("clinic").get(clinic=clinic, pk=pk)


def next_free_times(
    *, clinic: Clinic, therapist_id: str, minutes: int = 45, count: int = 6
) -> list[dt.datetime]:
    """The booking form's "next free times" for a therapist of the clinic (none for anyone
    else, or for a therapist whose hours are not kept)."""
    if (
        not therapist_id.isdigit()
        or not clinic_therapists(clinic=clinic).filter(pk=int(therapist_id)).exists()
    ):
        return []
    return free_slots(
        clinic=clinic,
        therapist_id=int(therapist_id),
        duration_minutes=minutes,
        after=timezone.now(),
        count=count,
    )


# --- the waitlist -------------------------------------------------------------------------------


def waitlist_for_desk(*, user, clinic: Clinic) -> QuerySet:
    """One clinic's waiting entries, first requested first, each with its open offer."""
    open_offers = WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OFFERED).select_related(
        "slot__therapist"
    )
    return (
        visible(user, WaitlistEntry)
        .filter(clinic=clinic, status=WaitlistEntry.Status.WAITING)
        .select_related("patient", "therapist", "appointment")
        .prefetch_related(Prefetch("offers", queryset=open_offers, to_attr="open_offers"))
        .order_by("created_at", "id")
    )


def waitlist_entry_get(*, user, entry_id: int) -> WaitlistEntry:
    """One entry the user may see; WaitlistEntry.DoesNotExist otherwise."""
    return visible(user, WaitlistEntry).select_related("patient").get(pk=entry_id)


def appointments_to_bring_forward(*, patient: Patient) -> QuerySet:
    """A patient's future booked appointments: the one a waitlist entry may want earlier."""
    return Appointment.objects.filter(
        patient=patient, status=Appointment.Status.BOOKED, starts_at__gt=timezone.now()
    ).order_by("starts_at")


def waiting_entry(*, patient: Patient) -> WaitlistEntry | None:
    """The patient's waiting entry, if they are on the waitlist (an answer, not a miss)."""
    return patient.waitlist.filter(status=WaitlistEntry.Status.WAITING).first()
