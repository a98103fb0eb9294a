import io

import pytest
from django.core.management import CommandError, call_command

from patients.imports import patients_import
from patients.models import Patient
from tests.factories import PatientFactory

HEADER = "first_name,last_name,date_of_birth,email,phone,consents_to_email,activity_profile\n"
CLEAN = HEADER + (
    "Ana,Silva,1975-03-02,ana@example.com,+1 416 555 0101,yes,athlete\n"
    "Ben,Okafor,1990-11-23,,,no,\n"
    "Chloé,Martin,1962-07-30,chloe@example.com,,,sedentary\n"
)
BAD = HEADER + (
    "Ana,Silva,1975-03-02,ana@example.com,,yes,athlete\n"
    ",Okafor,1990-11-23,,,no,\n"  # missing first name
    "Chloé,Martin,1962-02-30,,,,\n"  # impossible date
    "ana , SILVA,1975-03-02,,,,\n"  # the first row again
    "Dan,Ng,1980-01-01,not-an-email,,maybe,couch\n"
)


def test_a_dry_run_of_a_file_with_bad_rows_imports_nothing_and_says_what_is_wrong_per_row(
    clinic_a,
):
    report = patients_import(clinic=clinic_a, text=BAD, dry_run=True, actor_label="test")

    assert not report.ok
    assert not Patient.objects.exists()
    problems = {row.line: row.errors for row in report.rows}
    assert problems[2] == []
    assert problems[3] == ["first_name: This field is required."]
    assert problems[4] == [
        "date_of_birth: “1962-02-30” value has the correct format (YYYY-MM-DD) "
        "but it is an invalid date."
    ]
    assert problems[5] == ["Same name and date of birth as line 2."]
    assert sorted(e.split(":")[0] for e in problems[6]) == [
        "activity_profile",
        "consents_to_email",
        "email",
    ]


def test_dates_in_another_format_or_the_future_are_refused_with_the_reason(clinic_a):
    text = HEADER + "Ana,Silva,17/05/1980,,,,\nBen,Okafor,2990-01-01,,,,\n"
    rows = patients_import(clinic=clinic_a, text=text, dry_run=True, actor_label="test").rows
    assert rows[0].errors == [
        "date_of_birth: “17/05/1980” value has an invalid date format. "
        "It must be in YYYY-MM-DD format."
    ]
    assert rows[1].errors == ["date_of_birth: The date of birth is in the future."]


def test_an_import_with_any_bad_row_writes_nobody(clinic_a):
    report = patients_import(clinic=clinic_a, text=BAD, dry_run=False, actor_label="test")
    assert not report.ok and report.created == 0
    assert not Patient.objects.exists()


def test_a_clean_file_imports_and_a_second_import_does_not_duplicate(clinic_a):
    dry = patients_import(clinic=clinic_a, text=CLEAN, dry_run=True, actor_label="test")
    assert dry.ok and dry.count("new") == 3 and not Patient.objects.exists()

    first = patients_import(clinic=clinic_a, text=CLEAN, dry_run=False, actor_label="test")
    assert first.created == 3
    ana = Patient.objects.get(last_name="Silva")
    assert (ana.clinic, str(ana.date_of_birth), ana.consents_to_email, ana.activity_profile) == (
        clinic_a,
        "1975-03-02",
        True,
        "athlete",
    )
    assert Patient.objects.get(first_name="Ben").activity_profile == "active"  # the default

    second = patients_import(clinic=clinic_a, text=CLEAN, dry_run=False, actor_label="test")
    assert second.ok and second.created == 0 and second.count("existing") == 3
    assert Patient.objects.filter(clinic=clinic_a).count() == 3


def test_a_patient_of_another_clinic_with_the_same_name_is_a_new_patient_here(clinic_a, clinic_b):
    PatientFactory(clinic=clinic_b, first_name="Ana", last_name="Silva", date_of_birth="1975-03-02")
    report = patients_import(clinic=clinic_a, text=CLEAN, dry_run=False, actor_label="test")
    assert report.created == 3


def test_a_file_without_the_required_columns_is_refused_whole(clinic_a):
    report = patients_import(
        clinic=clinic_a, text="name,dob\nAna Silva,1975-03-02\n", dry_run=True, actor_label="test"
    )
    assert report.file_errors == ["Columns missing from the first line: first_name, last_name."]


def test_semicolons_and_header_aliases_from_spreadsheets_are_read(clinic_a):
    text = "First name;Surname;DOB;Notes\nAna;Silva;1975-03-02;VIP\n"
    report = patients_import(clinic=clinic_a, text=text, dry_run=False, actor_label="test")
    assert report.created == 1 and report.ignored_columns == ["notes"]


def test_the_command_dry_runs_then_imports(clinic_a, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(BAD)
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_patients", str(path), "--clinic", "harbour", "--dry-run",
                     stdout=io.StringIO(), stderr=(err := io.StringIO()))  # fmt: skip
    assert "line 3: first_name: This field is required." in err.getvalue()

    path.write_text(CLEAN)
    out = io.StringIO()
    call_command("import_patients", str(path), "--clinic", "harbour", "--dry-run", stdout=out)
    assert "3 new" in out.getvalue() and not Patient.objects.exists()
    call_command("import_patients", str(path), "--clinic", "harbour", stdout=out)
    call_command("import_patients", str(path), "--clinic", "harbour", stdout=out)
    assert Patient.objects.count() == 3


def test_an_unreadable_or_empty_file_is_refused_with_a_reason(clinic_a):
    huge_cell = "first_name,last_name,date_of_birth\n" + "x" * 200_000 + ",B,1980-01-01\n"
    unreadable = patients_import(clinic=clinic_a, text=huge_cell, dry_run=True, actor_label="test")
    assert unreadable.file_errors[0].startswith("This is not a readable CSV file")
    assert patients_import(
        clinic=clinic_a, text="", dry_run=True, actor_label="test"
    ).file_errors == ["The file is empty."]
