"""Registering and editing patients: one service behind the page and the API, validated per
field, scoped, audited by field name, versioned by the database, with a duplicate warning."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from clinic.models import AuditEvent, RecordVersion
from patients import services
from patients.models import Patient
from patients.selectors import patient_duplicates
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

WALK_IN = {
    "first_name": "José",
    "last_name": "Núñez",
    "date_of_birth": dt.date(1975, 3, 9),
    "phone": "+1 (416) 555-0142",
    "email": "jose@example.com",
    "consents_to_sms": True,
    "preferred_channel": "sms",
    "emergency_contact_name": "Ana Núñez",
    "emergency_contact_phone": "416 555 0199",
    "emergency_contact_relation": "sister",
    "staff_note": "Prefers mornings.",
}


def _register(actor, clinic, confirm=False, **changes):
    return services.patient_register(
        actor=actor, clinic=clinic, details={**WALK_IN, **changes}, confirm_duplicate=confirm
    )


def test_front_desk_registers_a_walk_in_and_the_creation_is_audited(clinic_a, front_desk):
    patient = _register(front_desk, clinic_a)
    assert patient.clinic == clinic_a
    assert (patient.match_name, patient.match_phone) == ("jose nunez", "4165550142")
    event = AuditEvent.objects.get(object_type="patients.patient", object_id=str(patient.pk))
    assert (event.action, event.actor, event.patient_id) == ("create", front_desk, patient.pk)


def test_a_therapist_and_a_stranger_may_not_register(clinic_a, therapist, stranger):
    for user in (therapist, stranger):
        with pytest.raises(PermissionDenied):
            _register(user, clinic_a)
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("born", "message"),
    [
        (dt.date.today() + dt.timedelta(days=2), "in the future"),
        (dt.date(1880, 1, 1), "more than 120 years"),
    ],
)
def test_an_impossible_date_of_birth_is_refused_on_its_field(clinic_a, front_desk, born, message):
    with pytest.raises(ValidationError) as refused:
        _register(front_desk, clinic_a, date_of_birth=born)
    assert message in refused.value.message_dict["date_of_birth"][0]


def test_each_invalid_field_gets_its_own_message(clinic_a, front_desk):
    with pytest.raises(ValidationError) as refused:
        _register(front_desk, clinic_a, first_name="", email="not-an-email", phone="")
    errors = refused.value.message_dict
    assert {"first_name", "email", "phone"} <= set(errors)  # phone: SMS consent needs it


@pytest.mark.parametrize(
    "same",
    [
        {"first_name": "JOSE", "last_name": "nunez ", "phone": "", "email": ""},
        {"first_name": "Other", "phone": "416.555.0142", "email": ""},
        {"first_name": "Other", "phone": "", "email": "Jose@Example.COM"},
    ],
    ids=["name-and-birth-date", "phone-digits", "email-case"],
)
def test_a_possible_duplicate_is_named_until_confirmed(clinic_a, front_desk, same):
    first = _register(front_desk, clinic_a)
    changes = {**same, "consents_to_sms": False, "preferred_channel": ""}
    with pytest.raises(services.PossibleDuplicates) as warned:
        _register(front_desk, clinic_a, **changes)
    assert warned.value.matches == [first]
    second = _register(front_desk, clinic_a, confirm=True, **changes)
    assert Patient.objects.count() == 2 and second.pk != first.pk


def test_a_patient_of_another_clinic_is_no_duplicate(clinic_a, clinic_b, front_desk):
    PatientFactory(
        clinic=clinic_b,
        first_name="José",
        last_name="Núñez",
        date_of_birth=WALK_IN["date_of_birth"],
    )
    assert _register(front_desk, clinic_a).pk


@pytest.mark.postgres
def test_the_duplicate_check_uses_the_match_indexes(clinic_a, front_desk):
    from django.db import connection

    PatientFactory.create_batch(30, clinic=clinic_a)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE patients_patient")
        cursor.execute("SET LOCAL enable_seqscan = off")
    queryset = Patient.objects.filter(clinic=clinic_a, match_email="jose@example.com")
    assert "patient_match_email" in queryset.explain()
    queryset = Patient.objects.filter(
        clinic=clinic_a, match_name="jose nunez", date_of_birth=dt.date(1975, 3, 9)
    )
    assert "patient_match_name" in queryset.explain()


def test_an_edit_is_audited_with_the_changed_field_names_only(clinic_a, front_desk):
    patient = _register(front_desk, clinic_a)
    services.patient_update(
        actor=front_desk, patient=patient, changes={**WALK_IN, "phone": "416 555 0300"}
    )
    event = AuditEvent.objects.get(action="update", object_id=str(patient.pk))
    assert event.fields == "phone"
    assert "0300" not in event.payload()  # names, never values
    patient.refresh_from_db()
    assert patient.match_phone == "4165550300"


def test_an_edit_that_changes_nothing_writes_nothing(clinic_a, front_desk):
    patient = _register(front_desk, clinic_a)
    services.patient_update(actor=front_desk, patient=patient, changes=dict(WALK_IN))
    assert not AuditEvent.objects.filter(action="update").exists()


@pytest.mark.postgres
def test_the_database_keeps_the_record_as_it_was_before_an_edit(clinic_a, front_desk):
    patient = _register(front_desk, clinic_a)
    services.patient_update(actor=front_desk, patient=patient, changes={"phone": "416 555 0300"})
    version = RecordVersion.objects.get(table_name="patients_patient", row_id=patient.pk)
    assert version.old_row["phone"] == WALK_IN["phone"]


def test_an_edit_into_someone_elses_details_warns(clinic_a, front_desk):
    other = PatientFactory(clinic=clinic_a, email="taken@example.com")
    patient = _register(front_desk, clinic_a)
    with pytest.raises(services.PossibleDuplicates) as warned:
        services.patient_update(
            actor=front_desk, patient=patient, changes={"email": "TAKEN@example.com"}
        )
    assert warned.value.matches == [other]


def test_a_therapist_may_not_edit(clinic_a, front_desk, therapist):
    patient = _register(front_desk, clinic_a)
    with pytest.raises(PermissionDenied):
        services.patient_update(actor=therapist, patient=patient, changes={"phone": "1234567"})


def test_only_registration_fields_are_written(clinic_a, front_desk):
    with pytest.raises(ValidationError) as refused:
        _register(front_desk, clinic_a, clinic_id=99)
    assert "clinic_id" in refused.value.message_dict


def test_short_phone_numbers_match_nobody(clinic_a):
    PatientFactory(clinic=clinic_a, phone="12")
    found = patient_duplicates(
        clinic_id=clinic_a.pk, first_name="A", last_name="B", date_of_birth=None, phone="12"
    )
    assert found == []


def test_the_date_of_birth_limit_follows_the_clinics_calendar(clinic_a, front_desk, settings):
    clinic_a.time_zone = "Pacific/Kiritimati"  # UTC+14: its today is often UTC's tomorrow
    clinic_a.save()
    today_there = timezone.localdate(timezone=clinic_a.zone)
    patient = _register(front_desk, clinic_a, date_of_birth=today_there)
    assert patient.date_of_birth == today_there


def test_a_confirmed_twin_is_not_named_again_when_the_phone_is_corrected(clinic_a, front_desk):
    first = _register(front_desk, clinic_a)
    second = _register(front_desk, clinic_a, confirm=True, phone="416 555 0777", email="")
    services.patient_update(actor=front_desk, patient=second, changes={"phone": "416 555 0778"})
    with pytest.raises(services.PossibleDuplicates) as warned:  # but a new coincidence is
        services.patient_update(actor=front_desk, patient=second, changes={"email": first.email})
    assert warned.value.matches == [first]
