"""Plans of care in FHIR: a CarePlan per version and a Goal per goal, in the patient bundle and
the bulk export, valid R4 (fhir.resources R4B models) with references that resolve."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes.models import Instrument
from plans.services import plan_discharge, plan_revise, plan_sign
from sessions.models import Movement
from tests.factories import PainScoreFactory
from tests.interop.fhir_helpers import empty_elements, parse, references
from tests.plans.helpers import PAIN_GOAL, signed_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(patient, therapist):
    """An episode replaced once: version 1 superseded, version 2 discharged with its outcome
    summary; goals of every kind."""
    PainScoreFactory(
        patient=patient,
        region="lower_back",
        side="both",
        score=7,
        source="intake",
        recorded_at=timezone.now() - dt.timedelta(days=1),
    )
    goals = [
        PAIN_GOAL,
        {
            "kind": "rom",
            "movement": Movement.objects.get(code="lumbar-flexion"),
            "side": "midline",
            "target": 50,
        },
        {"kind": "psfs", "activity": "Putting on socks", "target": 7},
        {
            "kind": "instrument",
            "target": 10,
            "instrument": Instrument.objects.get(code="ndi", clinic__isnull=True),
        },
    ]
    first = signed_plan(patient=patient, therapist=therapist, goals=goals)
    second = plan_sign(
        plan=plan_revise(plan=first, actor=therapist, reason="Longer course"), actor=therapist
    )
    PainScoreFactory(
        patient=patient,
        region="lower_back",
        side="both",
        score=2,
        source="check_in",
        recorded_at=timezone.now(),
    )
    plan_discharge(plan=second, actor=therapist, reason="goals_met", note="Driving again")
    return first, second


def test_the_bundle_holds_valid_care_plans_and_goals(client, therapist, patient, plans):
    first, second = plans
    client.force_login(therapist)
    data = client.get(reverse("patient_fhir_bundle", args=[patient.pk])).json()
    assert empty_elements(data) == []
    parse(data)
    by_id = {e["resource"]["id"]: e["resource"] for e in data["entry"]}
    base = data["entry"][0]["fullUrl"].rsplit("/", 2)[0]
    urls = {entry["fullUrl"] for entry in data["entry"]}
    for entry in data["entry"]:
        parse(entry["resource"])
        for reference in references(entry["resource"]):
            assert f"{base}/{reference}" in urls, reference
    old, new = by_id[f"careplan-{first.pk}"], by_id[f"careplan-{second.pk}"]
    assert (old["status"], new["status"]) == ("revoked", "completed")
    assert new["replaces"] == [{"reference": f"CarePlan/careplan-{first.pk}"}]
    assert new["activity"][0]["detail"]["scheduledTiming"]["repeat"]["frequency"] == 1
    assert any("Goals met" in note["text"] for note in new["note"])
    pain, rom, psfs, ndi = (by_id[g["reference"].split("/")[1]] for g in new["goal"])
    assert pain["target"][0]["measure"]["coding"][0]["code"] == "72514-3"
    assert pain["target"][0]["detailRange"]["high"]["value"] == 2
    assert rom["target"][0]["detailRange"]["low"]["unit"] == "deg"
    assert ndi["target"][0]["detailRange"]["high"]["value"] == 10
    assert pain["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert psfs["achievementStatus"]["coding"][0]["code"] == "not-achieved"


def test_the_bulk_export_writes_goals_and_care_plans(client, manager, patient, plans):
    client.force_login(manager)
    written = {}
    for resource_type in ("Goal", "CarePlan"):
        response = client.get(f"/api/v1/fhir/export/{resource_type}.ndjson")
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
        written[resource_type] = [parse_line(line) for line in body.splitlines()]
    assert len(written["CarePlan"]) == 2
    assert len(written["Goal"]) == 8  # four goals in each version


def parse_line(line: str):
    resource = json.loads(line)
    assert empty_elements(resource) == []
    return parse(resource)
