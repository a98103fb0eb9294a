"""Post-session check-ins: a one-time link sent 24-48 h after a session."""

import datetime as dt

from django.utils import timezone

from clinic.audit import audit_record
from clinic.links import LinkUnavailable
from clinic.models import AuditEvent
from clinic.permissions import unrestricted
from clinic.tokens import token_hash, token_new
from clinic.transactions import retrying_atomic
from clinic.types import User
from patients.models import BodyRegion, PainScore, PainSource
from patients.selectors import MAX_TOKEN_LENGTH

from .models import CheckIn, FactorFollowUp, SessionFactor, TreatmentSession
from .summaries import summaries_refresh

CHECK_IN_VALID_FOR = dt.timedelta(days=3)


@retrying_atomic
def check_in_issue(
    *, session: TreatmentSession, actor: User | None = None, actor_label: str = ""
) -> tuple[CheckIn, str]:
    """Create the session's check-in and return it with the raw token for its link (the raw
    token is never stored; a session has one check-in). `actor_label` "system" when the
    reminder that carries the link creates it."""
    if actor is None and not actor_label:
        raise ValueError("Issuing a check-in names who does it: actor or actor_label.")
    raw, hashed = token_new()
    check_in = CheckIn.objects.create(
        session=session, token_hash=hashed, expires_at=timezone.now() + CHECK_IN_VALID_FOR
    )
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=actor,
        actor_label=actor_label,
        obj=check_in,
        patient_id=session.patient_id,
        clinic_id=session.patient.clinic_id,
    )
    return check_in, raw


def check_in_open(*, token: str) -> CheckIn:
    """The check-in behind a link if it can still be answered; CheckIn.DoesNotExist for unknown,
    used or expired
    tokens alike, so callers cannot tell them apart."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise CheckIn.DoesNotExist
    check_in = (
        CheckIn.objects.select_related("session__patient__clinic")
        .filter(unrestricted(CheckIn), token_hash=token_hash(token))
        .first()
    )
    if check_in is None or not _is_open(check_in):
        raise CheckIn.DoesNotExist
    return check_in


def _is_open(check_in: CheckIn) -> bool:
    return check_in.completed_at is None and check_in.expires_at > timezone.now()


def check_in_regions(*, check_in: CheckIn) -> list[tuple[str, str]]:
    """The regions treated in the session: those rated before it started, in chart order."""
    rated = (
        PainScore.objects.filter(session_id=check_in.session_id, source=PainSource.PRE_SESSION)
        .values_list("region", "side")
        .distinct()
    )
    order = {region: index for index, region in enumerate(BodyRegion.values)}
    return sorted(set(rated), key=lambda pair: (order[pair[0]], pair[1]))


def check_in_factors(*, check_in: CheckIn) -> list[str]:
    """The perpetuating factors recorded in the session, which the check-in asks about."""
    return list(
        SessionFactor.objects.filter(session_id=check_in.session_id)
        .order_by("factor")
        .values_list("factor", flat=True)
    )


@retrying_atomic
def check_in_complete(
    *,
    check_in: CheckIn,
    pain: list[tuple[str, str, int]],
    soreness: int,
    unexpected: str = "",
    factors: list[tuple[str, str]] | None = None,
) -> CheckIn:
    """Store the patient's answer: today's pain per treated region as `check_in` pain scores,
    soreness, anything unexpected and, per factor recorded in the session they answered
    about, whether they changed it. A check-in is answered once."""
    check_in = CheckIn.objects.select_for_update().select_related("session").get(pk=check_in.pk)
    if not _is_open(check_in):
        raise LinkUnavailable
    now = timezone.now()
    scores = [
        PainScore(
            patient_id=check_in.session.patient_id,
            session=check_in.session,
            recorded_at=now,
            source=PainSource.CHECK_IN,
            region=region,
            side=side,
            score=score,
        )
        for region, side, score in pain
    ]
    for score in scores:
        score.full_clean()
    PainScore.objects.bulk_create(scores)
    summaries_refresh(patient_ids=[check_in.session.patient_id])
    check_in.soreness = soreness
    check_in.unexpected = unexpected
    check_in.completed_at = now
    check_in.full_clean()
    check_in.save(update_fields=["soreness", "unexpected", "completed_at"])
    recorded = set(check_in_factors(check_in=check_in))
    answers = [
        FactorFollowUp(check_in=check_in, factor=code, answer=answer)
        for code, answer in factors or []
        if code in recorded and answer
    ]
    for answer in answers:
        answer.full_clean()
    FactorFollowUp.objects.bulk_create(answers)
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor_label="patient-link",
        obj=check_in,
        patient_id=check_in.session.patient_id,
        clinic_id=check_in.session.patient.clinic_id,
    )
    return check_in
