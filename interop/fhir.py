"""The clinic's records as FHIR R4 resources (JSON), one pure function per resource.

Each function maps model rows to a resource in FHIR's JSON form. The tests parse every resource
they produce with the `fhir.resources.R4B` models (R4B leaves these resources as in R4); the
functions build plain dicts rather than those models because the bulk export writes about a
million resources for a 10,000-patient clinic, and building and serialising the pydantic models
costs ~1.2 ms a resource against ~0.03 ms for a dict (measured on this machine).

References are relative (`Patient/12`): a bundle gives each entry a RESTful `fullUrl` under one
base, so they resolve inside it, and NDJSON files reference each other the same way (FHIR Bulk
Data). Codes come only from domain.md: LOINC 72514-3 for pain, SNOMED CT laterality and the
muscle codes of the catalogue, UCUM `deg`; anything else is text, or a code of the clinic's own
code systems below (body region, side, muscle, movement, technique, pain source, instrument),
so a receiving system can still read back exactly what was recorded.
"""

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import TextChoices
from django.utils import translation

from clinic.types import User
from patients.models import (
    BodyRegion,
    DurationCategory,
    FunctionalScore,
    IntakeSubmission,
    PainScore,
    PainSource,
    Patient,
    RedFlag,
    Side,
)
from plans.models import DischargeReason, PlanGoal, PlanOfCare
from sessions.models import (
    Addendum,
    MobilityMeasurement,
    Technique,
    TreatmentSession,
    TriggerPoint,
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# The clinic's own code systems, extensions and identifier systems.
LOCAL = "urn:trigger-clinic:fhir:"
BODY_REGION = LOCAL + "body-region"
SIDE = LOCAL + "side"
MUSCLE = LOCAL + "muscle"
MOVEMENT = LOCAL + "movement"
TECHNIQUE = LOCAL + "technique"
PAIN_SOURCE = LOCAL + "pain-source"
INSTRUMENT = LOCAL + "instrument"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
EXT_LATERALITY = LOCAL + "laterality"
EXT_TRIGGER_POINT = LOCAL + "trigger-point"
QUESTIONNAIRE_INTAKE = LOCAL + "Questionnaire/intake"
QUESTIONNAIRE_VERSION = "1"

PAIN_CODE = {
    "coding": [
        {
            "system": LOINC,
            "code": "72514-3",
            "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        }
    ],
    "text": "Pain (0-10 numeric rating)",
}
# SNOMED CT qualifier values for laterality (domain.md); midline has no code given there.
LATERALITY: dict[str, str] = {Side.LEFT: "7771000", Side.RIGHT: "24028007", Side.BOTH: "51440002"}


@lru_cache(maxsize=256)
def label(choices: type[TextChoices], value: str) -> str:
    """A choice's label in the project's language: an export reads the same whoever runs it,
    and a million resources translate each label once. A value the choices no longer know
    (JSON answers outlive code changes) is its own label."""
    if value not in choices.values:
        return str(value)
    with translation.override(settings.LANGUAGE_CODE):
        return str(choices(value).label)


def patient_id_system(clinic_slug: str) -> str:
    return f"{LOCAL}clinic/{clinic_slug}/patient"


def instant(value: dt.datetime, zone: ZoneInfo) -> str:
    """A FHIR dateTime in the clinic's UTC offset, as the clinic read it; fractions of a
    second only when recorded, so the instant reads back exactly."""
    return value.astimezone(zone).isoformat()


def _category(code: str) -> dict:
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}


def laterality(side: str) -> dict:
    """The patient's side as a CodeableConcept: SNOMED CT where domain.md gives a code, and the
    clinic's own code always (midline included)."""
    coding = [{"system": SIDE, "code": side, "display": label(Side, side)}]
    if side in LATERALITY:
        coding.insert(0, {"system": SNOMED, "code": LATERALITY[side]})
    return {"coding": coding, "text": label(Side, side)}


def body_site(*, codings: list[dict], text: str, side: str | None) -> dict:
    site = {"coding": codings, "text": text} if codings else {"text": text}
    if side:
        site["extension"] = [{"url": EXT_LATERALITY, "valueCodeableConcept": laterality(side)}]
    return site


def muscle_site(muscle, side: str) -> dict:
    codings = [{"system": MUSCLE, "code": muscle.slug, "display": muscle.name}]
    if muscle.snomed_code:
        codings.insert(0, {"system": SNOMED, "code": muscle.snomed_code})
    return body_site(codings=codings, text=f"{muscle.name}, {label(Side, side).lower()}", side=side)


def organization(clinic) -> dict:
    resource = {
        "resourceType": "Organization",
        "id": str(clinic.pk),
        "identifier": [{"system": LOCAL + "clinic", "value": clinic.slug}],
        "name": clinic.name,
    }
    lines = [line.strip() for line in clinic.address.splitlines() if line.strip()]
    if lines:  # as printed on the clinic's letterhead
        resource["address"] = [{"text": ", ".join(lines), "line": lines}]
    return resource


def practitioner(user: User) -> dict:
    name: dict = {"text": user.get_full_name() or user.username}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return {"resourceType": "Practitioner", "id": str(user.pk), "name": [name]}


def patient(row: Patient, *, clinic_slug: str) -> dict:
    """Demographics and contact. Clinical content travels in the other resources."""
    resource = {
        "resourceType": "Patient",
        "id": str(row.pk),
        "identifier": [{"system": patient_id_system(clinic_slug), "value": str(row.pk)}],
        "name": [{"family": row.last_name, "given": [row.first_name], "text": row.full_name}],
        "birthDate": row.date_of_birth.isoformat(),
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": row.preferred_language}]
                },
                "preferred": True,
            }
        ],
        "managingOrganization": {"reference": f"Organization/{row.clinic_id}"},
    }
    telecom: list[dict] = []
    if row.phone:
        telecom.append({"system": "phone", "value": row.phone})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    for contact in telecom:
        if contact["system"] == {"sms": "phone", "email": "email"}.get(row.preferred_channel):
            contact["rank"] = 1
    if telecom:
        resource["telecom"] = telecom
    return resource


def pain_observation(row: PainScore, *, zone: ZoneInfo) -> dict:
    """One NPRS rating: LOINC 72514-3 in `{score}`, the region and side as its body site, and
    its source (intake, before/after a session, check-in) as a second category."""
    resource = {
        "resourceType": "Observation",
        "id": f"pain-{row.pk}",
        "status": "final",
        "category": [
            _category("vital-signs"),
            {
                "coding": [
                    {
                        "system": PAIN_SOURCE,
                        "code": row.source,
                        "display": label(PainSource, row.source),
                    }
                ]
            },
        ],
        "code": PAIN_CODE,
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "effectiveDateTime": instant(row.recorded_at, zone),
        # The patient rates their own pain, whoever types the number in.
        "performer": [{"reference": f"Patient/{row.patient_id}"}],
        "bodySite": body_site(
            codings=[
                {
                    "system": BODY_REGION,
                    "code": row.region,
                    "display": label(BodyRegion, row.region),
                }
            ],
            text=label(BodyRegion, row.region),
            side=row.side,
        ),
    }
    if row.session_id:
        resource["encounter"] = {"reference": f"Encounter/{row.session_id}"}
    if row.unable_to_rate:
        # "Unable to rate" is never a number that could be averaged.
        resource["dataAbsentReason"] = {
            "coding": [{"system": DATA_ABSENT_REASON, "code": "asked-unknown"}],
            "text": "Unable to rate",
        }
    else:
        resource["valueQuantity"] = {
            "value": row.score,
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        }
    return resource


def rom_observation(row: MobilityMeasurement, *, zone: ZoneInfo) -> dict:
    """A range-of-motion measurement in degrees, with the movement's normal range."""
    movement = row.movement
    name = f"{movement.joint} {movement.name.lower()}"
    return {
        "resourceType": "Observation",
        "id": f"rom-{row.pk}",
        "status": "final",
        "category": [_category("exam")],
        "code": {
            "coding": [{"system": MOVEMENT, "code": movement.code, "display": name}],
            "text": f"{name} range of motion",
        },
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "encounter": {"reference": f"Encounter/{row.session_id}"},
        "effectiveDateTime": instant(row.measured_at, zone),
        "valueQuantity": {"value": row.degrees, "unit": "deg", "system": UCUM, "code": "deg"},
        "bodySite": body_site(codings=[], text=movement.joint, side=row.side),
        "method": {"text": label(MobilityMeasurement.Method, row.method)},
        "referenceRange": [
            {
                "low": {"value": 0, "unit": "deg", "system": UCUM, "code": "deg"},
                "high": {
                    "value": movement.normal_degrees,
                    "unit": "deg",
                    "system": UCUM,
                    "code": "deg",
                },
                "text": "Typical normal active range (AAOS/AMA)",
            }
        ],
    }


def psfs_observation(row: FunctionalScore, *, zone: ZoneInfo) -> dict:
    """One PSFS item. No LOINC code is known for the PSFS (domain.md), so the instrument is a
    code of the clinic's own and the activity is text; PSFS 2.0 reverses the scale, so the
    instrument travels with every score."""
    resource = {
        "resourceType": "Observation",
        "id": f"psfs-{row.pk}",
        "status": "final",
        "category": [
            _category("survey"),
            {
                "coding": [
                    {
                        "system": PAIN_SOURCE,
                        "code": row.source,
                        "display": label(PainSource, row.source),
                    }
                ]
            },
        ],
        "code": {
            "coding": [
                {
                    "system": INSTRUMENT,
                    "code": row.instrument,
                    "display": label(FunctionalScore.Instrument, row.instrument),
                }
            ],
            "text": f"PSFS item {row.item}: {row.activity}",
        },
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "effectiveDateTime": instant(row.recorded_at, zone),
        "performer": [{"reference": f"Patient/{row.patient_id}"}],
        "valueInteger": row.score,
    }
    if row.session_id:
        resource["encounter"] = {"reference": f"Encounter/{row.session_id}"}
    return resource


def _period(session: TreatmentSession, zone: ZoneInfo) -> dict:
    end = session.started_at + dt.timedelta(minutes=session.duration_minutes)
    return {"start": instant(session.started_at, zone), "end": instant(end, zone)}


def encounter(session: TreatmentSession, *, zone: ZoneInfo) -> dict:
    return {
        "resourceType": "Encounter",
        "id": str(session.pk),
        "status": "finished" if session.is_signed else "in-progress",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": "Neuromuscular massage therapy session"}],
        "subject": {"reference": f"Patient/{session.patient_id}"},
        "participant": [{"individual": {"reference": f"Practitioner/{session.therapist_id}"}}],
        "period": _period(session, zone),
        "length": {
            "value": session.duration_minutes,
            "unit": "min",
            "system": UCUM,
            "code": "min",
        },
    }


def _trigger_point_detail(point: TriggerPoint) -> dict:
    """What was found at the point and what was done to it, as sub-extensions."""
    parts = [
        {"url": "kind", "valueCode": point.kind},
        {
            "url": "technique",
            "valueCoding": {
                "system": TECHNIQUE,
                "code": point.technique,
                "display": label(Technique, point.technique),
            },
        },
        {"url": "repetitions", "valueInteger": point.repetitions},
        {"url": "released", "valueBoolean": point.released},
        {"url": "localTwitchResponse", "valueBoolean": point.local_twitch_response},
        {"url": "chartView", "valueCode": point.chart_view},
        {"url": "x", "valueDecimal": round(point.x, 4)},
        {"url": "y", "valueDecimal": round(point.y, 4)},
    ]
    # A draft's point may wait for its tenderness (signing asks for it).
    if point.tenderness is not None:
        parts.insert(1, {"url": "tenderness", "valueInteger": point.tenderness})
    if point.hold_seconds is not None:
        parts.append({"url": "holdSeconds", "valueInteger": point.hold_seconds})
    if point.pressure is not None:
        parts.append({"url": "pressure", "valueInteger": point.pressure})
    if point.pressure_pain_threshold is not None:
        parts.append(
            {
                "url": "pressurePainThreshold",
                "valueQuantity": {
                    "value": float(point.pressure_pain_threshold),
                    "unit": "kg/cm2",
                    "system": UCUM,
                    "code": "kg/cm2",
                },
            }
        )
    if point.referral_pattern:
        parts.append({"url": "referralPattern", "valueString": point.referral_pattern})
    return {"url": EXT_TRIGGER_POINT, "extension": parts}


def _trigger_point_note(point: TriggerPoint) -> str:
    hold = f", {point.hold_seconds} s" if point.hold_seconds is not None else ""
    pressure = f", pressure {point.pressure}/10" if point.pressure is not None else ""
    tenderness = "not rated" if point.tenderness is None else f"{point.tenderness}/10"
    return (
        f"{point.muscle.name} ({label(Side, point.side)}), {point.kind}, tenderness "
        f"{tenderness}: {label(Technique, point.technique)}{hold} x{point.repetitions}"
        f"{pressure}, {'released' if point.released else 'not released'}"
    )


SOAP = (
    ("subjective", "Subjective"),
    ("objective", "Objective"),
    ("assessment", "Assessment"),
    ("plan", "Plan"),
)


def procedure(
    session: TreatmentSession,
    trigger_points: Iterable[TriggerPoint],
    addenda: Iterable[Addendum] = (),
    *,
    zone: ZoneInfo,
) -> dict:
    """The treatment given in a session: each trigger point is a body site (muscle and side),
    carrying what was found and the technique applied. The notes hold the SOAP note, a line per
    trigger point, then the addenda, each with its author and time (a signed note is never
    rewritten: corrections travel beside it)."""
    points = list(trigger_points)
    therapist = {"reference": f"Practitioner/{session.therapist_id}"}
    written = instant(session.signed_at or session.started_at, zone)
    resource: dict = {
        "resourceType": "Procedure",
        "id": str(session.pk),
        "status": "completed" if session.is_signed else "in-progress",
        "code": {"text": "Neuromuscular massage (trigger-point therapy)"},
        "subject": {"reference": f"Patient/{session.patient_id}"},
        "encounter": {"reference": f"Encounter/{session.pk}"},
        "performedPeriod": _period(session, zone),
        "performer": [{"actor": therapist}],
    }
    notes = [
        {"authorReference": therapist, "time": written, "text": f"{title}: {text}"}
        for name, title in SOAP
        if (text := getattr(session, name))
    ]
    if points:
        sites = []
        for point in points:
            site = muscle_site(point.muscle, point.side)
            site["extension"].append(_trigger_point_detail(point))
            sites.append(site)
        resource["bodySite"] = sites
        notes += [{"text": _trigger_point_note(point)} for point in points]
    notes += [
        {
            "authorReference": {"reference": f"Practitioner/{addendum.author_id}"},
            "time": instant(addendum.created_at, zone),
            "text": f"{label(Addendum.Kind, addendum.kind)} ({addendum.reason}): {addendum.text}",
        }
        for addendum in addenda
    ]
    if notes:
        resource["note"] = notes
    return resource


# The intake as a Questionnaire: the answers every intake records as columns.
PSFS_ACTIVITY = "Activity"
PSFS_SCORE = "How well can you do it? 0 = unable, 10 = as before the problem"
RED_FLAG = "Red flag or caution"
RED_FLAG_DETAILS = "Details"
_INTAKE_ITEMS = [
    ("chief-complaint", "Main complaint", "text"),
    ("onset-date", "When did it start?", "date"),
    ("duration", "How long has it lasted?", "choice"),
    ("red-flags", "Red flags and cautions", "group"),
    ("medications", "Medications", "text"),
    ("takes-anticoagulants", "Do you take anticoagulants (blood thinners)?", "boolean"),
    ("goals", "What would you like to get back to?", "text"),
    ("psfs", "Activities you find hard (PSFS)", "group"),
    ("consent-to-treatment", "I consent to treatment", "boolean"),
    ("consent-to-reminders", "I agree to receive reminders", "boolean"),
    ("signature", "Signature (type your full name)", "string"),
]


def _options(system: str, choices: type[TextChoices]) -> list[dict]:
    return [
        {"valueCoding": {"system": LOCAL + system, "code": value, "display": label(choices, value)}}
        for value in choices.values
    ]


def intake_questionnaire() -> dict:
    """The intake form, published at /api/v1/fhir/Questionnaire/intake."""
    items = []
    for link_id, text, kind in _INTAKE_ITEMS:
        item: dict = {"linkId": link_id, "text": text, "type": kind}
        if kind == "choice":
            item["answerOption"] = _options("duration-category", DurationCategory)
        if link_id == "red-flags":
            item["repeats"] = True
            item["item"] = [
                {
                    "linkId": "red-flags.code",
                    "text": RED_FLAG,
                    "type": "choice",
                    "required": True,
                    "answerOption": _options("red-flag", RedFlag),
                },
                {"linkId": "red-flags.details", "text": RED_FLAG_DETAILS, "type": "text"},
            ]
        if link_id == "psfs":
            item["repeats"] = True
            item["item"] = [
                {
                    "linkId": "psfs.activity",
                    "text": PSFS_ACTIVITY,
                    "type": "string",
                    "required": True,
                },
                {"linkId": "psfs.score", "text": PSFS_SCORE, "type": "integer", "required": True},
            ]
        if link_id in ("consent-to-treatment", "signature"):
            item["required"] = True
        items.append(item)
    return {
        "resourceType": "Questionnaire",
        "id": "intake",
        "url": QUESTIONNAIRE_INTAKE,
        "version": QUESTIONNAIRE_VERSION,
        "name": "Intake",
        "title": "Intake form for neuromuscular massage therapy",
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def _answer(link_id: str, text: str, value: dict) -> dict:
    return {"linkId": link_id, "text": text, "answer": [value]}


def _complaint_answers(intake: IntakeSubmission, texts: dict[str, str]) -> list[dict]:
    """The chief complaint, its onset and how long it has lasted, where the patient said."""
    items = []
    if intake.chief_complaint:
        items.append(
            _answer(
                "chief-complaint", texts["chief-complaint"], {"valueString": intake.chief_complaint}
            )
        )
    if intake.onset_date:
        items.append(
            _answer("onset-date", texts["onset-date"], {"valueDate": intake.onset_date.isoformat()})
        )
    if intake.duration_category:
        coding = {
            "system": LOCAL + "duration-category",
            "code": intake.duration_category,
            "display": label(DurationCategory, intake.duration_category),
        }
        items.append(_answer("duration", texts["duration"], {"valueCoding": coding}))
    return items


def _red_flag_answers(intake: IntakeSubmission, texts: dict[str, str]) -> list[dict]:
    items = []
    for flag in intake.red_flags:
        code = str(flag.get("code") or "")
        if not code:  # FHIR has no empty codes; a flag without one is not a screened flag
            continue
        parts = [
            _answer(
                "red-flags.code",
                RED_FLAG,
                {
                    "valueCoding": {
                        "system": LOCAL + "red-flag",
                        "code": code,
                        "display": label(RedFlag, code),
                    }
                },
            )
        ]
        if flag.get("details"):
            parts.append(
                _answer("red-flags.details", RED_FLAG_DETAILS, {"valueString": flag["details"]})
            )
        items.append({"linkId": "red-flags", "text": texts["red-flags"], "item": parts})
    return items


def _psfs_answers(psfs: Iterable[FunctionalScore], texts: dict[str, str]) -> list[dict]:
    return [
        {
            "linkId": "psfs",
            "text": texts["psfs"],
            "item": [
                _answer("psfs.activity", PSFS_ACTIVITY, {"valueString": score.activity}),
                _answer("psfs.score", PSFS_SCORE, {"valueInteger": score.score}),
            ],
        }
        for score in psfs
    ]


def intake_response(
    intake: IntakeSubmission, psfs: Iterable[FunctionalScore], *, zone: ZoneInfo
) -> dict:
    """A submitted intake as answers to the published Questionnaire. `psfs` are the intake's
    PSFS items (the patient's functional scores with source `intake`)."""
    texts = {link_id: text for link_id, text, _ in _INTAKE_ITEMS}
    items = _complaint_answers(intake, texts)
    items += _red_flag_answers(intake, texts)
    if intake.medications:
        items.append(
            _answer("medications", texts["medications"], {"valueString": intake.medications})
        )
    items.append(
        _answer(
            "takes-anticoagulants",
            texts["takes-anticoagulants"],
            {"valueBoolean": intake.takes_anticoagulants},
        )
    )
    if intake.goals:
        items.append(_answer("goals", texts["goals"], {"valueString": intake.goals}))
    items += _psfs_answers(psfs, texts)
    items += [
        _answer(
            "consent-to-treatment",
            texts["consent-to-treatment"],
            {"valueBoolean": intake.consent_to_treatment},
        ),
        _answer(
            "consent-to-reminders",
            texts["consent-to-reminders"],
            {"valueBoolean": intake.consent_to_reminders},
        ),
    ]
    if intake.signature_name:
        items.append(
            _answer("signature", texts["signature"], {"valueString": intake.signature_name})
        )
    statuses: dict[str, str] = {
        IntakeSubmission.Status.IN_PROGRESS: "in-progress",
        IntakeSubmission.Status.SUBMITTED: "completed",
        IntakeSubmission.Status.REVIEWED: "completed",
    }
    status = statuses[intake.status]
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(intake.pk),
        "questionnaire": f"{QUESTIONNAIRE_INTAKE}|{QUESTIONNAIRE_VERSION}",
        "status": status,
        "subject": {"reference": f"Patient/{intake.patient_id}"},
        "source": {"reference": f"Patient/{intake.patient_id}"},
        "item": items,
    }
    if intake.submitted_at:
        resource["authored"] = instant(intake.submitted_at, zone)
    return resource


# A plan's status as a CarePlan's: a version replaced by a later one is revoked (its
# replacement says `replaces`), a discharged episode is completed.
CARE_PLAN_STATUS = {
    PlanOfCare.Status.DRAFT: "draft",
    PlanOfCare.Status.ACTIVE: "active",
    PlanOfCare.Status.SUPERSEDED: "revoked",
    PlanOfCare.Status.DISCHARGED: "completed",
}
GOAL_LIFECYCLE = {
    PlanOfCare.Status.DRAFT: "proposed",
    PlanOfCare.Status.ACTIVE: "active",
    PlanOfCare.Status.SUPERSEDED: "cancelled",
    PlanOfCare.Status.DISCHARGED: "completed",
}


def _goal_measure(goal: PlanGoal) -> dict:
    """What the goal's target is measured by: LOINC for pain (domain.md), the clinic's own
    codes for a movement, PSFS and the indices (no LOINC code is known for NDI or PSFS)."""
    if goal.kind == PlanGoal.Kind.PAIN:
        return PAIN_CODE
    if goal.kind == PlanGoal.Kind.ROM and goal.movement is not None:
        movement = goal.movement
        name = f"{movement.joint} {movement.name.lower()}"
        return {"coding": [{"system": MOVEMENT, "code": movement.code, "display": name}],
                "text": f"{name} range of motion"}  # fmt: skip
    if goal.kind == PlanGoal.Kind.INSTRUMENT and goal.instrument is not None:
        instrument = goal.instrument
        return {"coding": [{"system": INSTRUMENT, "code": instrument.code,
                            "version": instrument.version, "display": instrument.name_en}],
                "text": f"{instrument.name_en} total"}  # fmt: skip
    return {"coding": [{"system": INSTRUMENT, "code": "psfs", "display": "PSFS"}],
            "text": f"PSFS: {goal.activity}"}  # fmt: skip


def _goal_quantity(goal: PlanGoal) -> dict:
    value = float(goal.target)
    if goal.kind == PlanGoal.Kind.ROM:
        return {"value": value, "unit": "deg", "system": UCUM, "code": "deg"}
    return {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"}


def goal(row: PlanGoal, plan: PlanOfCare, *, zone: ZoneInfo) -> dict:
    """One goal of a plan: its measure and target as a range open on one side ("pain <= 2" is
    a high of 2); achieved or not as the plan's outcome summary recorded it at discharge."""
    bound = "high" if row.comparator == "lte" else "low"
    resource = {
        "resourceType": "Goal",
        "id": f"goal-{row.pk}",
        "lifecycleStatus": GOAL_LIFECYCLE[PlanOfCare.Status(plan.status)],
        "description": {"text": row.label},
        "subject": {"reference": f"Patient/{plan.patient_id}"},
        "startDate": plan.opened_at.astimezone(zone).date().isoformat(),
        "expressedBy": {"reference": f"Practitioner/{plan.therapist_id}"},
        "target": [{"measure": _goal_measure(row), "detailRange": {bound: _goal_quantity(row)}}],
    }
    summary = {entry.get("goal"): entry for entry in plan.outcome_summary or []}
    if row.pk in summary:
        achieved = summary[row.pk].get("met")
        code = "achieved" if achieved else "not-achieved"
        resource["achievementStatus"] = {"coding": [{"system": GOAL_ACHIEVEMENT, "code": code}]}
    elif plan.status == PlanOfCare.Status.ACTIVE:
        resource["achievementStatus"] = {
            "coding": [{"system": GOAL_ACHIEVEMENT, "code": "in-progress"}]
        }
    return resource


def care_plan(plan: PlanOfCare, goals: Iterable[PlanGoal], *, zone: ZoneInfo) -> dict:
    """A plan of care (one version): the complaint, the planned course (sessions a week for so
    many weeks), the re-assessment date, its goals, and the discharge with its reason."""
    period = {"start": instant(plan.opened_at, zone)}
    if plan.discharged_at:
        period["end"] = instant(plan.discharged_at, zone)
    resource = {
        "resourceType": "CarePlan",
        "id": f"careplan-{plan.pk}",
        "status": CARE_PLAN_STATUS[PlanOfCare.Status(plan.status)],
        "intent": "plan",
        "title": f"Plan of care, version {plan.version}",
        "description": plan.complaint,
        "subject": {"reference": f"Patient/{plan.patient_id}"},
        "period": period,
        "created": instant(plan.created_at, zone),
        "author": {"reference": f"Practitioner/{plan.therapist_id}"},
        "goal": [{"reference": f"Goal/goal-{row.pk}"} for row in goals],
        "activity": [
            {
                "detail": {
                    "kind": "ServiceRequest",
                    "code": {"text": "Neuromuscular massage therapy"},
                    "status": "completed" if plan.discharged_at else "in-progress",
                    "scheduledTiming": {
                        "repeat": {
                            "frequency": plan.sessions_per_week,
                            "period": 1,
                            "periodUnit": "wk",
                            "boundsDuration": {"value": plan.weeks, "unit": "wk",
                                               "system": UCUM, "code": "wk"},
                        }
                    },
                }
            },
            {
                "detail": {
                    "kind": "Appointment",
                    "code": {"text": "Re-assessment"},
                    "status": "not-started" if plan.status == "active" else "stopped",
                    "scheduledString": plan.reassess_on.isoformat(),
                }
            },
        ],
    }  # fmt: skip
    notes: list[dict] = []
    if plan.regions:
        regions = ", ".join(label(BodyRegion, code) for code in plan.regions)
        notes.append({"text": f"Body regions: {regions}"})
    if plan.previous_id:
        resource["replaces"] = [{"reference": f"CarePlan/careplan-{plan.previous_id}"}]
    if plan.signed_at:
        notes.append(
            {"text": f"Signed {instant(plan.signed_at, zone)}",
             "authorReference": {"reference": f"Practitioner/{plan.signed_by_id}"}}
        )  # fmt: skip
    if plan.revision_reason:
        notes.append({"text": f"Why this version: {plan.revision_reason}"})
    if plan.discharge_reason:
        text = f"Discharged: {label(DischargeReason, plan.discharge_reason)}"
        if plan.discharge_note:
            text += f". {plan.discharge_note}"
        notes.append({"text": text})
    if notes:
        resource["note"] = notes
    return resource


# -- outcome instruments (issue 16) ---------------------------------------------------------------
# Each instrument version is a Questionnaire (its items and options as loaded, in English, the
# licence decision as its copyright); each response a QuestionnaireResponse and, when its rule
# gave a score, an Observation of the total derived from it. No LOINC code is known for NDI,
# LEFS or PSFS (domain.md): totals carry the clinic's own code (`<code>-<version>-total`), or
# the LOINC code a loaded definition names (`"loinc"`, e.g. ODI 97909-6).
QUESTIONNAIRE_INSTRUMENT = LOCAL + "Questionnaire/"
INSTRUMENT_ANSWER = LOCAL + "instrument-answer"


def instrument_canonical(instrument) -> str:
    return f"{QUESTIONNAIRE_INSTRUMENT}{instrument.code}|{instrument.version}"


def instrument_questionnaire(instrument) -> dict:
    items: list[dict] = [
        {
            "linkId": item["key"],
            "text": item["text"]["en"],
            "type": "choice",
            "answerOption": [
                {
                    "valueCoding": {
                        "system": INSTRUMENT_ANSWER,
                        "code": str(option["value"]),
                        "display": option["text"]["en"],
                    }
                }
                for option in item["options"]
            ],
        }
        for item in instrument.items
    ]
    if instrument.activities is not None:
        items = [
            {
                "linkId": "activities",
                "text": "Activities the patient names",
                "type": "group",
                "repeats": True,
                "item": [
                    {"linkId": "activities.activity", "text": PSFS_ACTIVITY, "type": "string"},
                    {"linkId": "activities.score", "text": PSFS_SCORE, "type": "integer"},
                ],
            }
        ]
    return {
        "resourceType": "Questionnaire",
        "id": f"instrument-{instrument.pk}",
        "url": QUESTIONNAIRE_INSTRUMENT + instrument.code,
        "version": instrument.version,
        "name": instrument.code.replace("-", "_").upper(),
        "title": instrument.name_en,
        "status": "active",
        "subjectType": ["Patient"],
        "copyright": instrument.licence,
        "description": instrument.source,
        "item": items,
    }


def instrument_response(response, *, zone: ZoneInfo) -> dict:
    """One questionnaire as answered, item by item (an item left out is absent)."""
    options = {
        item["key"]: {o["value"]: o["text"]["en"] for o in item["options"]}
        for item in response.instrument.items
    }
    resource: dict = {
        "resourceType": "QuestionnaireResponse",
        "id": f"instrument-response-{response.pk}",
        "questionnaire": instrument_canonical(response.instrument),
        "status": "completed",
        "subject": {"reference": f"Patient/{response.patient_id}"},
        "authored": instant(response.taken_at, zone),
        "source": {"reference": f"Patient/{response.patient_id}"},
    }
    answers = [
        {
            "linkId": answer.item,
            "answer": [
                {
                    "valueCoding": {
                        "system": INSTRUMENT_ANSWER,
                        "code": str(answer.value),
                        "display": options.get(answer.item, {}).get(
                            answer.value, str(answer.value)
                        ),
                    }
                }
            ],
        }
        for answer in response.answers.all()
    ]
    if answers:
        resource["item"] = answers
    if response.session_id:
        resource["encounter"] = {"reference": f"Encounter/{response.session_id}"}
    return resource


def _total_code(code: str, version: str, name: str, loinc: str | None) -> dict:
    coding = [{"system": INSTRUMENT, "code": f"{code}-{version}-total", "display": f"{name} total"}]
    if loinc:
        coding.insert(0, {"system": LOINC, "code": loinc})
    return {"coding": coding, "text": f"{name} ({version}) total score"}


def _total(resource_id: str, *, patient_id: int, taken_at, score, code: dict, zone) -> dict:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [_category("survey")],
        "code": code,
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": instant(taken_at, zone),
        "performer": [{"reference": f"Patient/{patient_id}"}],
        "valueQuantity": {
            "value": float(score),
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
    }


def instrument_total_observation(response, *, zone: ZoneInfo) -> dict | None:
    """The total the instrument's own rule gave; None when too few items were answered."""
    if response.total is None:
        return None
    instrument = response.instrument
    resource = _total(
        f"instrument-total-{response.pk}",
        patient_id=response.patient_id,
        taken_at=response.taken_at,
        score=response.total,
        code=_total_code(
            instrument.code,
            instrument.version,
            instrument.name_en,
            instrument.definition.get("loinc"),
        ),  # fmt: skip
        zone=zone,
    )
    resource["derivedFrom"] = [
        {"reference": f"QuestionnaireResponse/instrument-response-{response.pk}"}
    ]
    if response.session_id:
        resource["encounter"] = {"reference": f"Encounter/{response.session_id}"}
    return resource


def psfs_total_observation(row, *, zone: ZoneInfo) -> dict:
    """A PSFS rating's mean (an `outcomes.selectors.InstrumentScore`): its items are the PSFS
    Observations at the same moment."""
    stamp = int(row.taken_at.timestamp() * 1_000_000)
    return _total(
        f"total-psfs-{row.patient_id}-{stamp}",
        patient_id=row.patient_id,
        taken_at=row.taken_at,
        score=row.score,
        code=_total_code(row.code, row.version, "Patient-Specific Functional Scale", None),
        zone=zone,
    )


def bundle(resources: Iterable[dict], *, base: str, timestamp: dt.datetime, zone: ZoneInfo) -> dict:
    """A `collection` Bundle. Each entry's fullUrl is `<base>/<type>/<id>`, so the relative
    references between the resources resolve inside the bundle."""
    base = base.rstrip("/")
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": instant(timestamp, zone),
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def patient_bundle(record, *, base: str, timestamp: dt.datetime) -> dict:
    """One patient's whole record (an `interop.selectors.PatientRecord`) as a Bundle: the
    clinic, the therapists, the patient, then each session's Encounter, Procedure and
    observations, and the intakes."""
    patient_row = record.patient
    clinic = patient_row.clinic
    zone = clinic.zone
    resources = [
        organization(clinic),
        *(practitioner(user) for user in record.practitioners),
        patient(patient_row, clinic_slug=clinic.slug),
    ]
    for session in record.sessions:
        resources.append(encounter(session, zone=zone))
        resources.append(
            procedure(session, session.trigger_points.all(), session.addenda.all(), zone=zone)
        )
    resources += [pain_observation(score, zone=zone) for score in record.pain_scores]
    resources += [rom_observation(row, zone=zone) for row in record.mobility]
    resources += [psfs_observation(row, zone=zone) for row in record.functional_scores]
    resources += [
        intake_response(intake, record.intake_psfs.get(intake.pk, []), zone=zone)
        for intake in record.intakes
    ]
    for plan in record.plans:
        goals = plan.goals.all()
        resources += [goal(row, plan, zone=zone) for row in goals]
        resources.append(care_plan(plan, goals, zone=zone))
    instruments = {r.instrument_id: r.instrument for r in record.instrument_responses}
    resources += [instrument_questionnaire(i) for i in instruments.values()]
    for response in record.instrument_responses:
        resources.append(instrument_response(response, zone=zone))
        total = instrument_total_observation(response, zone=zone)
        if total is not None:
            resources.append(total)
    resources += [psfs_total_observation(row, zone=zone) for row in record.psfs_totals]
    return bundle(resources, base=base, timestamp=timestamp, zone=zone)
