from django import template

from clinic.types import User
from patients.imports import importing_clinics

register = template.Library()


@register.simple_tag
def may_import_patients(user: User) -> bool:
    return importing_clinics(user=user).exists()
