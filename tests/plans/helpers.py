"""Plans built the way the pages and the API build them: through the services."""

import datetime as dt

from django.utils import timezone

from plans.services import plan_create, plan_sign

PAIN_GOAL = {"kind": "pain", "region": "lower_back", "side": "both", "target": 2}


def signed_plan(*, patient, therapist, goals=None, **values):
    fields = {
        "complaint": "Low back pain after long drives.",
        "regions": ["lower_back"],
        "sessions_per_week": 1,
        "weeks": 6,
        "reassess_on": timezone.localdate() + dt.timedelta(weeks=3),
        **values,
    }
    plan = plan_create(patient=patient, actor=therapist, goals=goals or [PAIN_GOAL], **fields)
    return plan_sign(plan=plan, actor=therapist)
