import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clinic.models import Membership, Role
from interop import fhir
from patients.models import IntakeSubmission, PainScore, Patient
from sessions.models import MobilityMeasurement, Movement, Muscle, TreatmentSession, TriggerPoint
from sessions.services import addendum_add, session_sign
from tests.factories import PainScoreFactory, TreatmentSessionFactory, TriggerPointFactory
from tests.interop.fhir_helpers import empty_elements, parse, references

FHIR_SEEN = "application/fhir+json"


def bundle_url(patient) -> str:
    return reverse("patient_fhir_bundle", args=[patient.pk])


def get_bundle(client, user, patient) -> dict:
    client.force_login(user)
    response = client.get(bundle_url(patient))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == FHIR_SEEN
    return response.json()


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--patients", "6", "--quiet")
    membership = Membership.objects.filter(role=Role.THERAPIST).select_related("user").first()
    patient = (
        Patient.objects.filter(clinic=membership.clinic, sessions__trigger_points__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    return membership.user, patient


def test_the_bundle_of_a_demo_patient_parses_as_fhir_r4_and_its_references_resolve(client, demo):
    user, patient = demo
    data = get_bundle(client, user, patient)

    bundle = parse(data)
    assert bundle.type == "collection"
    full_urls = {entry["fullUrl"] for entry in data["entry"]}
    base = data["entry"][0]["fullUrl"].rsplit("/", 2)[0]
    assert empty_elements(data) == []
    for entry in data["entry"]:
        parse(entry["resource"])  # every resource on its own, too
        for reference in references(entry["resource"]):
            assert f"{base}/{reference}" in full_urls, reference
    types = {entry["resource"]["resourceType"] for entry in data["entry"]}
    assert types == {
        "Organization",
        "Practitioner",
        "Patient",
        "Encounter",
        "Procedure",
        "Observation",
        "QuestionnaireResponse",
        "Goal",
        "CarePlan",
    }


def test_the_organization_carries_the_clinics_address_as_printed(client, demo):
    user, patient = demo
    data = get_bundle(client, user, patient)
    (organization,) = [
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Organization"
    ]
    lines = patient.clinic.address.splitlines()
    assert organization["address"] == [{"text": ", ".join(lines), "line": lines}]
    parse(organization)


def test_a_demo_patient_round_trips_pain_dates_regions_and_trigger_points(client, demo):
    user, patient = demo
    data = get_bundle(client, user, patient)
    resources = [parse(entry["resource"]) for entry in data["entry"]]

    def ext(element, url):
        return next(e for e in element.extension if e.url == url)

    pain = {}
    for r in resources:
        if r.get_resource_type() == "Observation" and r.code.coding[0].code == "72514-3":
            site = r.bodySite
            region = next(c.code for c in site.coding if c.system == fhir.BODY_REGION)
            lat = ext(site, fhir.EXT_LATERALITY).valueCodeableConcept
            side = next(c.code for c in lat.coding if c.system == fhir.SIDE)
            source = next(c.code for c in r.category[1].coding)
            value = r.valueQuantity.value if r.valueQuantity else None
            pain[int(r.id.removeprefix("pain-"))] = (
                r.effectiveDateTime,
                source,
                region,
                side,
                None if value is None else int(value),
            )
    expected = {
        s.pk: (s.recorded_at, s.source, s.region, s.side, s.score)
        for s in PainScore.objects.filter(patient=patient)
    }
    assert pain == expected and len(pain) > 5

    encounters = {
        int(r.id): (r.period.start, r.status)
        for r in resources
        if r.get_resource_type() == "Encounter"
    }
    sessions = TreatmentSession.objects.filter(patient=patient)
    assert encounters == {
        s.pk: (s.started_at, "finished" if s.is_signed else "in-progress") for s in sessions
    }

    points = {}
    for r in resources:
        if r.get_resource_type() == "Procedure":
            sites = []
            for site in r.bodySite or []:
                muscle = next(c.code for c in site.coding if c.system == fhir.MUSCLE)
                lat = ext(site, fhir.EXT_LATERALITY).valueCodeableConcept
                side = next(c.code for c in lat.coding if c.system == fhir.SIDE)
                detail = {e.url: e for e in ext(site, fhir.EXT_TRIGGER_POINT).extension}
                sites.append(
                    (
                        muscle,
                        side,
                        detail["tenderness"].valueInteger,
                        detail["technique"].valueCoding.code,
                    )
                )
            points[int(r.id)] = sites
    expected_points = {s.pk: [] for s in sessions}
    for p in (
        TriggerPoint.objects.filter(session__patient=patient)
        .select_related("muscle")
        .order_by("pk")
    ):
        expected_points[p.session_id].append((p.muscle.slug, p.side, p.tenderness, p.technique))
    assert points == expected_points
    assert sum(len(v) for v in points.values()) > 0


def test_muscles_carry_snomed_codes_only_where_domain_md_gives_one(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    coded = TriggerPointFactory(session=session, side="left")  # upper trapezius: 31764008
    uncoded = TriggerPointFactory(
        session=session, muscle=Muscle.objects.get(slug="piriformis"), side="midline"
    )
    data = get_bundle(client, therapist, patient)
    procedure = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Procedure"
    )
    first, second = procedure["bodySite"]

    def codes(concept, system):
        return [c["code"] for c in concept["coding"] if c["system"] == system]

    def side(site):
        return next(e for e in site["extension"] if e["url"] == fhir.EXT_LATERALITY)[
            "valueCodeableConcept"
        ]

    assert codes(first, fhir.SNOMED) == ["31764008"]
    assert codes(first, fhir.MUSCLE) == [coded.muscle.slug]
    assert codes(side(first), fhir.SNOMED) == ["7771000"]  # left
    assert codes(second, fhir.SNOMED) == []  # no code given for piriformis: text only
    assert second["text"].startswith("Piriformis")
    assert codes(side(second), fhir.SNOMED) == []  # no code given for midline
    assert codes(side(second), fhir.SIDE) == [uncoded.side]


def test_pain_observations_use_loinc_72514_3_and_rom_uses_ucum_degrees(client, demo):
    user, patient = demo
    observations = [
        e["resource"]
        for e in get_bundle(client, user, patient)["entry"]
        if e["resource"]["resourceType"] == "Observation"
    ]
    pain = [o for o in observations if o["id"].startswith("pain-")]
    rom = [o for o in observations if o["id"].startswith("rom-")]
    assert pain and all(o["code"]["coding"][0]["code"] == "72514-3" for o in pain)
    assert all(o["valueQuantity"]["code"] == "{score}" for o in pain)
    assert all(o["category"][0]["coding"][0]["code"] == "vital-signs" for o in pain)
    measured = MobilityMeasurement.objects.filter(patient=patient)
    assert len(rom) == measured.count() > 0
    by_id = {f"rom-{m.pk}": m.degrees for m in measured}
    for o in rom:
        assert o["valueQuantity"]["code"] == "deg" and o["valueQuantity"]["system"] == fhir.UCUM
        assert o["valueQuantity"]["value"] == by_id[o["id"]]


def test_psfs_items_are_observations_with_the_instrument_and_activity(client, demo):
    user, patient = demo
    observations = {
        e["resource"]["id"]: parse(e["resource"])
        for e in get_bundle(client, user, patient)["entry"]
        if e["resource"]["id"].startswith("psfs-")
    }
    scores = patient.functional_scores.all()
    assert len(observations) == scores.count() > 0
    for score in scores:
        observation = observations[f"psfs-{score.pk}"]
        assert observation.valueInteger == score.score
        assert observation.code.coding[0].code == score.instrument
        assert observation.code.text == f"PSFS item {score.item}: {score.activity}"
        assert observation.effectiveDateTime == score.recorded_at


def test_the_intake_is_a_questionnaire_response_to_the_published_questionnaire(client, demo):
    user, patient = demo
    client.force_login(user)
    questionnaire = client.get(reverse("fhir_intake_questionnaire"))
    assert questionnaire.status_code == 200
    assert questionnaire["Content-Type"] == FHIR_SEEN
    published = parse(questionnaire.json())

    responses = [
        e["resource"]
        for e in get_bundle(client, user, patient)["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    intake = IntakeSubmission.objects.get(patient=patient)
    assert len(responses) == 1
    response = parse(responses[0])
    assert response.questionnaire == f"{published.url}|{published.version}"
    texts = {item.linkId: item.text for item in published.item}
    texts |= {sub.linkId: sub.text for item in published.item for sub in item.item or []}
    for item in response.item:  # every answer names its question as the Questionnaire does
        assert item.text == texts[item.linkId]
        for sub in item.item or []:
            assert sub.text == texts[sub.linkId]
    answers = {item.linkId: item for item in response.item}
    assert answers["chief-complaint"].answer[0].valueString == intake.chief_complaint
    assert answers["onset-date"].answer[0].valueDate == intake.onset_date
    psfs = [i for i in response.item if i.linkId == "psfs"]
    assert len(psfs) == patient.functional_scores.filter(source="intake").count() > 0


def test_front_desk_and_strangers_get_404_for_the_bundle(client, patient, front_desk, stranger):
    TriggerPointFactory(session=TreatmentSessionFactory(patient=patient))
    for user in (front_desk, stranger):
        client.force_login(user)
        assert client.get(bundle_url(patient)).status_code == 404
    client.logout()
    assert client.get(bundle_url(patient)).status_code in (401, 403)


def test_a_missing_patient_is_404(client, therapist):
    client.force_login(therapist)
    assert client.get(reverse("patient_fhir_bundle", args=[987654])).status_code == 404


def test_the_bundle_takes_the_same_queries_for_one_session_or_thirty(
    client, therapist, patient, django_assert_max_num_queries
):
    movement = Movement.objects.get(code="cervical-rotation")

    def add_sessions(count):
        start = timezone.now() - dt.timedelta(days=count * 7)
        for i in range(count):
            session = TreatmentSessionFactory(
                patient=patient, therapist=therapist, started_at=start + dt.timedelta(days=7 * i)
            )
            TriggerPointFactory.create_batch(2, session=session)
            PainScoreFactory(patient=patient, session=session, recorded_at=session.started_at)
            MobilityMeasurement.objects.create(
                patient=patient,
                session=session,
                movement=movement,
                side="left",
                degrees=60,
                measured_at=session.started_at,
            )

    client.force_login(therapist)
    add_sessions(1)
    # 5 write the audit row, savepoint included; 3 read the questionnaires (responses, their
    # answers, PSFS totals); 2 the plans of care and their goals
    with django_assert_max_num_queries(21):
        one = client.get(bundle_url(patient)).json()
    add_sessions(29)
    with django_assert_max_num_queries(21):
        thirty = client.get(bundle_url(patient)).json()
    # Encounter, Procedure, pain and ROM Observations for each added session.
    assert len(thirty["entry"]) == len(one["entry"]) + 29 * 4


def test_the_procedure_carries_the_soap_note_and_its_addenda_by_their_authors(
    client, therapist, manager, patient
):
    session = TreatmentSessionFactory(
        patient=patient,
        therapist=therapist,
        objective="Taut band in the right upper trapezius.",
        ready_to_sign=True,
    )
    TriggerPointFactory(session=session)
    session_sign(session=session, user=therapist)
    addendum_add(session=session, author=manager, reason="Wrong side", text="Left side, not right.")

    data = get_bundle(client, therapist, patient)
    parse(data)
    resources = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in data["entry"]}
    assert ("Practitioner", str(manager.pk)) in resources
    procedure = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Procedure"
    )
    notes = [(n.get("authorReference", {}).get("reference"), n["text"]) for n in procedure["note"]]
    assert notes[0] == (
        f"Practitioner/{therapist.pk}",
        "Subjective: Neck stiff after long days at the desk.",
    )
    assert notes[1] == (
        f"Practitioner/{therapist.pk}",
        "Objective: Taut band in the right upper trapezius.",
    )
    assert notes[-1] == (
        f"Practitioner/{manager.pk}",
        "Correction (Wrong side): Left side, not right.",
    )


def test_times_read_back_to_the_microsecond_in_the_clinics_offset(client, therapist, patient):
    score = PainScoreFactory(patient=patient)
    observation = next(
        e["resource"]
        for e in get_bundle(client, therapist, patient)["entry"]
        if e["resource"]["id"] == f"pain-{score.pk}"
    )
    parsed = parse(observation).effectiveDateTime
    assert parsed == score.recorded_at
    assert parsed.utcoffset() == score.recorded_at.astimezone(patient.clinic.zone).utcoffset()


def test_red_flags_travel_as_coded_answers_even_when_a_code_is_no_longer_known(
    client, therapist, patient
):
    now = timezone.now()
    IntakeSubmission.objects.create(
        clinic=patient.clinic,
        patient=patient,
        status=IntakeSubmission.Status.SUBMITTED,
        chief_complaint="Neck pain",
        consent_to_treatment=True,
        signature_name="Pat Example",
        signed_at=now,
        submitted_at=now,
        red_flags=[{"code": "anticoagulants", "details": "Warfarin"}, {"code": "retired-code"}],
    )
    response = next(
        e["resource"]
        for e in get_bundle(client, therapist, patient)["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    parse(response)
    flags = [i["item"] for i in response["item"] if i["linkId"] == "red-flags"]
    first, second = flags
    assert first[0]["answer"][0]["valueCoding"]["code"] == "anticoagulants"
    assert (
        first[0]["answer"][0]["valueCoding"]["display"] == "Anticoagulants or a bleeding disorder"
    )
    assert first[1]["answer"][0]["valueString"] == "Warfarin"
    assert second[0]["answer"][0]["valueCoding"] == {
        "system": fhir.LOCAL + "red-flag",
        "code": "retired-code",
        "display": "retired-code",
    }
