"""/sessions/<id>/print: a signed note laid out for a referral, printed or saved as PDF by the
browser (clinic header, patient, the record, addenda, the signature in the clinic's zone)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clinic.audit import audit_read
from clinic.shortcuts import or_404

from .. import selectors


@login_required
@require_GET
def session_print(request, pk: int):
    session = selectors.session_parts(
        session=or_404(selectors.session_get, user=request.user, session_id=pk)
    )
    audit_read(user=request.user, obj=session)
    if not session.is_signed:
        return redirect("session_detail", pk=session.pk)  # a draft is not a record to send yet
    return render(
        request, "treatments/session_print.html", {"session": session, "patient": session.patient}
    )
