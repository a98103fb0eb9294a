"""Plans' answers to what the patient record announces."""

from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils.translation import gettext as _

from patients.signals import patient_merging

from .models import PlanOfCare


@receiver(patient_merging, dispatch_uid="plans_one_active_plan_after_merge")
def refuse_two_active_plans(sender, *, survivor, merged, **kwargs) -> None:
    """A patient has one active plan at a time (a constraint): two records that each have one
    are merged after one of the plans is discharged, never by silently closing a signed plan."""
    active = PlanOfCare.objects.filter(
        patient_id__in=[survivor.pk, merged.pk], status=PlanOfCare.Status.ACTIVE
    )
    if active.count() > 1:
        raise ValidationError(
            {"duplicate": [_("Both records have an active plan of care: discharge one first.")]}
        )
    # One draft per patient too (a constraint): a merge never discards a draft silently.
    drafts = PlanOfCare.objects.filter(
        patient_id__in=[survivor.pk, merged.pk], status=PlanOfCare.Status.DRAFT
    )
    if drafts.count() > 1:
        raise ValidationError(
            {"duplicate": [_("Both records have a draft plan of care: sign or discard one first.")]}
        )
