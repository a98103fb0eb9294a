"""Questionnaire, QuestionnaireResponse and total Observations for the outcome instruments,
in the patient bundle, validated with fhir.resources' R4B models."""

import pytest
from django.urls import reverse

from outcomes.models import Instrument
from outcomes.services import instrument_load, psfs_rerate, response_record
from patients.models import FunctionalScore
from tests.factories import TreatmentSessionFactory
from tests.interop.fhir_helpers import empty_elements, parse, references
from tests.outcomes.helpers import odi_like

pytestmark = pytest.mark.django_db


def test_the_bundle_carries_each_instrument_its_answers_and_totals(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    ndi = Instrument.objects.get(clinic=None, code="ndi")
    scored = response_record(
        actor=therapist, patient=patient, instrument=ndi, session=session,
        answers={str(n): 2 for n in range(1, 10)},
    )  # fmt: skip
    unscored = response_record(actor=therapist, patient=patient, instrument=ndi, answers={"1": 4})
    odi = instrument_load(
        data={**odi_like(), "loinc": "97909-6"}, clinic=patient.clinic, actor_label="test"
    )
    response_record(
        actor=therapist, patient=patient, instrument=odi, answers={str(n): 1 for n in range(1, 11)}
    )
    FunctionalScore.objects.create(
        patient=patient, recorded_at=session.started_at, source="intake", item=1,
        activity="Driving", score=4,
    )  # fmt: skip
    psfs_rerate(actor=therapist, patient=patient, ratings=[("Driving", 8), ("Lifting", 5)])

    client.force_login(therapist)
    bundle = client.get(reverse("patient_fhir_bundle", args=[patient.pk])).json()
    parse(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    ids = {f"{r['resourceType']}/{r['id']}" for r in resources}
    for resource in resources:
        parse(resource)
        assert empty_elements(resource) == []
        assert set(references(resource)) <= ids
    by_id = {f"{r['resourceType']}/{r['id']}": r for r in resources}

    questionnaire = by_id[f"Questionnaire/instrument-{ndi.pk}"]
    assert (questionnaire["version"], len(questionnaire["item"])) == ("1991", 10)
    assert questionnaire["copyright"].startswith("Shipped.")
    answered = by_id[f"QuestionnaireResponse/instrument-response-{scored.pk}"]
    assert answered["questionnaire"].endswith("Questionnaire/ndi|1991")
    assert len(answered["item"]) == 9
    assert answered["encounter"] == {"reference": f"Encounter/{session.pk}"}
    total = by_id[f"Observation/instrument-total-{scored.pk}"]
    assert total["valueQuantity"]["value"] == 20.0  # 18 over 9 answered, x 10
    assert total["code"]["coding"][0]["code"] == "ndi-1991-total"  # no LOINC code for NDI
    assert total["derivedFrom"] == [
        {"reference": f"QuestionnaireResponse/instrument-response-{scored.pk}"}
    ]
    # Too few answered: the answers travel, no total is invented.
    assert f"QuestionnaireResponse/instrument-response-{unscored.pk}" in ids
    assert f"Observation/instrument-total-{unscored.pk}" not in ids
    odi_total = next(r for r in resources if r["id"].startswith("instrument-total-") and
                     r["code"]["coding"][0].get("system") == "http://loinc.org")  # fmt: skip
    assert (odi_total["code"]["coding"][0]["code"], odi_total["valueQuantity"]["value"]) == (
        "97909-6",
        20.0,  # mean 1 x 20
    )
    psfs_totals = sorted(
        r["valueQuantity"]["value"] for r in resources if r["id"].startswith("total-psfs-")
    )
    assert psfs_totals == [4.0, 6.5]
