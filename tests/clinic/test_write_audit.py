"""Every write service names who acts (a staff `actor`, or a label for the patient's links and
the system) and leaves its audit row in the same transaction. The access matrix proves it for
reads; this walks every public function of the service modules, so a new write must be
classified here and proved."""

import datetime as dt
import inspect
from importlib import import_module

import pytest
from django.test import Client
from django.utils import timezone

from clinic.models import AuditEvent
from patients import imports, services
from patients.models import IntakeInvitation, IntakeSubmission, Patient
from plans import services as plan_services
from scheduling import appointments, erasure, follow_ups, reminders, replies, working_hours
from scheduling.models import FollowUp, Reminder
from sessions import check_ins
from sessions import services as session_services
from sessions.models import SoapTemplate
from tests.factories import FollowUpFactory, ReminderFactory, TreatmentSessionFactory
from tests.patients.intake_helpers import fill, invite, valid_steps

pytestmark = pytest.mark.django_db

MODULES = (
    "patients.services",
    "patients.imports",
    "sessions.services",
    "scheduling.follow_ups",
    "scheduling.reminders",
    "sessions.check_ins",
    "scheduling.erasure",
    "scheduling.replies",
    "scheduling.appointments",
    "scheduling.hours",
    "scheduling.working_hours",
    "plans.services",
)

# Public functions of those modules that write nothing of a patient's, and why.
NOT_WRITES = {
    "decode_upload": "reads bytes",
    "importing_clinics": "a read",
    "require_author": "the draft rule, asked by the page before it reads the body",
    "reminder_for_reply": "a read",
    "answer_token": "computes a token",
    "message_key": "computes a key",
    "questionnaire_link_token": "computes a token",
    "in_quiet_hours": "arithmetic",
    "quiet_hours_end_after": "arithmetic",
    "quiet_hours_start_before": "arithmetic",
    "reachable_channels": "a read",
    "reminder_schedule": "arithmetic",
    "reminders_planned": "builds unsaved rows (reminders_sync and the demo writer save them)",
    "reply_link_expires_at": "arithmetic",
    "policy_for": "creates a clinic's default policy (no patient data) on first read",
    "check_in_open": "a read",
    "require_future": "a check",
    "require_treating": "a check",
    "within_hours": "a read",
    "working_intervals": "a read",
    "free_slots": "a read",
    "check_in_regions": "a read",
    "check_in_factors": "a read",
    # Called only inside the audited writes above, in their transaction.
    "reminders_sync": "part of each audited follow-up write",
    # Delivery machinery: the reminder row itself records every attempt, its lease and result;
    # the follow-up write that planned the reminder is audited.
    "reminders_claim_due": "delivery machinery",
    "reminders_reclaim_stuck": "delivery machinery",
    "reminders_sweep": "delivery machinery",
    "reminders_send": "delivery machinery",
    "reminder_send": "delivery machinery",
}


def _due():
    return timezone.now() + dt.timedelta(days=3)


def _submitted(clinic, by):
    token = invite(clinic=clinic, by=by)
    fill(Client(), token)
    invitation = IntakeInvitation.objects.get(submission__isnull=False)
    return token, services.intake_submit(invitation=invitation)


# name: (the write, given the cast; returns who should be named and the patient's id or None)
def _intake_invite(c):
    invite(clinic=c["clinic"], by=c["front_desk"], patient=c["patient"])
    return {"actor": c["front_desk"]}, c["patient"].pk


def _intake_step_save(c):
    invite(clinic=c["clinic"], by=c["front_desk"], patient=c["patient"])
    invitation = IntakeInvitation.objects.get()
    services.intake_step_save(invitation=invitation, step=1, answers=valid_steps()[1])
    return {"actor_label": "patient-link"}, c["patient"].pk


def _intake_submit(c):
    _submitted(c["clinic"], c["front_desk"])
    return {"actor_label": "patient-link"}, None


def _intake_link(c):
    _token, intake = _submitted(c["clinic"], c["front_desk"])
    patient = services.intake_link(intake_id=intake.pk, user=c["front_desk"])
    return {"actor": c["front_desk"]}, patient.pk


def _intake_red_flags_clear(c):
    _token, intake = _submitted(c["clinic"], c["front_desk"])
    IntakeSubmission.objects.filter(pk=intake.pk).update(patient=c["patient"])
    services.intake_red_flags_clear(intake_id=intake.pk, user=c["therapist"], note="Seen by GP.")
    return {"actor": c["therapist"]}, c["patient"].pk


def _patients_import(c):
    imports.patients_import(
        clinic=c["clinic"],
        text="first_name,last_name,date_of_birth\nAna,Silva,1975-03-02\n",
        dry_run=False,
        actor=c["front_desk"],
    )
    return {"actor": c["front_desk"]}, Patient.objects.get(last_name="Silva").pk


def _patient_register(c):
    patient = services.patient_register(
        actor=c["front_desk"],
        clinic=c["clinic"],
        details={"first_name": "Walk", "last_name": "In", "date_of_birth": dt.date(1990, 1, 2)},
    )
    return {"actor": c["front_desk"]}, patient.pk


def _patient_update(c):
    services.patient_update(
        actor=c["front_desk"], patient=c["patient"], changes={"phone": "416 555 0100"}
    )
    return {"actor": c["front_desk"]}, c["patient"].pk


def _patient_merge(c):
    duplicate = Patient.objects.create(
        clinic=c["clinic"], first_name="Dup", last_name="Licate", date_of_birth=dt.date(1990, 1, 2)
    )
    services.patient_merge(actor=c["manager"], survivor=c["patient"], merged=duplicate)
    return {"actor": c["manager"]}, c["patient"].pk


def _session_start(c):
    # The cast's draft is open: only a second session asked for is a write (continuing is not).
    session_services.session_start(patient=c["patient"], therapist=c["therapist"], another=True)
    return {"actor": c["therapist"]}, c["patient"].pk


def _session_update(c):
    session_services.session_update(
        session=c["draft"], user=c["therapist"], fields={"plan": "Stretch daily."}
    )
    return {"actor": c["therapist"]}, c["patient"].pk


def _session_sign(c):
    session_services.session_sign(session=c["draft"], user=c["therapist"])
    return {"actor": c["therapist"]}, c["patient"].pk


def _session_discard(c):
    session_services.session_discard(session=c["draft"], user=c["therapist"])
    return {"actor": c["therapist"]}, c["patient"].pk


def _note_requirements_update(c):
    session_services.note_requirements_update(
        clinic=c["clinic"], actor=c["manager"], pain_after_required=True
    )
    return {"actor": c["manager"]}, None


def _soap_template_save(c):
    session_services.soap_template_save(
        clinic=c["clinic"], actor=c["manager"], name="Neck", plan="Weekly."
    )
    return {"actor": c["manager"]}, None


def _soap_template_delete(c):
    template = SoapTemplate.objects.create(clinic=c["clinic"], name="Old")
    session_services.soap_template_delete(template=template, actor=c["manager"])
    return {"actor": c["manager"]}, None


def _trigger_point_settings_update(c):
    session_services.trigger_point_settings_update(
        clinic=c["clinic"], actor=c["manager"], forecast_min_points=12
    )
    return {"actor": c["manager"]}, None


def _draft_plan(c):
    return plan_services.plan_create(
        patient=c["patient"],
        actor=c["therapist"],
        goals=[{"kind": "pain", "region": "lower_back", "side": "both", "target": 2}],
        complaint="Low back pain after long drives.",
        regions=["lower_back"],
        sessions_per_week=1,
        weeks=6,
        reassess_on=timezone.localdate() + dt.timedelta(weeks=3),
    )


def _active_plan(c):
    return plan_services.plan_sign(plan=_draft_plan(c), actor=c["therapist"])


def _plan_create(c):
    _draft_plan(c)
    return {"actor": c["therapist"]}, c["patient"].pk


def _plan_update(c):
    plan = _draft_plan(c)
    return _then(c, lambda: plan_services.plan_update(plan=plan, actor=c["therapist"], weeks=8))


def _plan_sign(c):
    plan = _draft_plan(c)
    return _then(c, lambda: plan_services.plan_sign(plan=plan, actor=c["therapist"]))


def _plan_revise(c):
    plan = _active_plan(c)
    return _then(
        c, lambda: plan_services.plan_revise(plan=plan, actor=c["therapist"], reason="Plateau.")
    )


def _plan_discard(c):
    plan = _draft_plan(c)
    return _then(c, lambda: plan_services.plan_discard(plan=plan, actor=c["therapist"]))


def _plan_discharge(c):
    plan = _active_plan(c)
    return _then(
        c,
        lambda: plan_services.plan_discharge(plan=plan, actor=c["therapist"], reason="goals_met"),
    )


def _addendum_add(c):
    session_services.session_sign(session=c["draft"], user=c["therapist"])
    return _then(
        c,
        lambda: session_services.addendum_add(
            session=c["draft"], author=c["therapist"], reason="Typo", text="Left side."
        ),
    )


def _follow_up_create(c):
    follow_ups.follow_up_create(patient=c["patient"], due_at=_due(), created_by=c["front_desk"])
    return {"actor": c["front_desk"]}, c["patient"].pk


def _follow_up_plan_check_in(c):
    follow_ups.follow_up_plan_check_in(session=c["draft"], created_by=c["therapist"])
    return {"actor": c["therapist"]}, c["patient"].pk


def _follow_up_move(c):
    follow_ups.follow_up_move(follow_up=c["follow_up"], due_at=_due(), actor=c["front_desk"])
    return {"actor": c["front_desk"]}, c["patient"].pk


def _follow_up_set_status(c):
    follow_ups.follow_up_set_status(
        follow_up=c["follow_up"], status=FollowUp.Status.CONFIRMED, actor=c["front_desk"]
    )
    return {"actor": c["front_desk"]}, c["patient"].pk


def _follow_up_cancel(c):
    follow_ups.follow_up_cancel(follow_up=c["follow_up"], actor=c["front_desk"])
    return {"actor": c["front_desk"]}, c["patient"].pk


def _booked(c):
    return appointments.appointment_book(
        patient=c["patient"],
        therapist=c["therapist"],
        starts_at=_due(),
        duration_minutes=45,
        actor=c["front_desk"],
    )


def _appointment_book(c):
    _booked(c)
    return {"actor": c["front_desk"]}, c["patient"].pk


def _appointment_move(c):
    appointment = _booked(c)
    later = appointment.starts_at + dt.timedelta(hours=2)
    appointments.appointment_move(appointment=appointment, starts_at=later, actor=c["manager"])
    return {"actor": c["manager"]}, c["patient"].pk


def _appointment_set_status(c):
    appointment = _booked(c)
    appointments.appointment_set_status(
        appointment=appointment, status="cancelled", actor=c["manager"], reason="ill"
    )
    return {"actor": c["manager"]}, c["patient"].pk


def _appointment_confirm(c):
    appointments.appointment_confirm(appointment=_booked(c), actor_label="patient-link")
    return {"actor_label": "patient-link"}, c["patient"].pk


def _appointment_start_session(c):
    appointments.appointment_start_session(appointment=_booked(c), actor=c["therapist"])
    return {"actor": c["therapist"], "object_type": "scheduling.appointment"}, c["patient"].pk


def _appointment_complete(c):
    session = appointments.appointment_start_session(appointment=_booked(c), actor=c["therapist"])
    session_services.session_update(
        session=session,
        user=c["therapist"],
        fields={"subjective": "Neck stiff"},
        pain=[{"source": "pre_session", "region": "neck_back", "side": "right", "score": 6}],
    )
    appointments.appointment_complete(session=session, actor=c["manager"])
    return {"actor": c["manager"]}, c["patient"].pk


def _working_hours_add(c):
    working_hours.working_hours_add(
        clinic=c["clinic"],
        therapist=c["therapist"],
        weekday=0,
        starts=dt.time(9),
        ends=dt.time(17),
        actor=c["manager"],
    )
    return {"actor": c["manager"]}, None


def _hours_exception_add(c):
    day = timezone.localdate() + dt.timedelta(days=3)
    working_hours.hours_exception_add(
        clinic=c["clinic"],
        therapist=c["therapist"],
        first_day=day,
        last_day=day,
        actor=c["manager"],
    )
    return {"actor": c["manager"]}, None


def _working_hours_remove(c):
    _working_hours_add(c)
    row = working_hours.WorkingHours.objects.get()
    working_hours.working_hours_remove(row=row, actor=c["manager"])
    return {"actor": c["manager"], "action": "update"}, None


def _follow_up_reply(c):
    raw = "reply-token-for-the-test"
    from clinic.tokens import token_hash

    Reminder.objects.filter(pk=c["reminder"].pk).update(answer_token_hash=token_hash(raw))
    replies.follow_up_reply(token=raw, confirm=True)
    return {"actor_label": "patient-link"}, c["patient"].pk


def _reminder_resend(c):
    Reminder.objects.filter(pk=c["reminder"].pk).update(status=Reminder.Status.FAILED)
    reminders.reminder_resend(reminder=c["reminder"], actor=c["front_desk"])
    return {"actor": c["front_desk"]}, c["patient"].pk


def _reminder_policy_update(c):
    reminders.reminder_policy_update(clinic=c["clinic"], actor=c["manager"], sms_enabled=False)
    return {"actor": c["manager"]}, None


def _check_in_issue(c):
    check_ins.check_in_issue(session=c["draft"], actor_label="system")
    return {"actor_label": "system"}, c["patient"].pk


def _check_in_complete(c):
    check_in, _raw = check_ins.check_in_issue(session=c["draft"], actor_label="system")
    return _then(
        c,
        lambda: check_ins.check_in_complete(check_in=check_in, pain=[], soreness=2),
        who={"actor_label": "patient-link"},
    )


def _patient_erasure_request(c):
    erasure.patient_erasure_request(patient=c["patient"], user=c["manager"])
    return {"actor": c["manager"]}, c["patient"].pk


def _patients_erase_due(c):
    patient = erasure.patient_erasure_request(patient=c["patient"], user=c["manager"])
    Patient.objects.filter(pk=patient.pk).update(erase_after=timezone.now().date())
    return _then(c, erasure.patients_erase_due, who={"actor_label": "system"})


def _then(c, write, who=None):
    """For a write that needs an earlier one: only rows from `write` itself are checked."""
    c["since"] = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    write()
    return who or {"actor": c["therapist"]}, c["patient"].pk


WRITES = {
    "intake_invite": _intake_invite,
    "intake_step_save": _intake_step_save,
    "intake_submit": _intake_submit,
    "intake_link": _intake_link,
    "intake_red_flags_clear": _intake_red_flags_clear,
    "patients_import": _patients_import,
    "patient_register": _patient_register,
    "patient_update": _patient_update,
    "patient_merge": _patient_merge,
    "session_start": _session_start,
    "session_update": _session_update,
    "session_sign": _session_sign,
    "session_discard": _session_discard,
    "note_requirements_update": _note_requirements_update,
    "soap_template_save": _soap_template_save,
    "soap_template_delete": _soap_template_delete,
    "trigger_point_settings_update": _trigger_point_settings_update,
    "plan_create": _plan_create,
    "plan_update": _plan_update,
    "plan_sign": _plan_sign,
    "plan_revise": _plan_revise,
    "plan_discard": _plan_discard,
    "plan_discharge": _plan_discharge,
    "addendum_add": _addendum_add,
    "follow_up_create": _follow_up_create,
    "follow_up_plan_check_in": _follow_up_plan_check_in,
    "follow_up_move": _follow_up_move,
    "follow_up_set_status": _follow_up_set_status,
    "follow_up_cancel": _follow_up_cancel,
    "follow_up_reply": _follow_up_reply,
    "appointment_book": _appointment_book,
    "appointment_move": _appointment_move,
    "appointment_set_status": _appointment_set_status,
    "appointment_confirm": _appointment_confirm,
    "appointment_start_session": _appointment_start_session,
    "appointment_complete": _appointment_complete,
    "working_hours_add": _working_hours_add,
    "hours_exception_add": _hours_exception_add,
    "working_hours_remove": _working_hours_remove,
    "reminder_resend": _reminder_resend,
    "reminder_policy_update": _reminder_policy_update,
    "check_in_issue": _check_in_issue,
    "check_in_complete": _check_in_complete,
    "patient_erasure_request": _patient_erasure_request,
    "patients_erase_due": _patients_erase_due,
}


def test_every_public_function_of_the_service_modules_is_a_proved_write_or_says_why_not():
    public = {
        name
        for module in map(import_module, MODULES)
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    assert public == set(WRITES) | set(NOT_WRITES)
    assert not set(WRITES) & set(NOT_WRITES)


@pytest.fixture
def cast(clinic_a, therapist, front_desk, manager, patient):
    patient.email, patient.consents_to_email = "pat@example.com", True
    patient.save()
    draft = TreatmentSessionFactory(patient=patient, therapist=therapist, ready_to_sign=True)
    follow_up = FollowUpFactory(patient=patient, created_by=front_desk)
    return {
        "clinic": clinic_a,
        "therapist": therapist,
        "front_desk": front_desk,
        "manager": manager,
        "patient": patient,
        "draft": draft,
        "follow_up": follow_up,
        "reminder": ReminderFactory(follow_up=follow_up),
    }


@pytest.mark.parametrize("name", sorted(WRITES))
def test_each_write_leaves_its_audit_row_naming_who_acted(cast, name):
    cast["since"] = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    who, patient_id = WRITES[name](cast)
    rows = AuditEvent.objects.filter(
        id__gt=cast["since"],
        action__in=["create", "update", "sign", "erase", "merge", "discard"],
        **who,
    )
    assert rows.exists(), f"{name} left no audit row naming {who}"
    if patient_id is not None:
        assert rows.filter(patient_id=patient_id).exists(), f"{name}: not filed under the patient"
    assert all(row.clinic_id == cast["clinic"].pk for row in rows), name


def test_a_write_that_fails_leaves_no_audit_row(cast):
    """The row commits with the write, or not at all."""
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017, PT011 -- any refusal will do
        follow_ups.follow_up_move(
            follow_up=cast["follow_up"], due_at="not a time", actor=cast["front_desk"]
        )
    assert AuditEvent.objects.count() == before
