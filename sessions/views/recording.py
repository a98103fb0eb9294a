"""Recording a session: start one (/sessions/new/), the recording page (/sessions/<id>/) with
its autosave, signing and addenda."""

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

from clinic.audit import audit_read
from clinic.feedback import service_error_messages
from clinic.input_guard import HostileInput, request_json
from clinic.permissions import access_for
from clinic.shortcuts import or_404
from clinic.types import StaffRequest
from patients.selectors import patient_get, red_flags_listed

from .. import atlas, selectors, services, trends
from ..forms import AddendumForm, SignForm
from ..models import SignedRecordLocked, TreatmentSession
from ..serializers import SessionDraftSerializer, draft_errors

logger = logging.getLogger(__name__)


@login_required
def session_new(request: StaffRequest):
    try:
        patient_id = int(request.GET.get("patient", ""))
    except ValueError:
        raise Http404 from None
    patient = or_404(patient_get, user=request.user, patient_id=patient_id)
    if not access_for(request.user).may_read_clinical(patient.clinic_id):
        raise Http404
    if request.method == "POST":
        try:
            session = services.session_start(
                patient=patient,
                therapist=request.user,
                another=request.POST.get("another") == "yes",
            )
        except ValidationError as exc:
            service_error_messages(request, exc)
            return redirect("patient_chart", pk=patient.pk)
        return redirect("session_detail", pk=session.pk)
    draft = selectors.open_draft(patient=patient, therapist=request.user)
    return render(request, "treatments/session_new.html", {"patient": patient, "open_draft": draft})


@login_required
@require_GET
def session_detail(request: StaffRequest, pk: int):
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
    audit_read(user=request.user, obj=session)
    return _recording_page(request, session)


def _recording_page(
    request: StaffRequest,
    session: TreatmentSession,
    *,
    sign_errors: dict | None = None,
    sign_form: SignForm | None = None,
    status: int = 200,
):
    """The recording page of a draft its author opens; the signed (or discarded) record for
    everyone else. `sign_errors` are a refused signature's per-field messages, which the page
    marks on the fields they name."""
    session = selectors.session_parts(session=session)
    previous = selectors.previous_session(session=session)
    editable = (
        not session.is_signed
        and not session.is_discarded
        and session.therapist_id == request.user.pk
    )
    context: dict = {
        "session": session,
        "patient": session.patient,
        "previous": previous,
        "editable": editable,
        "red_flags": red_flags_listed(user=request.user, patient=session.patient),
        "sign_form": sign_form or SignForm(),
        "addendum_form": AddendumForm(session=session),
    }
    if editable:
        context["page_data"] = {
            "draft_url": reverse("session_draft", args=[session.pk]),
            "session_id": session.pk,
            "updated_at": session.updated_at.isoformat(),
            "state": SessionDraftSerializer(session).data,
            "previous_points": selectors.previous_points(previous=previous),
            "copy_forward": selectors.copy_forward(previous=previous),
            "sign_errors": sign_errors or {},
            "atlas": atlas.atlas_for_page(),
            "suggestions": atlas.palpation_suggestions(session=session),
            "suggestions_url": reverse("session-palpation-suggestions", args=[session.pk]),
            "atlas_strings": atlas.page_strings(),
            **selectors.recording_catalogues(clinic_id=session.patient.clinic_id),
            **trends.recording_insights(session=session),
        }
    elif session.trigger_points.all():
        context["record_points"] = selectors.record_points(session=session)
    return render(request, "treatments/session_detail.html", context, status=status)


@login_required
@require_POST
def session_draft(request: StaffRequest, pk: int):
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
def session_sign(request: StaffRequest, pk: int):
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
        # What is missing, said at the top and marked on each field it names.
        service_error_messages(request, exc)
        return _recording_page(
            request, session, sign_errors=exc.message_dict, sign_form=form, status=400
        )
    except (SignedRecordLocked, PermissionDenied) as exc:
        service_error_messages(request, exc)
    else:
        messages.success(request, _("Signed. The note is now locked; corrections are addenda."))
    return redirect("session_detail", pk=session.pk)


@login_required
@require_POST
def session_discard(request: StaffRequest, pk: int):
    """Discard a draft: it leaves the lists (the row and its audit stay); a signed note is
    refused with a message, anyone but the author with 403."""
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
    try:
        services.session_discard(session=session, user=request.user)
    except SignedRecordLocked:
        messages.error(request, _("A signed note is never discarded: add an addendum instead."))
        return redirect("session_detail", pk=session.pk)
    messages.success(request, _("The draft was discarded."))
    return redirect("patient_chart", pk=session.patient_id)


@login_required
@require_POST
def addendum_create(request: StaffRequest, pk: int):
    session = selectors.session_parts(
        session=or_404(selectors.session_get, user=request.user, session_id=pk)
    )
    form = AddendumForm(request.POST, session=session)
    if form.is_valid():
        try:
            services.addendum_add(session=session, author=request.user, **form.service_arguments())
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Addendum added."))
            return redirect("session_detail", pk=session.pk)
    return session_page_with(request, session, addendum_form=form)


def session_page_with(request: StaffRequest, session, *, addendum_form=None, follow_up_form=None):
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
            "addendum_form": addendum_form or AddendumForm(session=session),
            "record_points": selectors.record_points(session=session),
            "follow_up_form": follow_up_form,
            "red_flags": red_flags_listed(user=request.user, patient=session.patient),
        },
        status=400,
    )
