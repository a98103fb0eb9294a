import logging

from celery import current_app as celery_app
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import second_factor
from .api_tokens import api_token_revoke, api_tokens_revoke
from .audit import audit_record
from .auth import sign_in_unlock
from .forms import AuditFilterForm
from .middleware import mark_active
from .models import ApiToken, AuditEvent
from .permissions import access_for
from .selectors import api_tokens_of, audit_events, locked_staff, unlockable_staff
from .spreadsheet import csv_lines
from .types import StaffRequest

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("healthz: database unreachable")
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.exception("healthz: broker unreachable")
        return False


@require_GET
@never_cache
def healthz(request: HttpRequest):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "down" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


@login_required
@require_POST
def keepalive(request: StaffRequest):
    """The warning's "Stay signed in": renews the session now, however recently it was."""
    request.session["active_at"] = 0
    mark_active(request.session)
    return HttpResponse(status=204)


@login_required
@never_cache
def second_factor_step(request: StaffRequest):
    """The second step of every staff sign-in: a code from the authenticator app, enrolled here
    on the first sign-in (QR code, then one-time recovery codes), or a recovery code."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    device = second_factor.device_for(user)
    enrolling = device is None or device.confirmed_at is None
    if enrolling:
        device = second_factor.enrolment_begin(user=user)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        recovery = request.POST.get("recovery_code", "")
        # A throttled address or a locked code step never gets here (throttle.py answers 429).
        checked = second_factor.code_verify(user=user, code=code) if code else None
        if checked or (
            recovery and not enrolling and second_factor.recovery_code_use(user=user, code=recovery)
        ):
            request.session.cycle_key()
            request.session[second_factor.SESSION_KEY] = True
            if enrolling:
                codes = second_factor.recovery_codes_issue(user=user)
                return render(
                    request,
                    "registration/recovery_codes.html",
                    {"codes": codes, "next": next_url or reverse("home")},
                )
            return redirect(next_url or "home")
        if checked is second_factor.CodeCheck.JUST_USED:
            error = _("This code was just used; wait for the next one.")
        else:
            error = _("That code did not work. Check the time on your phone and try again.")
    context = {"enrolling": enrolling, "error": error, "next": next_url}
    if enrolling and device is not None:  # enrolment_begin gave one
        context |= {"qr": second_factor.provisioning_qr(device), "secret": device.secret}
    return render(request, "registration/second_factor.html", context, status=400 if error else 200)


AUDIT_CSV_COLUMNS = (
    "at",
    "actor__username",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "request_id",
)


@login_required
@require_GET
def audit_report(request: StaffRequest):
    """Managers read their clinics' audit trail, filtered, on screen or as CSV."""
    if not access_for(request.user).managed_clinic_ids:
        raise Http404
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = audit_events(user=request.user, **filters)
    if request.GET.get("format") == "csv" and (form.is_valid() or not request.GET):
        audit_record(action=AuditEvent.Action.EXPORT, actor=request.user)
        return _csv_download("audit.csv", AUDIT_CSV_COLUMNS, events.values_list(*AUDIT_CSV_COLUMNS))
    audit_record(action=AuditEvent.Action.LIST, actor=request.user)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    context["locked"] = locked_staff(user=request.user)
    return render(
        request,
        "clinic/audit_report.html",
        context,
        status=200 if form.is_valid() or not request.GET else 400,
    )


@login_required
@require_POST
def sign_in_unlock_view(request: StaffRequest, user_id: int):
    """A manager lifts the sign-in locks of a member of staff of a clinic they manage."""
    try:
        staff = unlockable_staff(user=request.user, user_id=user_id)
    except get_user_model().DoesNotExist:
        raise Http404 from None
    sign_in_unlock(user=staff, actor=request.user)
    messages.success(
        request, _("%(name)s can sign in again.") % {"name": staff.get_full_name() or staff}
    )
    return redirect("audit_report")


@login_required
@never_cache
def api_tokens(request: StaffRequest):
    """The caller's own API tokens: when issued and from where, last used, when they end."""
    now = timezone.now()
    tokens = [(t, t.is_usable(now)) for t in api_tokens_of(user=request.user)[:100]]
    return render(
        request,
        "clinic/api_tokens.html",
        {
            "tokens": tokens,
            "idle_minutes": settings.API_TOKEN_IDLE_MINUTES,
            "max_hours": settings.API_TOKEN_MAX_HOURS,
        },
    )


@login_required
@require_POST
def api_token_revoke_view(request: StaffRequest, token_id: int):
    token = get_object_or_404(api_tokens_of(user=request.user), pk=token_id)
    api_token_revoke(token=token, actor=request.user, reason=ApiToken.Reason.BY_OWNER)
    messages.success(request, _("The token was revoked."))
    return redirect("api_tokens")


@login_required
@require_POST
def api_tokens_revoke_all_view(request: StaffRequest):
    api_tokens_revoke(user=request.user, actor=request.user, reason=ApiToken.Reason.BY_OWNER)
    messages.success(request, _("Every token was revoked."))
    return redirect("api_tokens")


def _csv_download(filename: str, header, rows) -> StreamingHttpResponse:
    """Streams rows as CSV, so memory stays flat however long the trail; every cell goes through
    the one escaping rule (clinic.spreadsheet): actor labels and request ids come from outside."""
    lines = csv_lines(header, rows)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
