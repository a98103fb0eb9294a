import re
from pathlib import Path

from django.utils import translation

from patients.forms import STEPS

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_in_the_spanish_catalogue_is_translated():
    po = (ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]  # the first entry is the header
    untranslated = [e for e in entries if e.rstrip().endswith('msgstr ""')]
    # A fuzzy entry (a guess by makemessages) is left out of the compiled catalogue.
    fuzzy = [e for e in entries if "fuzzy" in "".join(re.findall(r"^#,.*$", e, re.M))]
    assert entries and not untranslated and not fuzzy, (untranslated + fuzzy)[:3]


def test_the_compiled_spanish_catalogue_is_what_django_reads():
    with translation.override("es"):
        assert [str(step.title) for step in STEPS[:3]] == [
            "Sobre usted",
            "Su salud",
            "Preguntas de seguridad",
        ]
