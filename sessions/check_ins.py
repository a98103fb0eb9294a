"""Post-session check-ins: a one-time link sent 24-48 h after a session."""

import datetime as dt

from django.utils import timezone

from clinic.tokens import token_new

from .models import CheckIn, TreatmentSession

CHECK_IN_VALID_FOR = dt.timedelta(days=3)


def check_in_issue(*, session: TreatmentSession) -> tuple[CheckIn, str]:
    """Create the session's check-in and return it with the raw token for its link (the raw
    token is never stored; a session has one check-in)."""
    raw, hashed = token_new()
    check_in = CheckIn.objects.create(
        session=session, token_hash=hashed, expires_at=timezone.now() + CHECK_IN_VALID_FOR
    )
    return check_in, raw
