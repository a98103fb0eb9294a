"""Re-assessment reminders: the therapist of an active plan is told when its re-assessment is
due, once per plan and due date, by email (Django's email backend, EMAIL_URL) and on the home
page (`selectors.reassessments_due`). Beat runs `reassessments_remind` every
REASSESSMENT_REMIND_SECONDS; it is idempotent: a row per (plan, due date) is created once (a
unique constraint), and each row is claimed under a row lock that skips rows another run holds,
re-checked, sent and marked in one transaction."""

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from clinic.models import Clinic

from .models import PlanOfCare, ReassessmentReminder

logger = logging.getLogger(__name__)


def _due_today_in_each_zone(now: dt.datetime) -> Q:
    """Plans whose re-assessment day has come in their clinic's own calendar (a few zones, so
    one condition per zone rather than a query per clinic)."""
    condition = Q(pk__in=[])
    for zone in Clinic.objects.values_list("time_zone", flat=True).distinct():
        today = timezone.localdate(now, timezone=zoneinfo.ZoneInfo(zone))
        condition |= Q(patient__clinic__time_zone=zone, reassess_on__lte=today)
    return condition


def reminders_create(*, now: dt.datetime | None = None) -> int:
    """One pending row for each active plan whose re-assessment is due and not yet announced
    (a new version that moves the date gets a row for the new date)."""
    due = PlanOfCare.objects.filter(
        _due_today_in_each_zone(now or timezone.now()),
        status=PlanOfCare.Status.ACTIVE,
        patient__erasure_requested_at__isnull=True,
    ).exclude(
        # Told already, by this version or an earlier one of the same episode (a new version
        # keeping the date is not a new re-assessment).
        Exists(
            ReassessmentReminder.objects.filter(
                plan__patient_id=OuterRef("patient_id"),
                plan__opened_at=OuterRef("opened_at"),
                due_on=OuterRef("reassess_on"),
            )
        )
    )
    rows = [
        ReassessmentReminder(plan_id=plan_id, therapist_id=therapist_id, due_on=due_on)
        for plan_id, therapist_id, due_on in due.values_list("pk", "therapist_id", "reassess_on")
    ]
    created = ReassessmentReminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def _message(row: ReassessmentReminder) -> tuple[str, str]:
    # No patient name or clinical content in an email: the link opens the plan for staff who
    # may see it, after signing in.
    link = settings.SITE_URL + reverse("plan_detail", args=[row.plan_id])
    subject = _("A plan of care is due for re-assessment")
    body = _(
        "A plan of care you are the therapist of is due for re-assessment on %(day)s.\n\n"
        "Open it (sign-in needed): %(link)s\n"
    ) % {"day": row.due_on.isoformat(), "link": link}
    return subject, body


def reminder_send(*, reminder_id: int) -> bool:
    """Send one row if it is still pending and its plan still active and still due that day;
    True when it was sent now."""
    with transaction.atomic():
        row = (
            ReassessmentReminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("plan", "therapist")
            .filter(pk=reminder_id, status=ReassessmentReminder.Status.PENDING)
            .first()
        )
        if row is None:
            return False
        plan = row.plan
        if plan.status != PlanOfCare.Status.ACTIVE or plan.reassess_on != row.due_on:
            # A discharged plan, or a new version with another date: nothing to announce.
            row.status = ReassessmentReminder.Status.FAILED
            row.last_error = "The plan is no longer due on this date."
            row.save(update_fields=["status", "last_error"])
            return False
        if not row.therapist.email:
            row.status = ReassessmentReminder.Status.FAILED
            row.last_error = "The therapist has no email address."
            row.save(update_fields=["status", "last_error"])
            return False
        row.attempts += 1
        try:
            with override(settings.LANGUAGE_CODE):
                subject, body = _message(row)
            send_mail(subject, body, None, [row.therapist.email])
        except OSError as error:
            row.last_error = type(error).__name__
            if row.attempts >= settings.REMINDER_MAX_ATTEMPTS:
                row.status = ReassessmentReminder.Status.FAILED
            row.save(update_fields=["attempts", "last_error", "status"])
            logger.warning("re-assessment reminder %s not sent: %s", row.pk, row.last_error)
            return False
        row.status = ReassessmentReminder.Status.SENT
        row.sent_at = timezone.now()
        row.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def reassessments_remind(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat's sweep: create the due rows, then send each pending one."""
    created = reminders_create(now=now)
    pending = ReassessmentReminder.objects.filter(
        status=ReassessmentReminder.Status.PENDING
    ).values_list("pk", flat=True)
    sent = sum(reminder_send(reminder_id=pk) for pk in list(pending))
    return {"created": created, "sent": sent}
