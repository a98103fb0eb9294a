import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clinic.audit import audit_read, audit_record
from clinic.input_guard import HostileInput, request_json
from clinic.models import AuditEvent
from clinic.permissions import access_for
from patients.models import BodyRegion, PainSource, Side, red_flag_rows
from patients.selectors import (
    latest_intake,
    pain_trend,
    patient_get,
    patients_needing_attention,
    red_flag_intakes,
)

from . import selectors, services
from .forms import (
    AddendumForm,
    DraftError,
    SignForm,
    parse_draft,
)
from .models import (
    ChartView,
    MobilityMeasurement,
    Movement,
    Muscle,
    SignedRecordLocked,
    Technique,
    TreatmentSession,
    TriggerPoint,
)

logger = logging.getLogger(__name__)


def _red_flags(user, patient) -> list[dict]:
    """Each active red flag with the intake it came from, whose review page clears it."""
    return [
        {**row, "intake_id": intake["intake_id"]}
        for intake in red_flag_intakes(user=user, patient=patient)
        for row in red_flag_rows(intake["flags"])
    ]


# A busy clinic's day has a few hundred sessions: the home page shows the first fifty and says
# there are more (rendering every row was most of its time).
HOME_TODAY_ROWS = 50


@login_required
@require_GET
def home(request):
    """The busiest page: a fixed number of queries whatever the clinic's size (each list is
    bounded and served by an index that matches it; tests/treatments/test_home_page.py)."""
    access = access_for(request.user)
    start, end = selectors.today_bounds()
    context = {
        "has_clinic": bool(access.clinic_ids),
        "memberships": request.user.memberships.filter(is_active=True).select_related("clinic"),
    }
    if access.clinical_clinic_ids:
        # One row more than shown says whether the day goes on (no count query).
        today = selectors.sessions_between(user=request.user, start=start, end=end)
        today = list(today[: HOME_TODAY_ROWS + 1])
        context |= {
            "today": today[:HOME_TODAY_ROWS],
            "today_more": len(today) > HOME_TODAY_ROWS,
            "recent": selectors.sessions_between(
                user=request.user, start=start - timezone.timedelta(days=7), end=start
            ).reverse()[:15],
            "drafts": selectors.unsigned_drafts(user=request.user)[:30],
        }
    context["attention"] = patients_needing_attention(user=request.user).only(
        "id", "first_name", "last_name"
    )[:30]
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    return render(request, "treatments/home.html", context)


@login_required
@require_GET
def patient_chart(request, pk: int):
    """The chart: demographics and scheduling for every staff role; clinical history, charts
    and red flags only for clinical roles. A restricted record opens only for its clinic's
    managers, and shows them the erasure request alone."""
    patient = patient_get(user=request.user, patient_id=pk, restricted=True)
    clinical = access_for(request.user).may_read_clinical(patient.clinic_id)
    clinical = clinical and not patient.is_restricted
    audit_read(user=request.user, obj=patient)
    context = {
        "patient": patient,
        "clinical": clinical,
        "manages": patient.clinic_id in access_for(request.user).managed_clinic_ids,
    }
    if clinical:
        context |= {
            "red_flags": _red_flags(request.user, patient),
            "intake": latest_intake(patient=patient),
            "sessions": selectors.patient_sessions(patient=patient),
            "trigger_points": selectors.trigger_point_history(patient=patient),
            "chart_data": {
                "pain": list(pain_trend(patient=patient)),
                "mobility": list(selectors.mobility_trend(patient=patient)),
                "regions": dict(BodyRegion.choices),
                "sides": dict(Side.choices),
                "sources": dict(PainSource.choices),
                "time_zone": patient.clinic.time_zone,
            },
        }
    return render(request, "treatments/patient_chart.html", context)


@login_required
def session_new(request):
    try:
        patient_id = int(request.GET.get("patient", ""))
    except ValueError:
        raise Http404 from None
    patient = patient_get(user=request.user, patient_id=patient_id)
    if not access_for(request.user).may_read_clinical(patient.clinic_id):
        raise Http404
    if request.method == "POST":
        try:
            session = services.session_start(patient=patient, therapist=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("patient_chart", pk=patient.pk)
        return redirect("session_detail", pk=session.pk)
    open_draft = (
        patient.sessions.filter(status=TreatmentSession.Status.DRAFT, therapist=request.user)
        .order_by("-started_at")
        .first()
    )
    return render(
        request, "treatments/session_new.html", {"patient": patient, "open_draft": open_draft}
    )


def _item_state(session: TreatmentSession) -> dict:
    """What the recording page edits, as the JSON it sends back on every autosave."""
    return {
        "fields": {
            name: getattr(session, name)
            for name in ("subjective", "objective", "assessment", "plan", "duration_minutes")
        },
        "pain": [
            {
                "source": p.source,
                "region": p.region,
                "side": p.side,
                "score": p.score,
                "unable_to_rate": p.unable_to_rate,
            }
            for p in session.pain_scores.all()
        ],
        "trigger_points": [
            {
                "muscle_id": t.muscle_id,
                "side": t.side,
                "chart_view": t.chart_view,
                "x": t.x,
                "y": t.y,
                "kind": t.kind,
                "tenderness": t.tenderness,
                "pressure_pain_threshold": (
                    str(t.pressure_pain_threshold) if t.pressure_pain_threshold else None
                ),
                "referral_pattern": t.referral_pattern,
                "local_twitch_response": t.local_twitch_response,
                "technique": t.technique,
                "hold_seconds": t.hold_seconds,
                "repetitions": t.repetitions,
                "pressure": t.pressure,
                "released": t.released,
            }
            for t in session.trigger_points.all()
        ],
        "mobility": [
            {"movement_id": m.movement_id, "side": m.side, "degrees": m.degrees, "method": m.method}
            for m in session.mobility.all()
        ],
    }


def _catalogues() -> dict:
    return {
        "muscles": list(
            Muscle.objects.values("id", "name", "region", "chart_view", "chart_x", "chart_y")
        ),
        "movements": list(
            Movement.objects.values("id", "joint", "name", "normal_degrees", "bilateral")
        ),
        "regions": BodyRegion.choices,
        "sides": Side.choices,
        "techniques": Technique.choices,
        "kinds": TriggerPoint.Kind.choices,
        "views": ChartView.choices,
        "methods": MobilityMeasurement.Method.choices,
    }


@login_required
@require_GET
def session_detail(request, pk: int):
    session = selectors.session_parts(
        session=selectors.session_get(user=request.user, session_id=pk)
    )
    audit_read(user=request.user, obj=session)
    previous = selectors.previous_session(session=session)
    editable = not session.is_signed and session.therapist_id == request.user.pk
    context = {
        "session": session,
        "patient": session.patient,
        "previous": previous,
        "editable": editable,
        "red_flags": _red_flags(request.user, session.patient),
        "sign_form": SignForm(),
        "addendum_form": AddendumForm(),
    }
    if editable:
        context["page_data"] = {
            "draft_url": reverse("session_draft", args=[session.pk]),
            "session_id": session.pk,
            "updated_at": session.updated_at.isoformat(),
            "state": _item_state(session),
            "previous_points": [
                {
                    "muscle_id": t.muscle_id,
                    "muscle": t.muscle.name,
                    "side": t.side,
                    "chart_view": t.chart_view,
                    "x": t.x,
                    "y": t.y,
                    "tenderness": t.tenderness,
                    "released": t.released,
                }
                for t in (previous.trigger_points.all() if previous else [])
            ],  # fmt: skip
            **_catalogues(),
        }
    return render(request, "treatments/session_detail.html", context)


@login_required
@require_GET
def session_history(request, pk: int):
    session = selectors.session_get(user=request.user, session_id=pk)
    audit_read(user=request.user, obj=session)
    versions = [
        {**version.old_row, "changed_at": version.changed_at, "operation": version.operation}
        for version in selectors.session_versions(session=session)[:200]
    ]
    return render(
        request,
        "treatments/session_history.html",
        {"session": session, "patient": session.patient, "versions": versions},
    )


@login_required
@require_POST
def session_draft(request, pk: int):
    """The recording page's autosave: the whole draft as JSON. Answers 200 with the save time,
    400 with per-field errors (nothing written), or 409 once the note is signed."""
    session = selectors.session_get(user=request.user, session_id=pk)
    try:
        # The service's own rule, asked before the body is read: a stranger's draft is refused
        # whatever was sent.
        services.require_author(user=request.user, session=session)
        payload = parse_draft(request_json(request))
        session = services.session_update(session=session, user=request.user, **payload)
    except PermissionDenied:
        return JsonResponse(
            {"errors": {"__all__": [_("Only the author edits a draft.")]}}, status=403
        )
    except HostileInput as exc:
        return JsonResponse({"errors": {"__all__": [str(exc)]}}, status=400)
    except DraftError as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    except SignedRecordLocked:
        return JsonResponse(
            {"errors": {"__all__": [_("This note is signed: add an addendum instead.")]}},
            status=409,
        )
    except IntegrityError:
        # The constraint's message may quote the values (health data): log only the session.
        logger.warning("draft of session %s refused by a database constraint", session.pk)
        return JsonResponse(
            {
                "errors": {
                    "__all__": [_("The draft breaks a rule of the record; check the values.")]
                }
            },
            status=400,
        )
    return JsonResponse({"saved_at": timezone.localtime(session.updated_at).isoformat()})


@login_required
@require_POST
def session_sign(request, pk: int):
    session = selectors.session_get(user=request.user, session_id=pk)
    form = SignForm(request.POST)
    form.is_valid()
    try:
        services.session_sign(
            session=session,
            user=request.user,
            acknowledge_red_flags=form.cleaned_data.get("acknowledge_red_flags", False),
        )
    except ValidationError as exc:
        for messages_ in exc.message_dict.values():
            for message in messages_:
                messages.error(request, message)
    except (SignedRecordLocked, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Signed. The note is now locked; corrections are addenda."))
    return redirect("session_detail", pk=session.pk)


@login_required
@require_POST
def addendum_create(request, pk: int):
    session = selectors.session_get(user=request.user, session_id=pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(session=session, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Addendum added."))
            return redirect("session_detail", pk=session.pk)
    return session_page_with(request, session, addendum_form=form)


def session_page_with(request, session, *, addendum_form=None, follow_up_form=None):
    """The session page showing a form as it was sent (with its errors), not a blank one. The
    follow-up form is scheduling's (its view passes it back; the page's template shows it)."""
    session = selectors.session_parts(session=session)
    return render(
        request,
        "treatments/session_detail.html",
        {
            "session": session,
            "patient": session.patient,
            "editable": False,
            "addendum_form": addendum_form or AddendumForm(),
            "follow_up_form": follow_up_form,
            "red_flags": _red_flags(request.user, session.patient),
        },
        status=400,
    )
