import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from patients.models import IntakeSubmission, PainScore
from scheduling.models import FollowUp
from sessions.models import Muscle, SignedRecordLocked, TreatmentSession
from sessions.services import addendum_add, session_sign, session_start, session_update

pytestmark = pytest.mark.django_db


def _point(**overrides):
    muscle = Muscle.objects.get(slug="upper-trapezius")
    return {
        "muscle": muscle,
        "side": "right",
        "chart_view": "back",
        "x": 0.4,
        "y": 0.16,
        "tenderness": 7,
        "hold_seconds": 30,
        "pressure": 5,
        **overrides,
    }


def _pain(source="pre_session", score=6):
    return {"source": source, "region": "neck_back", "side": "right", "score": score}


def _ready(patient, therapist):
    """A draft with the clinic's default minimum for signing: a SOAP field and pain before."""
    session = session_start(patient=patient, therapist=therapist)
    return session_update(
        session=session, user=therapist, fields={"subjective": "Neck stiff"}, pain=[_pain()]
    )


def test_a_draft_saves_its_whole_state_and_a_repeated_save_does_not_duplicate(patient, therapist):
    session = session_start(patient=patient, therapist=therapist)
    for _ in range(2):
        session_update(
            session=session,
            user=therapist,
            fields={"subjective": "Neck stiff"},
            pain=[_pain(), _pain("post_session", 4)],
            trigger_points=[_point()],
        )
    session.refresh_from_db()
    assert session.subjective == "Neck stiff"
    assert sorted(session.pain_scores.values_list("score", flat=True)) == [4, 6]
    assert session.trigger_points.count() == 1


def test_invalid_items_are_reported_per_field_and_nothing_is_written(patient, therapist):
    session = session_start(patient=patient, therapist=therapist)
    with pytest.raises(ValidationError) as caught:
        session_update(
            session=session,
            user=therapist,
            fields={"subjective": "kept?"},
            pain=[_pain(score=11)],
            trigger_points=[_point(), _point(hold_seconds=-5)],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"pain.0.score", "trigger_points.1.hold_seconds"}
    session.refresh_from_db()
    assert session.subjective == ""
    assert not PainScore.objects.exists()


def test_front_desk_and_strangers_cannot_record_sessions(patient, front_desk, stranger):
    for user in (front_desk, stranger):
        with pytest.raises(PermissionDenied):
            session_start(patient=patient, therapist=user)


def test_a_signed_session_refuses_updates_and_a_second_signature(patient, therapist):
    session = _ready(patient, therapist)
    session_sign(session=session, user=therapist)
    with pytest.raises(SignedRecordLocked):
        session_update(session=session, user=therapist, fields={"plan": "changed"})
    with pytest.raises(SignedRecordLocked):
        session_sign(session=session, user=therapist)
    assert TreatmentSession.objects.get(pk=session.pk).plan == ""


def test_only_the_author_signs(patient, therapist, manager):
    session = session_start(patient=patient, therapist=therapist)
    with pytest.raises(PermissionDenied):
        session_sign(session=session, user=manager)


def test_signing_with_an_active_red_flag_needs_a_stored_acknowledgement(patient, therapist):
    IntakeSubmission.objects.create(
        clinic=patient.clinic,
        patient=patient,
        status="submitted",
        submitted_at="2026-11-01T10:00Z",
        consent_to_treatment=True,
        signed_at="2026-11-01T10:00Z",
        signature_name="Pat Example",
        red_flags=[{"code": "anticoagulants", "details": "warfarin"}],
    )
    session = _ready(patient, therapist)
    with pytest.raises(ValidationError) as caught:
        session_sign(session=session, user=therapist)
    assert "acknowledge_red_flags" in caught.value.message_dict
    signed = session_sign(session=session, user=therapist, acknowledge_red_flags=True)
    assert TreatmentSession.objects.get(pk=signed.pk).red_flags_acknowledged is True


def test_addenda_follow_signing_only(patient, therapist):
    session = _ready(patient, therapist)
    with pytest.raises(ValidationError):
        addendum_add(session=session, author=therapist, reason="r", text="t")
    session_sign(session=session, user=therapist)
    addendum = addendum_add(session=session, author=therapist, reason="Side", text="Left side.")
    assert addendum.session == session and addendum.author == therapist


def test_signing_books_the_post_session_check_in(patient, therapist):
    session = _ready(patient, therapist)
    session_sign(session=session, user=therapist)
    (check_in,) = FollowUp.objects.filter(session=session, kind="check_in")
    assert check_in.due_at > session.started_at
