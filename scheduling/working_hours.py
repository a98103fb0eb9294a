"""Writes to therapists' hours: a manager of the clinic adds or removes a weekly interval, or a
day that differs (leave, or a changed day's interval). Appointments already booked stay where
they are; the hours apply to booking and moving from now on. Reads: hours.py."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from clinic.audit import audit_record
from clinic.models import CLINICAL_ROLES, AuditEvent, Clinic, Membership
from clinic.permissions import access_for
from clinic.transactions import retrying_atomic
from clinic.types import User

from .models import WorkingHours, WorkingHoursException


def _require_manager(actor: User, clinic: Clinic) -> None:
    if clinic.pk not in access_for(actor).managed_clinic_ids:
        raise PermissionDenied("Therapists' hours are set by the clinic's managers.")


def _require_treats(therapist: User, clinic: Clinic) -> None:
    if not Membership.objects.filter(
        user=therapist, clinic=clinic, role__in=CLINICAL_ROLES, is_active=True
    ).exists():
        raise ValidationError({"therapist": [_("Choose a therapist of the clinic.")]})


def _audit(
    row: WorkingHours | WorkingHoursException, action: str, actor: User, clinic: Clinic
) -> None:
    audit_record(action=action, actor=actor, obj=row, clinic_id=clinic.pk)


@retrying_atomic
def working_hours_add(
    *, clinic: Clinic, therapist: User, weekday: int, starts: dt.time, ends: dt.time, actor
) -> WorkingHours:
    _require_manager(actor, clinic)
    _require_treats(therapist, clinic)
    row = WorkingHours(
        clinic=clinic, therapist=therapist, weekday=weekday, starts=starts, ends=ends
    )
    row.full_clean(exclude=["clinic", "therapist"])
    if (
        WorkingHours.objects.select_for_update()
        .filter(clinic=clinic, therapist=therapist, weekday=weekday)
        .filter(starts__lt=ends, ends__gt=starts)
        .exists()
    ):
        raise ValidationError({"starts": [_("These hours overlap hours already set that day.")]})
    row.save()
    _audit(row, AuditEvent.Action.CREATE, actor, clinic)
    return row


@retrying_atomic
def hours_exception_add(
    *,
    clinic: Clinic,
    therapist: User,
    first_day: dt.date,
    last_day: dt.date,
    actor: User,
    starts: dt.time | None = None,
    ends: dt.time | None = None,
    note: str = "",
) -> WorkingHoursException:
    """Leave (no times) or one interval of a changed day, from first_day to last_day."""
    _require_manager(actor, clinic)
    _require_treats(therapist, clinic)
    if (starts is None) != (ends is None) or (starts and ends and ends <= starts):
        raise ValidationError(
            {"ends": [_("Give both times, the end after the start, or neither for leave.")]}
        )
    if last_day < first_day:
        raise ValidationError({"last_day": [_("The last day comes on or after the first.")]})
    row = WorkingHoursException(
        clinic=clinic,
        therapist=therapist,
        first_day=first_day,
        last_day=last_day,
        starts=starts,
        ends=ends,
        note=note,
    )
    row.full_clean(exclude=["clinic", "therapist"])
    row.save()
    _audit(row, AuditEvent.Action.CREATE, actor, clinic)
    return row


@retrying_atomic
def working_hours_remove(*, row: WorkingHours | WorkingHoursException, actor: User) -> None:
    clinic = row.clinic
    _require_manager(actor, clinic)
    _audit(row, AuditEvent.Action.UPDATE, actor, clinic)
    type(row).objects.filter(pk=row.pk).delete()
