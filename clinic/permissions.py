"""What a user may see. Every page, API view and report narrows its queryset through `visible`.

A scoped model declares two class attributes:
- `clinic_lookup`: the ORM path from the model to its Clinic (`"clinic"`, `"patient__clinic"`);
- `is_clinical`: True when its rows are clinical content that front desk must never read.

A row that belongs to a patient is found along `patient_path(model)`. A patient who asked for
erasure (`Patient.erasure_requested_at`) is *restricted*: `visible` leaves them and every row of
theirs out of every routine read (lists, search, chart, API, reports, exports), and so out of
every write that starts from a read. Only the managers' handling of the request asks for them
back (`restricted=True`): the chart, where a manager sees the request.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, cast

from django.db.models import ForeignKey, Model, Q, QuerySet

from .models import CLINICAL_ROLES, MANAGING_ROLES, REGISTERING_ROLES, Membership
from .types import AnyUser


class Scoped(Protocol):
    """What a scoped model declares beside being a Model (see above)."""

    clinic_lookup: ClassVar[str]
    is_clinical: ClassVar[bool]


@dataclass(frozen=True)
class Access:
    clinic_ids: frozenset[int]
    clinical_clinic_ids: frozenset[int]
    # Clinics whose manager (or administrator) the user is: reports, audit, settings.
    managed_clinic_ids: frozenset[int] = frozenset()
    # Clinics where the user registers and edits patients (front desk, managers).
    registering_clinic_ids: frozenset[int] = frozenset()
    # The zone pages are shown in: the user's first clinic's (most staff work in one clinic).
    time_zone: str | None = None

    def may_read_clinical(self, clinic_id: int) -> bool:
        return clinic_id in self.clinical_clinic_ids


NO_ACCESS = Access(frozenset(), frozenset())


def access_for(user: AnyUser) -> Access:
    """The clinics a user works in, and those where their role reads clinical content."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_clinic_access", None)
    if cached is not None:
        return cached
    rows = list(access_rows(Membership.objects.filter(user=user)).values_list(*ACCESS_FIELDS))
    return remember_access(user, rows)


# What `access_for` reads of a user's memberships, in its order; `access_rows` narrows any
# membership queryset to them, so the API's token lookup can fetch them in its own query.
ACCESS_FIELDS = ("clinic_id", "role", "clinic__time_zone")


def access_rows(memberships: QuerySet) -> QuerySet:
    return memberships.filter(is_active=True).order_by("created_at", "id")


def remember_access(user: AnyUser, rows: Iterable[Sequence]) -> Access:
    """The Access of `rows` (ACCESS_FIELDS of the user's active memberships, in order), kept on
    the user: one lookup per request, however many selectors run."""
    rows = list(rows)
    access = Access(
        clinic_ids=frozenset(clinic_id for clinic_id, _, _ in rows),
        clinical_clinic_ids=frozenset(cid for cid, role, _ in rows if role in CLINICAL_ROLES),
        managed_clinic_ids=frozenset(cid for cid, role, _ in rows if role in MANAGING_ROLES),
        registering_clinic_ids=frozenset(cid for cid, role, _ in rows if role in REGISTERING_ROLES),
        time_zone=rows[0][2] if rows else None,
    )
    # An attribute the stubs do not know.
    user._clinic_access = access  # type: ignore[union-attr]
    return access


def patient_path(model: type[Model]) -> str | None:
    """The ORM path from a scoped model to the patient its rows belong to ("" for Patient
    itself), or None for a model whose rows belong to no patient (a clinic's settings)."""
    if model._meta.label_lower == "patients.patient":
        return ""
    prefix = cast("type[Scoped]", model).clinic_lookup.removesuffix("clinic").removesuffix("__")
    if prefix.endswith("patient"):
        return prefix
    names = {field.name for field in model._meta.get_fields()}
    return "patient" if "patient" in names else None


def unrestricted(model: type[Model]) -> Q:
    """The condition that keeps rows of patients who have not asked for erasure (and rows of
    no patient at all, such as an intake not linked to one yet), and no merged duplicate."""
    path = patient_path(model)
    if path is None:
        return Q()
    if path == "":
        return Q(erasure_requested_at__isnull=True) & unmerged(model)
    if path == "patient" and cast("type[Scoped]", model).clinic_lookup == "clinic":
        patient = model._meta.get_field(path)
        if isinstance(patient, ForeignKey) and not patient.null:
            # A report's derived rows name their clinic: rather than join every patient to
            # each of hundreds of thousands of rows, leave out the few restricted ones (the
            # database looks them up once). Not for a nullable patient: NOT IN is never
            # true for NULL.
            patients = cast("type[Model]", patient.related_model)._default_manager
            restricted = patients.filter(erasure_requested_at__isnull=False)
            return ~Q(patient_id__in=restricted.values("pk"))
    field = f"{path}__erasure_requested_at" if path else "erasure_requested_at"
    return Q(**{f"{field}__isnull": True})


def unmerged(model: type[Model]) -> Q:
    """A merged duplicate is a tombstone (its rows moved to the record it was merged into): out
    of every read, restricted ones included."""
    return Q(merged_into__isnull=True) if patient_path(model) == "" else Q()


def visible(
    user: AnyUser, queryset: QuerySet | type[Model], *, restricted: bool = False
) -> QuerySet:
    """Narrow `queryset` to the rows `user` may see: their clinics, clinical rows only for
    clinical roles, and no row of a restricted patient. Anything else is simply absent, so a
    wrong id answers 404. `restricted=True` (the manager's handling of an erasure request)
    keeps restricted patients of the clinics the user manages."""
    if not isinstance(queryset, QuerySet):
        queryset = queryset._default_manager.all()
    model = cast("type[Scoped]", queryset.model)
    access = access_for(user)
    clinic_ids = access.clinical_clinic_ids if model.is_clinical else access.clinic_ids
    keep = unrestricted(queryset.model)
    if restricted:
        keep |= Q(**{f"{model.clinic_lookup}__in": access.managed_clinic_ids}) & unmerged(
            queryset.model
        )
    return queryset.filter(keep, **{f"{model.clinic_lookup}__in": clinic_ids})
