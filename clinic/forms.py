import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .auth import is_locked_out
from .models import AuditEvent


def in_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A parsed date-time in UTC. ISO 8601 text may carry any offset (-16:15) and any year, which
    PostgreSQL refuses with an error (a 500): in UTC the offset is gone, and a year past the
    range becomes a validation error."""
    if value is None:
        return None
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationError(
            _("Enter a date and time between the years 1 and 9999."), code="overflow"
        ) from None


class InstantField(forms.DateTimeField):
    """A form's date-time, always in UTC (see `in_utc`)."""

    def to_python(self, value):
        return in_utc(super().to_python(value))


class StaffAuthenticationForm(AuthenticationForm):
    """Says plainly when an account is locked, instead of "wrong password" forever."""

    def clean(self):
        if is_locked_out(self.data.get("username", "")):
            raise ValidationError(
                _("Too many failed sign-ins. Try again in %(minutes)d minutes.")
                % {"minutes": settings.LOGIN_LOCKOUT_MINUTES},
                code="locked_out",
            )
        return super().clean()


class AuditFilterForm(forms.Form):
    """The manager's audit report filters; every field optional."""

    username = forms.CharField(label=_("User"), max_length=150, required=False)
    patient = forms.IntegerField(label=_("Patient id"), min_value=1, required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("Any"))] + AuditEvent.Action.choices, required=False
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data  # what Form.clean answers (the stubs allow None)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned
