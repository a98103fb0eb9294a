"""Patients from another system, as CSV: check every row, then import all or nothing.

A file is first read without writing anything (the dry run): each row gets its problems,
field by field, or says whether it is a new patient or one already registered. The import
writes only a file with no problems, in one transaction, and skips patients already
registered: the same patient is the same clinic, first and last name (ignoring case and
surrounding spaces) and date of birth, so importing a file twice creates nobody twice.
`interop.exports.patients_csv` writes these same columns, so an export imports elsewhere.
"""

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Field, QuerySet
from django.utils.translation import gettext as _

from clinic.audit import audit_record_patients
from clinic.models import REGISTERING_ROLES, AuditEvent, Clinic
from clinic.spreadsheet import csv_uncell
from clinic.transactions import retrying_atomic
from clinic.types import User

from .models import Patient

logger = logging.getLogger(__name__)

PATIENT_COLUMNS = [
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "preferred_language",
    "preferred_channel",
    "consents_to_email",
    "consents_to_sms",
    "activity_profile",
    "occupation",
    "postures",
]
REQUIRED_COLUMNS = ("first_name", "last_name", "date_of_birth")
BOOLEAN_COLUMNS = ("consents_to_email", "consents_to_sms")
# Left empty, these take the model's default rather than failing as an invalid choice.
DEFAULTED_COLUMNS = ("preferred_language", "activity_profile")
HEADER_ALIASES = {
    "dob": "date_of_birth",
    "birth_date": "date_of_birth",
    "given_name": "first_name",
    "family_name": "last_name",
    "surname": "last_name",
}
MAX_ROWS = 50_000
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


@dataclass
class ImportRow:
    line: int  # the row's line in the file; the header is line 1
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    existing: bool = False
    patient: Patient | None = None

    @property
    def outcome(self) -> str:
        if self.errors:
            return "invalid"
        return "existing" if self.existing else "new"

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()


@dataclass
class ImportReport:
    clinic: Clinic
    dry_run: bool
    rows: list[ImportRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(row.errors for row in self.rows)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def new_count(self) -> int:
        return self.count("new")

    @property
    def existing_count(self) -> int:
        return self.count("existing")

    @property
    def invalid_count(self) -> int:
        return self.count("invalid")


def _key(first: str, last: str, born: dt.date) -> tuple[str, str, dt.date]:
    return (first.strip().casefold(), last.strip().casefold(), born)


def _uncell(value: str) -> str:
    """Undo the apostrophe the CSV export puts before a cell that looks like a formula."""
    return csv_uncell(value.strip())


def _read(text: str, report: ImportReport) -> list[ImportRow]:
    try:
        return _read_rows(text, report)
    except csv.Error as error:  # e.g. a cell over the csv module's 128 KB limit
        report.file_errors.append(
            _("This is not a readable CSV file (%(error)s).") % {"error": error}
        )
        return []


def _read_rows(text: str, report: ImportReport) -> list[ImportRow]:
    first_line = text.partition("\n")[0]
    if not first_line.strip():
        report.file_errors.append(_("The file is empty."))
        return []
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [
        HEADER_ALIASES.get(name, name)
        for name in (h.strip().lower().replace(" ", "_") for h in next(reader))
    ]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        report.file_errors.append(
            _("Columns missing from the first line: %(columns)s.") % {"columns": ", ".join(missing)}
        )
        return []
    report.ignored_columns = [name for name in header if name not in PATIENT_COLUMNS]
    rows: list[ImportRow] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            report.file_errors.append(
                _("More than %(max)d patients: split the file.") % {"max": MAX_ROWS}
            )
            return []
        row = ImportRow(
            line=reader.line_num,
            values={
                name: _uncell(value)
                for name, value in zip(header, values, strict=False)
                if name in PATIENT_COLUMNS
            },
        )
        if len(values) > len(header):
            row.errors.append(_("More cells than columns in the first line."))
        rows.append(row)
    return rows


def _boolean(value: str) -> bool:
    value = value.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationError(_("Use yes or no."))


def _check_birth(born: dt.date) -> None:
    if born > dt.date.today():
        raise ValidationError(_("The date of birth is in the future."))
    if born.year < 1900:
        raise ValidationError(_("The date of birth is before 1900."))


def _validate(row: ImportRow, clinic: Clinic) -> None:
    """Each cell through its model field's own parsing, choices and validators. (Not a
    ModelForm: that also checks the model's constraints with one query per row, which the
    database checks anyway on insert; a 10,000-row file took 27 s instead of about 1.)"""
    patient = Patient(clinic=clinic)
    for name in PATIENT_COLUMNS:
        model_field = cast(Field, Patient._meta.get_field(name))  # columns are concrete fields
        raw = row.values.get(name, "")
        value: Any
        try:
            if name in BOOLEAN_COLUMNS:
                value = _boolean(raw)
            elif not raw and name in DEFAULTED_COLUMNS:
                value = model_field.get_default()
            elif not raw and name in REQUIRED_COLUMNS:
                raise ValidationError(_("This field is required."))
            else:
                value = model_field.clean(raw, patient)
            if name == "date_of_birth":
                _check_birth(value)
        except ValidationError as error:
            row.errors.extend(f"{name}: {message}" for message in error.messages)
        else:
            setattr(patient, name, value)
    if not row.errors:
        row.patient = patient


def _match(rows: list[ImportRow], clinic: Clinic) -> None:
    """Mark duplicates inside the file (an error) and patients already registered (skipped)."""
    valid = [(row, row.patient) for row in rows if row.patient]
    births = {p.date_of_birth for _row, p in valid}
    registered = {
        _key(first, last, born)
        for first, last, born in Patient.objects.filter(
            clinic=clinic, date_of_birth__in=births
        ).values_list("first_name", "last_name", "date_of_birth")
    }
    first_seen: dict[tuple, int] = {}
    for row, p in valid:
        key = _key(p.first_name, p.last_name, p.date_of_birth)
        if key in first_seen:
            row.errors.append(
                _("Same name and date of birth as line %(line)d.") % {"line": first_seen[key]}
            )
            row.patient = None
            continue
        first_seen[key] = row.line
        row.existing = key in registered


def patients_import(
    *, clinic: Clinic, text: str, dry_run: bool, actor: User | None = None, actor_label: str = ""
) -> ImportReport:
    """Check every row of a patient CSV and, unless `dry_run`, import the new patients if no row
    has a problem. Importing the same file again creates nobody. Each patient created gets its
    audit row naming who imported: the staff `actor`, or `actor_label` for the command."""
    if actor is None and not actor_label:
        raise ValueError("An import names who makes it: actor or actor_label.")
    report = _import(
        clinic=clinic, text=text, dry_run=dry_run, actor=actor, actor_label=actor_label
    )
    if dry_run or not report.ok:
        return report
    # Counts only: names and dates of birth never go to the logs.
    logger.info(
        "patients imported into clinic %s: %d new, %d already registered",
        clinic.pk,
        report.created,
        report.count("existing"),
    )
    return report


@retrying_atomic
def _import(
    *, clinic: Clinic, text: str, dry_run: bool, actor: User | None, actor_label: str
) -> ImportReport:
    report = ImportReport(clinic=clinic, dry_run=dry_run)
    if not dry_run:
        # Two imports into one clinic at once would both see a patient as new.
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    report.rows = _read(text, report)
    for row in report.rows:
        _validate(row, clinic)
    _match(report.rows, clinic)
    if dry_run or not report.ok:
        return report
    new = [row.patient for row in report.rows if row.patient and row.outcome == "new"]
    Patient.objects.bulk_create(new, batch_size=1000)
    audit_record_patients(
        action=AuditEvent.Action.CREATE, patients=new, actor=actor, actor_label=actor_label
    )
    report.created = len(new)
    return report


def decode_upload(data: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without Excel's byte-order mark), else Windows-1252,
    which the spreadsheets of many clinics still write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def importing_clinics(*, user: User) -> QuerySet[Clinic]:
    """The clinics where `user` may import patients: registering patients is the front desk's
    and managers' work."""
    return Clinic.objects.filter(
        memberships__user=user, memberships__is_active=True, memberships__role__in=REGISTERING_ROLES
    ).order_by("name", "slug")
