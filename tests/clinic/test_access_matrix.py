"""Every route, as every kind of caller: allowed, 404, 403, or sent to sign in.

The matrix lists each named route once. A route added without a row here fails
`test_every_route_is_in_the_matrix`, so nobody ships a page or endpoint whose access was never
decided. Expectations per caller, in the order of CALLERS:
  ok      reached the view (2xx, 3xx other than sign-in, or 400 for an empty form)
  login   sent to the sign-in page (pages) — anonymous callers and patients holding a link
  denied  401 or 403 (API)
  404     absent: another clinic's row, or clinical content for front desk
  403     the role may not do this in its own clinic
"""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from clinic.api_tokens import api_token_issue
from clinic.models import AuditEvent, Role
from clinic.tokens import token_new
from outcomes.models import Instrument, QuestionnaireRequest
from patients.models import IntakeInvitation, IntakeSubmission
from plans.services import plan_create, plan_sign
from scheduling.models import FreedSlot, Reminder, WaitlistEntry, WaitlistOffer
from sessions.check_ins import check_in_issue
from sessions.models import MobilityMeasurement, Movement, Muscle, SoapTemplate
from tests.factories import (
    AppointmentFactory,
    FollowUpFactory,
    MembershipFactory,
    PainScoreFactory,
    PatientFactory,
    TreatmentSessionFactory,
    TriggerPointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CALLERS = ("anonymous", "therapist", "front_desk", "manager", "stranger")
ALL_OK = ("ok",) * 5
STAFF = ("login", "ok", "ok", "ok", "ok")  # any staff member, in their own clinic
CLINIC_A = ("login", "ok", "ok", "ok", "404")  # a row of clinic A, for any of its staff
CLINICAL_A = ("login", "ok", "404", "ok", "404")  # clinical content of clinic A
API_CLINICAL_A = ("denied", "ok", "403", "ok", "404")  # front desk: the role, not the row
API_A = ("denied", "ok", "ok", "ok", "404")
API_CLINICAL = ("denied", "ok", "403", "ok", "ok")  # a list: clinical roles, own clinic only
API_MANAGER = ("denied", "403", "403", "ok", "403")


@pytest.fixture
def world(clinic_a, therapist, front_desk, manager, stranger, patient):
    session = TreatmentSessionFactory(
        patient=patient, therapist=therapist, **{field: f"{field}-marker" for field in SOAP}
    )
    trigger_point = TriggerPointFactory(session=session)
    pain_score = PainScoreFactory(patient=patient, session=session)
    mobility = MobilityMeasurement.objects.create(
        patient=patient,
        session=session,
        movement=Movement.objects.first(),
        side="left",
        degrees=40,
        measured_at=timezone.now(),
    )
    follow_up = FollowUpFactory(patient=patient, session=session)
    reply_raw, reply_hash = token_new()
    appointment = AppointmentFactory(patient=patient, therapist=therapist)
    reminder = Reminder.objects.create(
        follow_up=follow_up,
        patient=patient,
        channel="email",
        kind="before_48h",
        send_at=timezone.now(),
        status="failed",
        answer_token_hash=reply_hash,
    )
    entry = WaitlistEntry.objects.create(
        clinic=clinic_a, patient=patient, until=timezone.localdate() + dt.timedelta(days=9)
    )
    slot = FreedSlot.objects.create(
        clinic=clinic_a,
        therapist=therapist,
        starts_at=timezone.now() + dt.timedelta(days=2),
        ends_at=timezone.now() + dt.timedelta(days=2, minutes=45),
    )
    offer = WaitlistOffer.objects.create(
        slot=slot, entry=entry, expires_at=timezone.now() + dt.timedelta(hours=2)
    )
    offer_raw, offer_hash = token_new()
    offer_reminder = Reminder.objects.create(
        patient=patient,
        offer=offer,
        channel="email",
        kind="slot_offer",
        send_at=timezone.now(),
        answer_token_hash=offer_hash,
    )
    intake_raw, intake_hash = token_new()
    now = timezone.now()
    invitation = IntakeInvitation.objects.create(
        clinic=clinic_a,
        patient=patient,
        email=patient.email,
        token_hash=intake_hash,
        created_by=front_desk,
        expires_at=now + dt.timedelta(days=14),
    )
    intake = IntakeSubmission.objects.create(
        clinic=clinic_a,
        patient=patient,
        status="submitted",
        submitted_at=now,
        consent_to_treatment=True,
        signed_at=now,
        signature_name="Pat Example",
        red_flags=[{"code": "osteoporosis", "details": "red-flag-details-marker"}],
        chief_complaint="complaint-marker",
        medications="medications-marker",
        goals="goals-marker",
    )
    _, check_in_raw = check_in_issue(session=session, actor_label="system")
    questionnaire_raw, questionnaire_hash = token_new()
    QuestionnaireRequest.objects.create(
        patient=patient,
        instrument=Instrument.objects.get(clinic=None, code="ndi"),
        occasion="interval",
        token_hash=questionnaire_hash,
        expires_at=now + dt.timedelta(days=7),
    )
    token, _ = api_token_issue(user=therapist)
    # The erasure request restricts its patient from every later route: another patient's.
    erasable = PatientFactory(
        clinic=clinic_a, first_name="Eve", last_name="Erasable", email="eve@clinic.test"
    )
    template = SoapTemplate.objects.create(clinic=clinic_a, name="Neck", plan="Weekly.")
    # A signed plan of care: every POST below without data is refused or asks again, unchanged.
    plan = plan_sign(
        plan=plan_create(
            patient=patient,
            actor=therapist,
            goals=[{"kind": "pain", "region": "lower_back", "side": "both", "target": 2}],
            complaint="Low back pain after long drives.",
            regions=["lower_back"],
            sessions_per_week=1,
            weeks=6,
            reassess_on=timezone.localdate() + dt.timedelta(weeks=3),
        ),
        actor=therapist,
    )
    return {
        "plan": plan.pk,
        "plan_goal": plan.goals.get().pk,
        "muscle": Muscle.objects.order_by("name").first().slug,
        "patient": patient.pk,
        "erasable": erasable.pk,
        "soap_template": template.pk,
        "session": session.pk,
        "follow_up": follow_up.pk,
        "appointment": appointment.pk,
        "trigger_point": trigger_point.pk,
        "pain_score": pain_score.pk,
        "mobility": mobility.pk,
        "reminder": reminder.pk,
        "intake": intake.pk,
        "invitation": invitation.pk,
        "api_token": token.pk,
        "therapist_id": therapist.pk,
        "intake_token": intake_raw,
        "check_in_token": check_in_raw,
        "questionnaire_token": questionnaire_raw,
        "reply_token": reply_raw,
        "waitlist_entry": entry.pk,
        "offer_reminder": offer_reminder.pk,
        "offer_token": offer_raw,
        "users": {
            "therapist": therapist,
            "front_desk": front_desk,
            "manager": manager,
            "stranger": stranger,
        },
    }


SOAP = ("subjective", "objective", "assessment", "plan")
# What a page shows only to clinical roles: the world's SOAP text, red flag (label, details,
# the home page's badge), trigger-point muscle, intake answers, and the keys of clinical JSON.
CLINICAL_MARKERS = (
    *(f"{field}-marker" for field in SOAP),
    "Osteoporosis",
    "red-flag-details-marker",
    "Red flag</span>",
    "Upper trapezius",
    "complaint-marker",
    "medications-marker",
    "goals-marker",
    '"tenderness"',
    '"score"',
    '"subjective"',
    '"red_flags"',
)

# name: (method, path built from the world, expectations per caller[, form data])
MATRIX = {
    "home": ("get", "/", STAFF),
    "healthz": ("get", "/healthz", ALL_OK),
    "login": ("get", "/accounts/login/", ALL_OK),
    "logout": ("post", "/accounts/logout/", ("login",) * 5),  # signs out, then sign-in page
    "keepalive": ("post", "/accounts/keepalive", ("login", "ok", "ok", "ok", "ok")),
    "second_factor": ("get", "/accounts/second-factor/", STAFF),
    "audit_report": ("get", "/audit/", ("login", "404", "404", "ok", "404")),
    "sign_in_unlock": (  # a manager, for the staff of their own clinic
        "post", "/audit/unlock/{therapist_id}/", ("login", "404", "404", "ok", "404"),
    ),
    "api_tokens": ("get", "/tokens/", STAFF),  # each sees their own tokens only
    "api_token_revoke": (  # the token's owner only
        "post", "/tokens/{api_token}/revoke", ("login", "ok", "404", "404", "404"),
    ),
    "api_tokens_revoke_all": ("post", "/tokens/revoke-all", STAFF),
    "patient_list": ("get", "/patients/", STAFF),
    "patient_import": ("get", "/patients/import/", ("login", "403", "ok", "ok", "403")),
    "patient_chart": ("get", "/patients/{patient}/", CLINIC_A),
    "patient_new": ("get", "/patients/new/", ("login", "403", "ok", "ok", "403")),
    "patient_edit": ("get", "/patients/{patient}/edit/", ("login", "403", "ok", "ok", "404")),
    "patient_merge": ("get", "/patients/{patient}/merge/", ("login", "403", "403", "ok", "404")),
    "patient_intake_link": ("post", "/patients/{patient}/intake-link/", CLINIC_A),
    "patient_erasure": (
        "post", "/patients/{erasable}/erasure", ("login", "404", "404", "ok", "404"),
    ),
    "intake_thanks": ("get", "/intake/thanks/", ALL_OK),
    "intake": ("get", "/intake/{intake_token}/", ALL_OK),
    "intake_queue": ("get", "/intakes/", STAFF),
    "intake_invite": ("get", "/intakes/invite/", STAFF),
    "intake_review": ("get", "/intakes/{intake}/", CLINIC_A),
    "intake_red_flags_clear": (
        "post", "/intakes/{intake}/clear-red-flags/", ("login", "ok", "404", "403", "404"),
        {"note": "Discussed with the patient's physician."},
    ),
    "session_new": ("get", "/sessions/new/?patient={patient}", CLINICAL_A),
    "session_detail": ("get", "/sessions/{session}/", CLINICAL_A),
    "session_draft": ("post", "/sessions/{session}/draft", ("login", "ok", "404", "403", "404")),
    "session_history": ("get", "/sessions/{session}/history", CLINICAL_A),
    "session_print": ("get", "/sessions/{session}/print", CLINICAL_A),
    "session_sign": ("post", "/sessions/{session}/sign", CLINICAL_A),
    "session_discard": (
        "post", "/sessions/{session}/discard", ("login", "ok", "404", "403", "404"),
    ),
    "addendum_create": ("post", "/sessions/{session}/addenda", CLINICAL_A),
    "follow_up_plan": ("post", "/sessions/{session}/follow-up", CLINICAL_A),
    "check_in_thanks": ("get", "/check-in/thanks/", ALL_OK),
    "check_in": ("get", "/check-in/{check_in_token}/", ALL_OK),
    "session_outcomes": ("get", "/sessions/{session}/outcomes/", CLINICAL_A),
    "questionnaire_send": ("post", "/sessions/{session}/outcomes/send", CLINICAL_A),
    "questionnaire_thanks": ("get", "/questionnaire/thanks/", ALL_OK),
    "questionnaire": ("get", "/questionnaire/{questionnaire_token}/", ALL_OK),
    "book_day": ("get", "/book/", STAFF),
    "book_week": ("get", "/book/week/", STAFF),
    "working_hours": ("get", "/book/hours/", ("login", "403", "403", "ok", "403")),
    "appointment_new": ("get", "/appointments/new/?patient={patient}", CLINIC_A),
    "appointment_detail": ("get", "/appointments/{appointment}/", CLINIC_A),
    "appointment_move": ("post", "/appointments/{appointment}/move/", CLINIC_A),
    "appointment_status": ("post", "/appointments/{appointment}/status/", CLINIC_A),
    "appointment_session": (  # a session is started by clinical staff
        "post", "/appointments/{appointment}/session/", ("login", "ok", "403", "ok", "404"),
    ),
    "follow_up_list": ("get", "/follow-ups/", STAFF),
    "follow_up_new": ("get", "/follow-ups/new/?patient={patient}", CLINIC_A),
    "reminder_policy": ("get", "/follow-ups/policy/", ("login", "403", "403", "ok", "403")),
    "recording_settings": ("get", "/sessions/settings/", ("login", "403", "403", "ok", "403")),
    "soap_template_edit": (
        "get", "/sessions/settings/templates/{soap_template}/",
        ("login", "404", "404", "ok", "404"),
    ),
    "soap_template_delete": (
        "post", "/sessions/settings/templates/{soap_template}/delete",
        ("login", "404", "404", "ok", "404"),
    ),
    "follow_up_detail": ("get", "/follow-ups/{follow_up}/", CLINIC_A),
    "follow_up_move": ("post", "/follow-ups/{follow_up}/move/", CLINIC_A),
    "follow_up_status": ("post", "/follow-ups/{follow_up}/status/", CLINIC_A),
    "reminder_resend": ("post", "/follow-ups/reminders/{reminder}/resend/", CLINIC_A),
    "follow_up_reply": ("get", "/follow-ups/reply/{reply_token}/", ALL_OK),
    "waitlist_list": ("get", "/waitlist/", STAFF),
    "waitlist_new": ("get", "/waitlist/new/?patient={patient}", CLINIC_A),
    "waitlist_withdraw": ("post", "/waitlist/{waitlist_entry}/withdraw/", CLINIC_A),
    "waitlist_join": ("get", "/waitlist/join/{reply_token}/", ("404",) * 5),  # a follow-up's
    "waitlist_offer": ("get", "/waitlist/offer/{offer_token}/", ALL_OK),
    "patient_fhir_bundle": (
        "get", "/api/v1/patients/{patient}/fhir/", ("denied", "ok", "404", "ok", "404"),
    ),
    "fhir_intake_questionnaire": (
        "get", "/api/v1/fhir/Questionnaire/intake", ("denied", "ok", "ok", "ok", "ok"),
    ),
    "fhir_bulk_export": (
        "get", "/api/v1/fhir/export/Patient.ndjson", ("denied", "404", "404", "ok", "404"),
    ),
    # The REST API: lists answer only the caller's own rows (checked below), details 404 others.
    "api-token": ("post", "/api/v1/auth/token/", ALL_OK),  # 400 for an empty request
    "api-root": ("get", "/api/v1/", ("denied", "ok", "ok", "ok", "ok")),
    "api-logout": ("post", "/api/v1/auth/logout/", ("denied", "ok", "ok", "ok", "ok")),
    "api-schema": ("get", "/api/schema/", ("403", "ok", "ok", "ok", "ok")),  # 401, as YAML
    "api-docs": ("get", "/api/docs/", STAFF),
    "patient-list": ("get", "/api/v1/patients/", ("denied", "ok", "ok", "ok", "ok")),
    "patient-detail": ("get", "/api/v1/patients/{patient}/", API_A),
    "intake-list": ("get", "/api/v1/intakes/", API_CLINICAL),
    "intake-detail": ("get", "/api/v1/intakes/{intake}/", API_CLINICAL_A),
    "pain-score-list": ("get", "/api/v1/pain-scores/", API_CLINICAL),
    "pain-score-detail": ("get", "/api/v1/pain-scores/{pain_score}/", API_CLINICAL_A),
    "session-list": ("get", "/api/v1/sessions/", API_CLINICAL),
    "session-detail": ("get", "/api/v1/sessions/{session}/", API_CLINICAL_A),
    "session-addenda": ("post", "/api/v1/sessions/{session}/addenda/", API_CLINICAL_A),
    "session-sign": (  # the author signs; a manager may read but not sign another's note
        "post", "/api/v1/sessions/{session}/sign/", ("denied", "ok", "403", "403", "404"),
    ),
    "session-discard": (  # the author discards; a manager may not discard another's draft
        "post", "/api/v1/sessions/{session}/discard/", ("denied", "ok", "403", "403", "404"),
    ),
    "trigger-point-list": ("get", "/api/v1/trigger-points/", API_CLINICAL),
    "trigger-point-detail": ("get", "/api/v1/trigger-points/{trigger_point}/", API_CLINICAL_A),
    "mobility-list": ("get", "/api/v1/mobility/", API_CLINICAL),
    "mobility-detail": ("get", "/api/v1/mobility/{mobility}/", API_CLINICAL_A),
    "appointment-list": ("get", "/api/v1/appointments/", ("denied", "ok", "ok", "ok", "ok")),
    "appointment-detail": ("get", "/api/v1/appointments/{appointment}/", API_A),
    "appointment-move": ("post", "/api/v1/appointments/{appointment}/move/", API_A),
    "appointment-set-status": ("post", "/api/v1/appointments/{appointment}/status/", API_A),
    "follow-up-list": ("get", "/api/v1/follow-ups/", ("denied", "ok", "ok", "ok", "ok")),
    "follow-up-detail": ("get", "/api/v1/follow-ups/{follow_up}/", API_A),
    "reminder-list": ("get", "/api/v1/reminders/", ("denied", "ok", "ok", "ok", "ok")),
    "reminder-detail": ("get", "/api/v1/reminders/{reminder}/", API_A),
    "waitlist-entry-list": ("get", "/api/v1/waitlist/", ("denied", "ok", "ok", "ok", "ok")),
    "waitlist-entry-detail": ("get", "/api/v1/waitlist/{waitlist_entry}/", API_A),
    "waitlist-entry-withdraw": ("post", "/api/v1/waitlist/{waitlist_entry}/withdraw/", API_A),
    "report-outcomes": ("get", "/api/v1/reports/outcomes/", API_MANAGER),
    "report-trigger-points": ("get", "/api/v1/reports/trigger-points/", API_MANAGER),
    "report-check-in-curve": ("get", "/api/v1/reports/check-in-curve/", API_MANAGER),
    "report-psfs": ("get", "/api/v1/reports/psfs/", API_MANAGER),
    "report-rom": ("get", "/api/v1/reports/rom/", API_MANAGER),
    "report-operations": ("get", "/api/v1/reports/operations/", API_MANAGER),
    "report-instruments": ("get", "/api/v1/reports/instruments/", API_MANAGER),
    "report-instrument-trend": (
        "get", "/api/v1/reports/patients/{patient}/instrument-trend/", API_CLINICAL_A,
    ),
    "report-pain-trend": (
        "get", "/api/v1/reports/patients/{patient}/pain-trend/", API_CLINICAL_A,
    ),
    "report-mobility-trend": (
        "get", "/api/v1/reports/patients/{patient}/mobility-trend/", API_CLINICAL_A,
    ),
    "report-concordance": ("get", "/api/v1/reports/concordance/", API_MANAGER),
    "report-ppt-trend": ("get", "/api/v1/reports/patients/{patient}/ppt-trend/", API_CLINICAL_A),
    "report-release-forecasts": (
        "get", "/api/v1/reports/patients/{patient}/release-forecasts/", API_CLINICAL_A,
    ),
    "report-n-of-1": ("get", "/api/v1/reports/patients/{patient}/n-of-1/", API_CLINICAL_A),
    "report-release-forecast-table": (  # the caller's own clinic's forecasts
        "get", "/api/v1/reports/release-forecasts/", API_CLINICAL,
    ),
    "session-palpation-suggestions": (
        "get", "/api/v1/sessions/{session}/palpation-suggestions/", API_CLINICAL_A,
    ),
    # The muscle catalogue and its referral atlas: shared by every clinic, for clinical staff.
    "muscle-list": ("get", "/api/v1/muscles/", API_CLINICAL),
    "muscle-detail": ("get", "/api/v1/muscles/{muscle}/", API_CLINICAL),
    # Plans of care: clinical staff of the patient's clinic. The world's plan is signed, so the
    # POSTs (no data) are refused by the service or the form and answer the plan page (or 409,
    # 400 in the API): the caller reached the view.
    "plan_new": ("get", "/patients/{patient}/plan/new/", CLINICAL_A),
    "plan_detail": ("get", "/plans/{plan}/", CLINICAL_A),
    "plan_edit": ("get", "/plans/{plan}/edit/", CLINICAL_A),
    "plan_sign": ("post", "/plans/{plan}/sign", CLINICAL_A),
    "plan_revise": ("post", "/plans/{plan}/revise", CLINICAL_A),
    "plan_discharge": ("post", "/plans/{plan}/discharge", CLINICAL_A),
    "plan_discard": ("post", "/plans/{plan}/discard", CLINICAL_A),
    "plan-list": ("get", "/api/v1/plans/", API_CLINICAL),
    "plan-detail": ("get", "/api/v1/plans/{plan}/", API_CLINICAL_A),
    "plan-sign": ("post", "/api/v1/plans/{plan}/sign/", API_CLINICAL_A),
    "plan-revise": ("post", "/api/v1/plans/{plan}/revise/", API_CLINICAL_A),
    "plan-discharge": ("post", "/api/v1/plans/{plan}/discharge/", API_CLINICAL_A),
    "plan-discard": ("post", "/api/v1/plans/{plan}/discard/", API_CLINICAL_A),
    "plan-goal-list": ("get", "/api/v1/plan-goals/", API_CLINICAL),
    "plan-goal-detail": ("get", "/api/v1/plan-goals/{plan_goal}/", API_CLINICAL_A),
    "dashboard": ("get", "/dashboard/", ("login", "403", "403", "ok", "403")),
    "patient-progress": ("get", "/dashboard/patients/{patient}/", CLINICAL_A),
    "csv_export": ("get", "/api/v1/export/patients.csv", ("denied", "404", "404", "ok", "404")),
}  # fmt: skip

# Links a patient holds open their own form only; a forged one is the same friendly 404.
FORGED_LINKS = (
    "/intake/{forged}/",
    "/check-in/{forged}/",
    "/follow-ups/reply/{forged}/",
    "/waitlist/join/{forged}/",
    "/waitlist/offer/{forged}/",
    "/questionnaire/{forged}/",
)


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) == "admin/":
                continue  # Django's admin: staff accounts only (is_staff), tested below
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield pattern.name


def test_every_route_is_in_the_matrix():
    assert set(_routes(get_resolver().url_patterns)) == set(MATRIX)


def _outcome(response) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 302 and location.startswith(("/accounts/login/", "/admin/login/")):
        return "login"
    if status in (401, 403):
        return (
            "denied" if response.get("Content-Type", "").startswith("application/json") else "403"
        )
    if status == 404:
        return "404"
    assert status < 500, response
    return "ok"


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_what_the_matrix_says(client, world, caller):
    if caller != "anonymous":
        client.force_login(world["users"][caller])
    wrong = []
    # Signing out ends the caller's session: last.
    last = {"api-logout": 1, "logout": 2}
    for name, (method, path, expected, *data) in sorted(
        MATRIX.items(), key=lambda item: last.get(item[0], 0)
    ):
        url = path.format(**world)
        got = _outcome(getattr(client, method)(url, *data))
        want = expected[CALLERS.index(caller)]
        if want == "403" and got == "denied":
            got = "403"
        if got != want:
            wrong.append(f"{name} {method.upper()} {url}: expected {want}, got {got}")
    assert not wrong, "\n".join(wrong)


LISTS = {
    "/api/v1/patients/": "patient",
    "/api/v1/intakes/": "intake",
    "/api/v1/pain-scores/": "pain_score",
    "/api/v1/sessions/": "session",
    "/api/v1/trigger-points/": "trigger_point",
    "/api/v1/mobility/": "mobility",
    "/api/v1/follow-ups/": "follow_up",
    "/api/v1/appointments/": "appointment",
    "/api/v1/reminders/": "reminder",
    "/api/v1/waitlist/": "waitlist_entry",
}


def test_api_lists_hold_the_callers_clinic_only(client, world):
    client.force_login(world["users"]["stranger"])
    for url in LISTS:
        assert client.get(url).json()["count"] == 0, url
    client.force_login(world["users"]["manager"])
    for url, key in LISTS.items():
        ids = {row["id"] for row in client.get(url).json()["results"]}
        also = {"patient": "erasable", "reminder": "offer_reminder"}.get(key)
        assert ids == ({world[key], world[also]} if also else {world[key]}), url


def test_forged_patient_links_open_nothing(client, world):
    forged, _ = token_new()
    for path in FORGED_LINKS:
        assert client.get(path.format(forged=forged)).status_code == 404, path


def test_the_admin_is_for_staff_accounts_only(client, world):
    client.force_login(world["users"]["manager"])
    assert _outcome(client.get("/admin/")) == "login"
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    MembershipFactory(
        user=admin, clinic=world["users"]["manager"].memberships.get().clinic, role=Role.ADMIN
    )
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


# Every page and endpoint that shows patient data, read or listed.
AUDITED = (
    "home",
    "patient_list",
    "patient_chart",
    "intake_queue",
    "intake_review",
    "session_detail",
    "session_history",
    "session_print",
    "follow_up_list",
    "follow_up_detail",
    "audit_report",
    "patient_fhir_bundle",
    "fhir_bulk_export",
    "csv_export",
    "patient-progress",
    "patient-list",
    "patient-detail",
    "intake-list",
    "intake-detail",
    "pain-score-list",
    "pain-score-detail",
    "session-list",
    "session-detail",
    "trigger-point-list",
    "trigger-point-detail",
    "mobility-list",
    "mobility-detail",
    "follow-up-list",
    "follow-up-detail",
    "reminder-list",
    "reminder-detail",
    "waitlist-entry-list",
    "waitlist-entry-detail",
    "report-pain-trend",
    "report-mobility-trend",
    "session_outcomes",
    "report-instrument-trend",
    "report-ppt-trend",
    "report-release-forecasts",
    "report-n-of-1",
    "session-palpation-suggestions",
    "plan_detail",
    "plan-list",
    "plan-detail",
    "plan-goal-list",
    "plan-goal-detail",
)


def test_every_read_of_patient_data_leaves_an_audit_row(client, world):
    manager = world["users"]["manager"]
    client.force_login(manager)
    silent = []
    for name in AUDITED:
        method, path, *_ = MATRIX[name]
        before = AuditEvent.objects.filter(actor=manager).count()
        response = getattr(client, method)(path.format(**world))
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        if AuditEvent.objects.filter(actor=manager).count() == before:
            silent.append(name)
    assert not silent, f"no audit row for {silent}"


# The intake's questions (red flags among them) as a blank FHIR Questionnaire: no patient's data.
BLANK_FORMS = {"fhir_intake_questionnaire"}


def _body(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_front_desk_sees_no_clinical_content_on_any_page_it_opens(client, world):
    """Not only the status: what each page front desk may open SHOWS them. The world holds a
    red-flagged intake, a session with SOAP text and a trigger point, pain and mobility."""
    client.force_login(world["users"]["front_desk"])
    opened, leaks = [], []
    for name, (method, path, expected, *_) in MATRIX.items():
        if method != "get" or expected[CALLERS.index("front_desk")] != "ok":
            continue
        if name in BLANK_FORMS:
            continue
        response = client.get(path.format(**world), follow=True)
        if response.status_code != 200:
            continue
        opened.append(name)
        body = _body(response)
        leaks += [f"{name}: {marker}" for marker in CLINICAL_MARKERS if marker in body]
    assert {"home", "patient_chart", "intake_review", "follow_up_detail", "patient-detail"} <= set(
        opened
    )
    assert not leaks, "\n".join(leaks)


def test_the_clinical_markers_are_there_for_a_therapist(client, world):
    """The check above would pass on an empty page: the same markers do show to clinical staff."""
    client.force_login(world["users"]["therapist"])
    shown = "".join(
        _body(client.get(path.format(**world)))
        for path in ("/", "/patients/{patient}/", "/intakes/{intake}/", "/sessions/{session}/")
    )
    assert [marker for marker in CLINICAL_MARKERS[:-4] if marker not in shown] == []
