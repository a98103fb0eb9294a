"""/sessions/<id>/history: a note's past states as the database kept them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.audit import audit_read
from clinic.shortcuts import or_404
from clinic.types import StaffRequest

from .. import selectors


@login_required
@require_GET
def session_history(request: StaffRequest, pk: int):
    session = or_404(selectors.session_get, user=request.user, session_id=pk)
    audit_read(user=request.user, obj=session)
    return render(
        request,
        "treatments/session_history.html",
        {
            "session": session,
            "patient": session.patient,
            "versions": selectors.session_history_rows(session=session),
        },
    )
