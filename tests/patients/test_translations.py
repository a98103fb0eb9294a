"""Every page a patient sees is in English and Spanish; the staff pages need only be
translation-ready, so their strings may stay untranslated in the catalogue."""

import ast
import re
from pathlib import Path

from django import forms
from django.utils import translation
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

from outcomes.forms import PsfsForm
from patients.forms import STEPS, ConsentForm, GoalsForm, PainMapForm, RedFlagForm
from patients.models import BodyRegion, Side
from sessions.forms import CheckInForm

ROOT = Path(__file__).resolve().parents[2]
PATIENT_TEMPLATES = [
    "patient_base.html",
    "link_unavailable.html",
    "busy.html",
    "components/form_field.html",
    "components/body_chart.html",
    "patients/intake_step.html",
    "patients/intake_thanks.html",
    "patients/email/intake_invitation.txt",
    "patients/email/intake_invitation_subject.txt",
    "treatments/check_in.html",
    "treatments/check_in_thanks.html",
    "outcomes/questionnaire.html",
    "outcomes/_psfs_fields.html",
    "scheduling/follow_up_reply.html",
    "scheduling/waitlist_join.html",
    "scheduling/waitlist_offer.html",
]


def _spanish_catalogue() -> dict:
    return trans_real.translation("es")._catalog


def _template_messages(name: str) -> set[str]:
    source = (ROOT / "templates" / name).read_text(encoding="utf-8")
    calls = re.findall(r"gettext\((u'(?:[^'\\]|\\.)*')\)", templatize(source))
    return {ast.literal_eval(call[1:]) for call in calls}


def _form_messages() -> set[str]:
    """Labels, help, choices and step titles the intake and check-in forms show (with no
    translation active, a lazy string is its msgid)."""
    with translation.override(None):
        found = {str(step.title) for step in STEPS}
        found |= {str(label) for _value, label in BodyRegion.choices + Side.choices}
        step_forms = [step.form_class() for step in STEPS if step.form_class]
        check_in = CheckInForm(regions=[])
        psfs = PsfsForm(activities=["Putting on socks"])
        for form in [*step_forms, check_in, psfs]:
            for name, field in form.fields.items():
                # A pain-map label joins a region and a side, each checked on its own; a PSFS
                # rating's label is the activity the patient named.
                own = name.startswith(("pain_", "rating_"))
                label = "" if own else str(field.label)
                found |= {label, str(field.help_text or "")}
                found |= {str(m) for m in field.error_messages.values() if "%(" not in str(m)}
                if isinstance(field, forms.ChoiceField):
                    found |= {str(label) for _value, label in field.choices}
    return {message for message in found if message and not message.startswith("Activity ")}


def test_every_string_on_the_patient_pages_and_forms_has_a_spanish_translation():
    catalogue = _spanish_catalogue()
    wanted = set().union(*(_template_messages(name) for name in PATIENT_TEMPLATES))
    wanted |= _form_messages() - {"---------"}
    missing = sorted(m for m in wanted if m not in catalogue)
    assert {"Step %(number)s of %(total)s", "Treatment needs your consent."} <= wanted
    assert not missing, missing


def test_the_catalogue_has_no_fuzzy_guesses_which_would_be_left_out_silently():
    po = (ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert not re.findall(r"^#,.*\bfuzzy\b", po.split("\n\n", 1)[1], re.M)


def test_the_intake_forms_render_in_spanish():
    with translation.override("es"):
        assert [str(step.title) for step in STEPS[:3]] == [
            "Sobre usted",
            "Su salud",
            "Preguntas de seguridad",
        ]
        assert "Osteoporosis" in RedFlagForm().as_div()
        assert "Hombro, Derecha" in PainMapForm().as_div()  # to a patient: their right
        assert "Escriba su nombre completo para firmar" in ConsentForm().as_div()
        assert "Actividad 2" in GoalsForm().as_div()
