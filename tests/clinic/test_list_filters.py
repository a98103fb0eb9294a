"""A list filter that names a row (`?patient=`, `?session=`, `?therapist=`...) answers another
clinic's id exactly as it answers an id that never existed: status and body alike, so no filter
tells which of another clinic's ids exist."""

import datetime as dt

import pytest
from django.utils import timezone
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter, NumberFilter

from clinic.rest import ScopedFilterBackend
from config.api import router
from plans.services import plan_create
from scheduling.models import Room
from tests.factories import (
    AppointmentFactory,
    FollowUpFactory,
    PainScoreFactory,
    ReminderFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
)

pytestmark = pytest.mark.django_db

NEVER = 987_654_321


@pytest.fixture
def foreign(patient_b, stranger):
    """Clinic B's rows, one of each kind a filter can name."""
    session = TreatmentSessionFactory(patient=patient_b, therapist=stranger)
    TriggerPointFactory(session=session)
    PainScoreFactory(patient=patient_b, session=session)
    follow_up = FollowUpFactory(patient=patient_b, session=session)
    ReminderFactory(follow_up=follow_up)
    room = Room.objects.create(clinic=patient_b.clinic, name="Room B")
    appointment = AppointmentFactory(patient=patient_b, therapist=stranger, room=room)
    plan = plan_create(
        patient=patient_b,
        actor=stranger,
        goals=[{"kind": "pain", "region": "lower_back", "side": "both", "target": 2}],
        complaint="Low back pain.",
        regions=["lower_back"],
        sessions_per_week=1,
        weeks=6,
        reassess_on=timezone.localdate() + dt.timedelta(weeks=3),
    )
    return {
        "plan": plan.pk,
        "patient": patient_b.pk,
        "session": session.pk,
        "therapist": stranger.pk,
        "follow_up": follow_up.pk,
        "room": room.pk,
        "appointment": appointment.pk,
    }


def list_endpoints():
    """Every list of the REST API, from the router: a viewset added later is walked too."""
    for prefix, viewset, _basename in router.registry:
        yield f"/api/v1/{prefix}/", viewset


def _filterset_class(view):
    """The list's filters: its own FilterSet, or the one django-filter builds from
    `filterset_fields` (None when the list has no filters)."""
    return ScopedFilterBackend().get_filterset_class(view(), view.queryset)


def _id_filters(filterset_class) -> list[str]:
    """The filters of a list that take a row's id."""
    if filterset_class is None:
        return []
    return [
        name
        for name, filter_ in filterset_class.base_filters.items()
        if isinstance(filter_, ModelChoiceFilter | ModelMultipleChoiceFilter | NumberFilter)
    ]


def test_every_list_endpoint_filters_through_the_scoped_backend():
    for url, view in list_endpoints():
        assert ScopedFilterBackend in view.filter_backends, url


@pytest.mark.parametrize("caller", ["therapist", "front_desk", "manager"])
def test_a_foreign_id_in_any_list_filter_answers_like_an_id_that_never_existed(
    client, foreign, therapist, front_desk, manager, caller
):
    client.force_login(
        {"therapist": therapist, "front_desk": front_desk, "manager": manager}[caller]
    )
    checked, differ = [], []
    for url, view in list_endpoints():
        for name in _id_filters(_filterset_class(view)):
            assert name in foreign, f"{url}?{name}=: add a foreign row of this kind to the test"
            theirs = client.get(f"{url}?{name}={foreign[name]}")
            never = client.get(f"{url}?{name}={NEVER}")
            checked.append(f"{url}?{name}")
            if (theirs.status_code, theirs.content) != (never.status_code, never.content):
                differ.append(
                    f"{url}?{name}: {theirs.status_code} {theirs.content[:120]!r} "
                    f"vs {never.status_code} {never.content[:120]!r}"
                )
    assert len(checked) >= 12
    assert not differ, "\n".join(differ)


def test_report_and_export_parameters_answer_a_foreign_id_like_a_missing_one(
    client, foreign, manager, clinic_b
):
    client.force_login(manager)
    pairs = [
        (
            f"/api/v1/reports/{name}/?therapist={foreign['therapist']}",
            f"/api/v1/reports/{name}/?therapist={NEVER}",
        )
        for name in ("outcomes", "trigger-points", "check-in-curve", "psfs", "rom")
    ] + [
        (
            f"/api/v1/reports/outcomes/?clinic={clinic_b.slug}",
            "/api/v1/reports/outcomes/?clinic=never",
        ),
        (
            f"/api/v1/export/patients.csv?clinic={clinic_b.slug}",
            "/api/v1/export/patients.csv?clinic=never",
        ),
        (
            f"/api/v1/fhir/export/Patient.ndjson?clinic={clinic_b.slug}",
            "/api/v1/fhir/export/Patient.ndjson?clinic=never",
        ),
        (f"/follow-ups/?clinic={clinic_b.slug}", "/follow-ups/?clinic=never"),
        (f"/dashboard/?clinic={clinic_b.slug}", "/dashboard/?clinic=never"),
        (f"/follow-ups/policy/?clinic={clinic_b.slug}", "/follow-ups/policy/?clinic=never"),
        (f"/patients/import/?clinic={clinic_b.slug}", "/patients/import/?clinic=never"),
        (f"/intakes/invite/?clinic={clinic_b.slug}", "/intakes/invite/?clinic=never"),
    ]
    for theirs, never in pairs:
        a, b = client.get(theirs), client.get(never)
        assert a.status_code == b.status_code, theirs
        if a.status_code == 200:
            assert a.json() == b.json(), theirs


def test_a_filter_still_finds_the_callers_own_rows(client, therapist, patient):
    PainScoreFactory(patient=patient)
    client.force_login(therapist)
    assert client.get(f"/api/v1/pain-scores/?patient={patient.pk}").json()["count"] == 1
    assert client.get(f"/api/v1/sessions/?therapist={therapist.pk}").status_code == 200
