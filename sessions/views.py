import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.audit import audit_read, audit_record
from clinic.input_guard import HostileInput, request_json
from clinic.links import link_lookup, link_unavailable
from clinic.models import AuditEvent, Clinic
from clinic.permissions import access_for, visible
from clinic.selectors import clinic_resolve, clinics_of
from clinic.shortcuts import or_404
from clinic.transactions import DatabaseBusy
from patients.models import BodyRegion, PainSource, Side, red_flag_rows
from patients.selectors import (
    latest_intake,
    pain_trend,
    patient_get,
    patients_needing_attention,
    red_flag_intakes,
)

from . import follow_up_selectors, selectors, services
from .erasure import patient_erasure_request
from .follow_ups import (
    ReplyLinkUsed,
    follow_up_create,
    follow_up_move,
    follow_up_reply,
    follow_up_set_status,
    reminder_for_reply,
)
from .forms import (
    AddendumForm,
    FollowUpFilterForm,
    FollowUpForm,
    FollowUpMoveForm,
    ReminderPolicyForm,
    SignForm,
)
from .models import (
    ChartView,
    FollowUp,
    MobilityMeasurement,
    Movement,
    Muscle,
    Reminder,
    SignedRecordLocked,
    Technique,
    TreatmentSession,
    TriggerPoint,
)
from .reminders import policy_for, reminder_policy_update, reminder_resend
from .serializers import SessionDraftSerializer, draft_errors

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
    context["follow_ups_today"] = (
        visible(request.user, FollowUp)
        .filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=FollowUp.Status.CANCELLED)
        .select_related("patient")
        .only("due_at", "kind", "status", "patient_id", "patient__first_name", "patient__last_name")
        .order_by("due_at")[:100]
    )
    return render(request, "treatments/home.html", context)


@login_required
@require_GET
def patient_chart(request, pk: int):
    """The chart: demographics and scheduling for every staff role; clinical history, charts
    and red flags only for clinical roles. A restricted record opens only for its clinic's
    managers, and shows them the erasure request alone."""
    patient = or_404(patient_get, user=request.user, patient_id=pk, restricted=True)
    clinical = access_for(request.user).may_read_clinical(patient.clinic_id)
    clinical = clinical and not patient.is_restricted
    audit_read(user=request.user, obj=patient)
    context = {
        "patient": patient,
        "clinical": clinical,
        "manages": patient.clinic_id in access_for(request.user).managed_clinic_ids,
        "follow_ups": visible(request.user, FollowUp)
        .filter(patient=patient)
        .select_related("therapist")
        .order_by("-due_at")[:20],
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
@require_POST
def patient_erasure(request, pk: int):
    """A manager records the patient's erasure request (restrict now, delete after retention)."""
    patient = or_404(patient_get, user=request.user, patient_id=pk, restricted=True)
    try:
        patient = patient_erasure_request(patient=patient, user=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(
        request,
        _("Erasure request recorded: the record is restricted and will be deleted after %(day)s.")
        % {"day": date_format(patient.erase_after)},
    )
    return redirect("patient_chart", pk=patient.pk)


@login_required
def session_new(request):
    try:
        patient_id = int(request.GET.get("patient", ""))
    except ValueError:
        raise Http404 from None
    patient = or_404(patient_get, user=request.user, patient_id=patient_id)
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


def _catalogues() -> dict:
    return {
        "muscles": list(
            Muscle.objects.values("slug", "name", "region", "chart_view", "chart_x", "chart_y")
        ),
        "movements": list(
            Movement.objects.values("code", "joint", "name", "normal_degrees", "bilateral")
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
        session=or_404(selectors.session_get, user=request.user, session_id=pk)
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
        "follow_up_form": _session_follow_up_form(session),
        "follow_ups": session.follow_ups.order_by("due_at"),
    }
    if editable:
        context["page_data"] = {
            "draft_url": reverse("session_draft", args=[session.pk]),
            "session_id": session.pk,
            "updated_at": session.updated_at.isoformat(),
            "state": SessionDraftSerializer(session).data,
            "previous_points": [
                {
                    "muscle": t.muscle.slug,
                    "muscle_name": t.muscle.name,
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
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
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
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
    try:
        # The service's own rule, asked before the body is read: a stranger's draft is refused
        # whatever was sent.
        services.require_author(user=request.user, session=session)
        draft = SessionDraftSerializer(data=request_json(request))
        if not draft.is_valid():
            return JsonResponse({"errors": draft_errors(draft.errors)}, status=400)
        session = services.session_update(
            session=session, user=request.user, **draft.service_arguments()
        )
    except PermissionDenied:
        return JsonResponse(
            {"errors": {"__all__": [_("Only the author edits a draft.")]}}, status=403
        )
    except HostileInput as exc:
        return JsonResponse({"errors": {"__all__": [str(exc)]}}, status=400)
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
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
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
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(session=session, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Addendum added."))
            return redirect("session_detail", pk=session.pk)
    return _session_page_with(request, session, addendum_form=form)


def _session_page_with(request, session, *, addendum_form=None, follow_up_form=None):
    """The session page showing a form as it was sent (with its errors), not a blank one."""
    session = selectors.session_parts(session=session)
    return render(
        request,
        "treatments/session_detail.html",
        {
            "session": session,
            "patient": session.patient,
            "editable": False,
            "addendum_form": addendum_form or AddendumForm(),
            "follow_up_form": follow_up_form or _session_follow_up_form(session),
            "follow_ups": session.follow_ups.order_by("due_at"),
            "red_flags": _red_flags(request.user, session.patient),
        },
        status=400,
    )


def _session_follow_up_form(session, data=None) -> FollowUpForm:
    """The follow-up form under a session: the session's therapist unless another is chosen."""
    return FollowUpForm(
        data,
        therapists=follow_up_selectors.clinic_therapists(clinic=session.patient.clinic),
        initial={"therapist": session.therapist_id},
    )


@login_required
@require_POST
def follow_up_plan(request, pk: int):
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
    with timezone.override(session.patient.clinic.zone):
        form = _session_follow_up_form(session, data=request.POST)
        valid = form.is_valid()
    if valid:
        try:
            follow_up_create(
                patient=session.patient, session=session, created_by=request.user,
                **form.cleaned_data,
            )  # fmt: skip
        except DatabaseBusy as busy:
            form.add_error(None, busy)  # the page again, the booking as typed
            return _session_page_with(request, session, follow_up_form=form)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Follow-up planned; its reminders are planned too."))
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request, f"{form[field].label if field in form.fields else ''}: {error}"
                )
    return redirect(f"{reverse('session_detail', args=[session.pk])}#follow-up")


# Follow-ups and reminders: front desk's pages, the manager's policy, the patient's reply.


def _clinic_or_404(request, *, managed: bool = False) -> Clinic:
    try:
        return clinic_resolve(user=request.user, slug=request.GET.get("clinic"), managed=managed)
    except Clinic.DoesNotExist:
        raise Http404 from None


def _follow_up_or_404(request, pk: int) -> FollowUp:
    return or_404(follow_up_selectors.follow_up_detail, user=request.user, pk=pk)


@login_required
def follow_up_list(request):
    clinic = _clinic_or_404(request)
    therapists = follow_up_selectors.clinic_therapists(clinic=clinic)
    filters = FollowUpFilterForm(request.GET or None, therapists=therapists)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    therapist = chosen.get("therapist")
    follow_ups = follow_up_selectors.follow_ups_for_desk(
        user=request.user,
        clinic=clinic,
        when=chosen.get("when", ""),
        therapist_id=therapist.pk if therapist else None,
        status=chosen.get("status", ""),
    )
    page = Paginator(follow_ups, 50).get_page(request.GET.get("page"))
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    with timezone.override(clinic.zone):
        return render(
            request,
            "treatments/follow_up_list.html",
            {
                "clinic": clinic,
                "filters": filters,
                "page": page,
                "query": query.urlencode(),
                "clinics": clinics_of(user=request.user),
                "sets_policy": clinic.pk in access_for(request.user).managed_clinic_ids,
            },
        )


@login_required
@require_http_methods(["GET", "POST"])
def follow_up_new(request):
    patient_id = request.GET.get("patient", "")
    if not patient_id:
        # Front desk starts here without a chart open: find the patient first.
        search = request.GET.get("q", "").strip()
        found = (
            follow_up_selectors.patients_matching(user=request.user, text=search) if search else []
        )
        return render(
            request, "treatments/follow_up_patient_search.html", {"q": search, "found": found}
        )
    patient = or_404(
        patient_get, user=request.user, patient_id=int(patient_id) if patient_id.isdigit() else 0
    )
    clinic = patient.clinic
    therapists = follow_up_selectors.clinic_therapists(clinic=clinic)
    with timezone.override(clinic.zone):
        form = FollowUpForm(request.POST or None, therapists=therapists)
        if request.method == "POST" and form.is_valid():
            try:
                follow_up = follow_up_create(
                    patient=patient, created_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Follow-up booked; its reminders are planned."))
                return redirect("follow_up_detail", pk=follow_up.pk)
        return render(request, "treatments/follow_up_form.html", {"form": form, "patient": patient})


@login_required
def follow_up_detail(request, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    audit_read(user=request.user, obj=follow_up)
    return _render_detail(request, follow_up, FollowUpMoveForm())


def _render_detail(request, follow_up: FollowUp, move_form, status=200):
    with timezone.override(follow_up.patient.clinic.zone):
        if not move_form.is_bound:
            move_form.initial = {"due_at": timezone.localtime(follow_up.due_at)}
        return render(
            request,
            "treatments/follow_up_detail.html",
            {"follow_up": follow_up, "move_form": move_form, "statuses": FollowUp.Status},
            status=status,
        )


@login_required
@require_POST
def follow_up_move_view(request, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    with timezone.override(follow_up.patient.clinic.zone):
        form = FollowUpMoveForm(request.POST)
        if form.is_valid():
            try:
                follow_up_move(
                    follow_up=follow_up, due_at=form.cleaned_data["due_at"], actor=request.user
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Follow-up moved; its reminders moved with it."))
                return redirect("follow_up_detail", pk=pk)
    return _render_detail(request, follow_up, form, status=400)


@login_required
@require_POST
def follow_up_status_view(request, pk: int):
    follow_up = _follow_up_or_404(request, pk)
    status = request.POST.get("status", "")
    if status not in FollowUp.Status.values:
        messages.error(request, _("Choose a status."))
        return redirect("follow_up_detail", pk=pk)
    try:
        follow_up_set_status(follow_up=follow_up, status=status, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Follow-up is now %(status)s.") % {
            "status": FollowUp.Status(status).label.lower()
        })  # fmt: skip
    return redirect("follow_up_detail", pk=pk)


@login_required
@require_POST
def reminder_resend_view(request, pk: int):
    reminder = get_object_or_404(visible(request.user, Reminder), pk=pk)
    try:
        reminder_resend(reminder=reminder, actor=request.user)
    except ValueError:
        messages.error(request, _("Only a failed reminder can be sent again."))
    else:
        messages.success(request, _("The reminder will go out within a minute."))
    return redirect("follow_up_detail", pk=reminder.follow_up_id)


@login_required
@require_http_methods(["GET", "POST"])
def reminder_policy(request):
    if not access_for(request.user).managed_clinic_ids:
        raise PermissionDenied
    clinic = _clinic_or_404(request, managed=True)
    policy = policy_for(clinic)
    form = ReminderPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            reminder_policy_update(clinic=clinic, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Reminder policy saved."))
            return redirect(f"{reverse('reminder_policy')}?{urlencode({'clinic': clinic.slug})}")
    clinics = clinics_of(user=request.user, managed=True)
    return render(
        request,
        "treatments/reminder_policy.html",
        {"form": form, "clinic": clinic, "clinics": clinics},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def follow_up_reply_view(request, token: str):
    """The patient's one-time confirm/cancel page (no account). Only a POST answers, so a link
    preview or a mail scanner opening the link changes nothing."""
    # The same guess limit and friendly page as every patient link (clinic.links).
    reminder, refusal = link_lookup(request, lambda: reminder_for_reply(token=token))
    if refusal:
        return refusal
    follow_up = reminder.follow_up
    clinic = follow_up.patient.clinic
    answered = None
    with translation.override(follow_up.patient.preferred_language), timezone.override(clinic.zone):
        if request.method == "POST":
            answer = request.POST.get("answer")
            if answer not in ("confirm", "cancel"):
                raise Http404
            try:
                follow_up = follow_up_reply(token=token, confirm=answer == "confirm")
                answered = answer
            except Reminder.DoesNotExist:  # expired while the page was open
                return link_unavailable(request)
            except ReplyLinkUsed:  # answered meanwhile (a double tap): show what stands
                reminder.refresh_from_db()
                follow_up.refresh_from_db()
        used = answered is None and (reminder.answered_at is not None or not follow_up.is_open)
        return render(
            request,
            "treatments/follow_up_reply.html",
            {"follow_up": follow_up, "clinic": clinic, "answered": answered, "used": used},
        )
