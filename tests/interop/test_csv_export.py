import csv
import io

import pytest
from django.core.management import call_command
from django.db.models import Avg
from django.urls import reverse

from clinic.models import Membership, Role
from interop.exports import SESSION_COLUMNS
from patients.imports import PATIENT_COLUMNS, patients_import
from patients.models import PainScore, Patient
from sessions.models import TreatmentSession
from sessions.services import session_discard
from tests.factories import (
    ClinicFactory,
    MembershipFactory,
    PatientFactory,
    TreatmentSessionFactory,
)
from tests.interop.test_bulk_export import export as export_ndjson


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--patients", "6", "--quiet")
    manager = Membership.objects.get(role=Role.MANAGER, user__username="manager")
    return manager.user, manager.clinic


def download(client, table) -> list[dict]:
    response = client.get(reverse("csv_export", args=[table]))
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_patients_csv_holds_the_clinics_patients_in_the_import_columns(client, demo):
    manager, clinic = demo
    client.force_login(manager)
    rows = download(client, "patients")
    assert list(rows[0]) == ["id", *PATIENT_COLUMNS]
    patients = Patient.objects.filter(clinic=clinic)
    assert {int(r["id"]) for r in rows} == set(patients.values_list("pk", flat=True))
    first = patients.get(pk=rows[0]["id"])
    assert rows[0]["date_of_birth"] == first.date_of_birth.isoformat()
    assert rows[0]["last_name"] == first.last_name


def test_an_exported_patients_csv_imports_into_another_clinic_once(client, demo):
    manager, clinic = demo
    client.force_login(manager)
    response = client.get(reverse("csv_export", args=["patients"]))
    text = b"".join(response.streaming_content).decode()
    elsewhere = ClinicFactory()

    report = patients_import(clinic=elsewhere, text=text, dry_run=False, actor_label="test")
    assert report.ok, [(r.line, r.errors) for r in report.rows if r.errors]
    assert report.created == Patient.objects.filter(clinic=clinic).count()
    assert (
        patients_import(clinic=elsewhere, text=text, dry_run=False, actor_label="test").created == 0
    )


def test_a_formula_in_a_cell_is_kept_as_text_and_imports_back_unchanged(client, manager, clinic_a):
    PatientFactory(clinic=clinic_a, first_name="=HYPERLINK(1)", last_name="Example")
    client.force_login(manager)
    rows = download(client, "patients")
    assert rows[0]["first_name"] == "'=HYPERLINK(1)"
    text = "first_name,last_name,date_of_birth\n'=HYPERLINK(1),Example,1980-05-17\n"
    report = patients_import(clinic=clinic_a, text=text, dry_run=True, actor_label="test")
    assert report.count("existing") == 1


def test_the_sessions_csv_has_one_row_per_session_with_mean_pain_from_the_database(
    client, demo, django_assert_max_num_queries
):
    manager, clinic = demo
    client.force_login(manager)
    with django_assert_max_num_queries(11):  # 5 write the audit row, savepoint included
        rows = download(client, "sessions")
    assert list(rows[0]) == SESSION_COLUMNS
    sessions = TreatmentSession.objects.filter(patient__clinic=clinic)
    assert len(rows) == sessions.count() > 0
    for row in rows[:10]:
        session = sessions.get(pk=row["id"])
        before = PainScore.objects.filter(session=session, source="pre_session").aggregate(
            mean=Avg("score")
        )["mean"]
        assert row["pain_before"] == ("" if before is None else str(round(before, 1)))
        assert int(row["trigger_points"]) == session.trigger_points.count()
        assert row["subjective"] == session.subjective


def test_only_managers_download_csv_exports(client, therapist, front_desk, stranger, patient):
    for user in (therapist, front_desk, stranger):
        client.force_login(user)
        for table in ("patients", "sessions"):
            assert client.get(reverse("csv_export", args=[table])).status_code == 404


def test_the_command_writes_the_csv(demo, tmp_path, monkeypatch):
    _, clinic = demo
    monkeypatch.setattr("interop.exports.PATIENTS_PER_CHUNK", 2)  # cross chunk boundaries
    path = tmp_path / "sessions.csv"
    call_command("export_csv", "sessions", "--clinic", clinic.slug, "--output", str(path))
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == TreatmentSession.objects.filter(patient__clinic=clinic).count()


def test_a_discarded_draft_is_in_no_export_and_makes_nobody_a_practitioner(
    client, manager, therapist, clinic_a, patient
):
    kept = TreatmentSessionFactory(patient=patient, therapist=therapist)
    # A colleague started a draft by mistake and discarded it: no encounter took place.
    colleague = MembershipFactory(clinic=clinic_a, role=Role.THERAPIST).user
    mistake = TreatmentSessionFactory(patient=patient, therapist=colleague)
    session_discard(session=mistake, user=colleague)
    Membership.objects.filter(user=colleague).delete()  # and has since left the clinic
    client.force_login(manager)

    assert [int(row["id"]) for row in download(client, "sessions")] == [kept.pk]
    encounters = export_ndjson(client, "Encounter")
    assert [e["id"] for e in encounters] == [str(kept.pk)]
    practitioners = {p["id"] for p in export_ndjson(client, "Practitioner")}
    assert str(therapist.pk) in practitioners and str(colleague.pk) not in practitioners
    client.force_login(therapist)
    bundle = client.get(reverse("patient_fhir_bundle", args=[patient.pk])).json()
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds.count("Encounter") == 1
