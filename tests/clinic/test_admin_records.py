"""Django's admin keeps the record's rules: clinical rows are shown, never added, changed or
deleted there, and every admin read or write of patient data is audited, superusers included."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from clinic.models import AuditEvent, RecordVersion
from patients.models import FunctionalScore, IntakeSubmission, PainScore, Patient
from scheduling.models import FollowUp, Reminder
from sessions.models import (
    Addendum,
    CheckIn,
    MobilityMeasurement,
    Movement,
    TreatmentSession,
    TriggerPoint,
)
from sessions.services import session_sign
from tests.factories import (
    AppointmentFactory,
    FollowUpFactory,
    PainScoreFactory,
    ReminderFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Rows of the clinical record and the trail: read-only in the admin, or not registered.
RECORDS = (
    TreatmentSession,
    TriggerPoint,
    PainScore,
    MobilityMeasurement,
    Addendum,
    CheckIn,
    IntakeSubmission,
    FunctionalScore,
    AuditEvent,
    RecordVersion,
    FollowUp,
    Reminder,
)


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def signed(patient, therapist):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    point = TriggerPointFactory(session=session)
    PainScoreFactory(patient=patient, session=session, score=8)
    MobilityMeasurement.objects.create(
        patient=patient,
        session=session,
        movement=Movement.objects.first(),
        side="left",
        degrees=40,
        measured_at=timezone.now(),
    )
    session_sign(session=session, user=therapist)
    Addendum.objects.create(
        session=session, author=therapist, reason="Typo", text="Left, not right."
    )
    ReminderFactory(follow_up=FollowUpFactory(patient=patient, session=session))
    return session, point


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def test_no_clinical_row_can_be_added_changed_or_deleted_in_the_admin_even_by_a_superuser(rf, root):
    request = rf.get("/admin/")
    request.user = root
    for model in RECORDS:
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue  # not registered: nothing to bypass
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert "delete_selected" not in model_admin.get_actions(request), model
        for inline in model_admin.get_inline_instances(request):
            assert not inline.has_add_permission(request, None), (model, inline)
            assert not inline.has_change_permission(request), (model, inline)
            assert not inline.has_delete_permission(request), (model, inline)


def test_saving_a_signed_session_in_the_admin_is_refused_not_a_server_error(client, root, signed):
    session, _point = signed
    client.force_login(root)
    response = client.post(_url(session), {"subjective": "rewritten", "status": "draft"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.is_signed and session.subjective != "rewritten"


def test_the_superuser_attacks_of_the_report_change_nothing(client, root, signed, patient):
    """Delete a trigger point and an addendum of a signed note, change a pain score 8 -> 0,
    bulk-delete range-of-motion rows: each answers 403 and the record stays as it was."""
    session, point = signed
    addendum = session.addenda.get()
    score = PainScore.objects.get(session=session)
    client.force_login(root)
    assert client.post(_url(point, "delete"), {"post": "yes"}).status_code == 403
    assert client.post(_url(addendum, "delete"), {"post": "yes"}).status_code == 403
    assert client.post(_url(score), {"score": 0}).status_code == 403
    rows = MobilityMeasurement.objects.filter(session=session)
    bulk = client.post(
        reverse("admin:treatments_mobilitymeasurement_changelist"),
        {"action": "delete_selected", "_selected_action": [m.pk for m in rows], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    assert TriggerPoint.objects.filter(pk=point.pk).exists()
    assert Addendum.objects.filter(pk=addendum.pk).exists()
    score.refresh_from_db()
    assert score.score == 8
    assert rows.count() == 1


def test_every_admin_list_and_opened_row_of_patient_data_leaves_an_audit_row(
    client, root, signed, patient
):
    session, point = signed
    client.force_login(root)
    opened = [
        patient,
        session,
        point,
        PainScore.objects.get(session=session),
        MobilityMeasurement.objects.get(session=session),
        session.addenda.get(),
        FollowUp.objects.filter(session=session).first(),
        Reminder.objects.first(),
        AppointmentFactory(patient=patient, therapist=session.therapist),
    ]
    silent = []
    for obj in opened:
        for url in (
            reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist"),
            _url(obj),
            _url(obj, "history"),
        ):
            before = AuditEvent.objects.filter(actor=root).count()
            assert client.get(url).status_code == 200, url
            if AuditEvent.objects.filter(actor=root).count() == before:
                silent.append(url)
    assert not silent, f"no audit row for {silent}"
    read = AuditEvent.objects.filter(
        actor=root, action="read", object_type="treatments.treatmentsession"
    ).first()
    assert read.patient_id == patient.pk and read.clinic_id == patient.clinic_id


def test_a_patient_added_or_changed_in_the_admin_is_audited_and_never_deleted(
    client, root, clinic_a
):
    client.force_login(root)
    added = client.post(
        reverse("admin:patients_patient_add"),
        {
            "clinic": clinic_a.pk,
            "first_name": "Ada",
            "last_name": "Admin",
            "date_of_birth": "1970-01-01",
            "preferred_language": "en",
            "activity_profile": "active",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    patient = Patient.objects.get(last_name="Admin")
    created = AuditEvent.objects.get(actor=root, action="create")
    assert (created.patient_id, created.clinic_id) == (patient.pk, clinic_a.pk)

    assert client.post(_url(patient, "delete"), {"post": "yes"}).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_an_erasure_request_is_not_undone_through_a_deletion_in_the_admin(client, root, patient):
    patient.erasure_requested_at = timezone.now()
    patient.erase_after = timezone.localdate() + dt.timedelta(days=3650)
    patient.save()
    client.force_login(root)
    assert client.post(_url(patient, "delete"), {"post": "yes"}).status_code == 403
