from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .auth import is_locked_out


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
