"""An erasure request restricts the record at once: it is out of every routine read (pages, API,
reports, exports, patient links, reminders), done once in `clinic.permissions.visible`. Only the
manager's handling of the request still opens the chart, which then shows the request alone."""

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from clinic.permissions import patient_path, visible
from interop.exports import ndjson, patients_csv, sessions_csv
from scheduling.erasure import patient_erasure_request
from scheduling.models import Reminder
from scheduling.reminders import reminders_claim_due
from tests.clinic import test_access_matrix as matrix
from tests.clinic.test_access_matrix import CALLERS, CLINICAL_MARKERS, MATRIX, _body, _outcome

pytestmark = pytest.mark.django_db
world = matrix.world  # the access matrix's world: a patient with every kind of row

# Route parameters that name the restricted patient or one of their rows (links included).
PATIENT_KEYS = (
    "{patient}",
    "{session}",
    "{follow_up}",
    "{trigger_point}",
    "{pain_score}",
    "{mobility}",
    "{reminder}",
    "{intake}",
    "{intake_token}",
    "{check_in_token}",
    "{reply_token}",
)
# The manager's handling of the request: the chart, and the staff list that leads to it.
HANDLING = {"patient_chart", "patient_list"}


@pytest.fixture
def restricted(world):
    from patients.models import Patient

    manager = world["users"]["manager"]
    patient_erasure_request(patient=Patient.objects.get(pk=world["patient"]), user=manager)
    return world


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_leaves_a_restricted_record_out(client, restricted, caller):
    world = restricted
    if caller != "anonymous":
        client.force_login(world["users"][caller])
    wrong = []
    for name, (method, path, _expected, *data) in sorted(
        MATRIX.items(), key=lambda item: item[0] == "logout"
    ):
        url = path.format(**world)
        response = getattr(client, method)(url, *data)
        got = _outcome(response)
        body = _body(response) if response.status_code == 200 else ""
        handling = caller == "manager" and name in HANDLING
        if any(key in path for key in PATIENT_KEYS) and not handling:
            if got not in ("404", "login", "denied", "403"):
                wrong.append(f"{name} {method.upper()} {url}: answered {got}")
        elif "Example" in body and not handling:  # the restricted patient's last name
            wrong.append(f"{name} {method.upper()} {url}: lists the restricted patient")
        if name in HANDLING and handling:
            leaks = [marker for marker in CLINICAL_MARKERS if marker in body]
            if got != "ok" or leaks:
                wrong.append(f"{name}: the manager's view answered {got}, showing {leaks}")
    assert not wrong, "\n".join(wrong)


def test_the_manager_opens_the_chart_to_see_the_request_and_nothing_clinical(client, restricted):
    client.force_login(restricted["users"]["manager"])
    page = client.get(f"/patients/{restricted['patient']}/").content.decode()
    assert "Restricted record" in page
    assert "Record a session" not in page and "<h2>Follow-ups</h2>" not in page
    assert [marker for marker in CLINICAL_MARKERS if marker in page] == []
    listed = client.get("/patients/").content.decode()
    assert "Example" in listed and "Erasure requested" in listed


def test_api_lists_and_their_filters_hold_no_row_of_a_restricted_record(client, restricted):
    world = restricted
    client.force_login(world["users"]["manager"])
    for url in (
        "/api/v1/intakes/",
        "/api/v1/pain-scores/",
        "/api/v1/sessions/",
        "/api/v1/trigger-points/",
        "/api/v1/mobility/",
        "/api/v1/follow-ups/",
        "/api/v1/reminders/",
    ):
        assert client.get(url).json()["count"] == 0, url
    patients = [row["id"] for row in client.get("/api/v1/patients/").json()["results"]]
    assert patients == [world["erasable"]]
    assert client.get("/api/v1/patients/?search=Example").json()["count"] == 0
    # Named in a filter, the record is as absent as an id that never existed.
    named = client.get(f"/api/v1/pain-scores/?patient={world['patient']}")
    never = client.get("/api/v1/pain-scores/?patient=987654321")
    assert (named.status_code, named.json()) == (never.status_code, never.json())


def test_reports_leave_a_restricted_record_out_of_their_figures(client, world):
    from patients.models import Patient

    manager = world["users"]["manager"]
    client.force_login(manager)

    def figures():
        outcomes = client.get("/api/v1/reports/outcomes/").json()["total"]
        muscles = client.get("/api/v1/reports/trigger-points/").json()
        return outcomes["courses"], sum(row["found"] for row in muscles)

    assert figures() == (1, 1)
    patient_erasure_request(patient=Patient.objects.get(pk=world["patient"]), user=manager)
    assert figures() == (0, 0)


def test_whole_clinic_exports_leave_a_restricted_record_out(restricted):
    from clinic.models import Clinic

    clinic = Clinic.objects.get(slug="harbour")
    patients = "".join(patients_csv(clinic=clinic))
    assert "Example" not in patients and patients.count("\n") == 2  # header and one patient
    assert "".join(sessions_csv(clinic=clinic)).count("\n") == 1  # the header alone
    for resource_type in ("Patient", "Encounter", "Procedure", "Observation"):
        exported = "".join(ndjson(clinic=clinic, resource_type=resource_type))
        assert "Example" not in exported and f"/{restricted['session']}" not in exported


def test_no_reminder_or_check_in_goes_out_to_a_restricted_patient(world):
    from patients.models import Patient

    Reminder.objects.update(status=Reminder.Status.PENDING, send_at=timezone.now())
    patient_erasure_request(
        patient=Patient.objects.get(pk=world["patient"]), user=world["users"]["manager"]
    )
    assert not Reminder.objects.filter(status=Reminder.Status.PENDING).exists()
    assert reminders_claim_due() == 0


def test_every_scoped_model_knows_its_patient(world):
    """`visible` finds the patient of every scoped row; only a clinic's settings have none."""
    from django.apps import apps

    scoped = [model for model in apps.get_models() if hasattr(model, "clinic_lookup")]
    without = {model._meta.label for model in scoped if patient_path(model) is None}
    # A clinic's settings and its book's frame: rooms, therapists' hours, freed time; and its
    # release forecasts, figures over all its points (no patient's row).
    assert without == {
        "treatments.ReleaseForecast",
        "scheduling.FreedSlot",
        "scheduling.ReminderPolicy",
        "scheduling.Room",
        "scheduling.WorkingHours",
        "scheduling.WorkingHoursException",
    }
    manager = world["users"]["manager"]
    for model in scoped:
        visible(manager, model).count()  # every path is a valid lookup


def test_the_erasure_request_itself_is_audited(restricted):
    assert AuditEvent.objects.filter(
        action="update", object_type="patients.patient", patient_id=restricted["patient"]
    ).exists()
