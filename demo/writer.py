"""The demo clinic's writer: stores what demo/planner.py plans, in one transaction.

Patients come a chunk at a time and each model's rows are written in dependency order: 10,000
patients are over a million rows. Rows that others point at are inserted raw (the values the
plan gives, timestamps included, as `loaddata` writes fixtures); on PostgreSQL every model of
plain columns goes through COPY, a few times faster (rows that others point at, such as
patients and sessions, with ids taken from their sequence first), the others in multi-row
INSERTs that return their ids. Neither calls `save()`, which refuses to write signed sessions;
the database's constraints check every row either way.

This is the one bulk path, and it writes what the services would for the same history: each
follow-up's reminder rows as booking it makes them (`reminders_planned`, under the clinic's
reminder policy) and the reports' derived rows (`summaries_refresh`, once for all patients);
tests/demo/test_demo_writer.py compares both with the services. It writes no audit rows: a
seeded history is nobody's action. After the commit it analyzes the database, so the first
report is not planned on empty statistics.
"""

import csv
import datetime as dt
import gc
import io
import itertools
import json
import math
import operator
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.sql import InsertQuery

from clinic.db_statistics import statistics_refresh
from clinic.models import Clinic, Membership
from outcomes.models import InstrumentResponse, ItemAnswer
from patients.models import FunctionalScore, IntakeSubmission, PainScore, Patient
from plans.models import PlanGoal, PlanOfCare
from scheduling.models import Appointment, FollowUp, Reminder, ReminderPolicy, WorkingHours
from scheduling.reminders import policy_for, reminders_planned
from sessions.forecasts import release_forecasts_refresh
from sessions.models import (
    CheckIn,
    MobilityMeasurement,
    ReferenceThreshold,
    SessionFactor,
    TreatmentSession,
    TriggerPoint,
)
from sessions.summaries import summaries_refresh

from .catalogue import (
    CLINICS,
    DEFAULT_PATIENTS,
    DEFAULT_SEED,
    DEFAULT_WEEKS_MAX,
    DEFAULT_WEEKS_MIN,
    DEMO_PASSWORD,
    STAFF,
)
from .planner import DemoPlan, PatientPlan, plan

CHUNK_PATIENTS = 500
BATCH_SIZE = 2000


def db_figures(slugs: Iterable[str] = tuple(c.slug for c in CLINICS)) -> dict[str, int]:
    """The same figures, counted in the database for the demo clinics."""
    slugs = list(slugs)
    by_patient = {"patient__clinic__slug__in": slugs}
    by_session = {"session__patient__clinic__slug__in": slugs}
    pain = PainScore.objects.filter(**by_patient).aggregate(n=Count("id"), total=Sum("score"))
    psfs = FunctionalScore.objects.filter(**by_patient).aggregate(n=Count("id"), total=Sum("score"))
    points = TriggerPoint.objects.filter(**by_session).aggregate(
        n=Count("id"),
        tenderness=Sum("tenderness"),
        hold=Sum("hold_seconds"),
        released=Count("id", filter=Q(released=True)),
    )
    rom = MobilityMeasurement.objects.filter(**by_patient).aggregate(
        n=Count("id"), total=Sum("degrees")
    )
    check_ins = CheckIn.objects.filter(**by_session).aggregate(
        n=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False))
    )
    return {
        "patients": Patient.objects.filter(clinic__slug__in=slugs).count(),
        "intakes": IntakeSubmission.objects.filter(clinic__slug__in=slugs).count(),
        "sessions": TreatmentSession.objects.filter(**by_patient).count(),
        "pain_scores": pain["n"],
        "pain_score_total": pain["total"] or 0,
        "functional_scores": psfs["n"],
        "functional_score_total": psfs["total"] or 0,
        "trigger_points": points["n"],
        "tenderness_total": points["tenderness"] or 0,
        "hold_seconds_total": points["hold"] or 0,
        "released_points": points["released"],
        "mobility": rom["n"],
        "degrees_total": rom["total"] or 0,
        "check_ins": check_ins["n"],
        "check_ins_completed": check_ins["completed"],
        "follow_ups": FollowUp.objects.filter(**by_patient).count(),
        "appointments": Appointment.objects.filter(**by_patient).count(),
    }


# --- Writing ----------------------------------------------------------------------------------


def demo_present() -> bool:
    return Clinic.objects.filter(slug__in=[c.slug for c in CLINICS]).exists()


def usernames_taken() -> list[str]:
    names = [s.username for s in STAFF]
    return sorted(
        get_user_model().objects.filter(username__in=names).values_list("username", flat=True)
    )


@dataclass
class SeedResult:
    rows: dict[str, int]
    trajectories: Counter
    seconds: float


# Written per chunk in this order: each model's rows point only at rows written before them.
WRITE_ORDER = (
    ("patients", Patient, lambda p: [p.patient]),
    ("intakes", IntakeSubmission, lambda p: [p.intake]),
    ("sessions", TreatmentSession, lambda p: p.sessions),
    ("pain scores", PainScore, lambda p: p.pain_scores),
    ("PSFS scores", FunctionalScore, lambda p: p.functional_scores),
    ("trigger points", TriggerPoint, lambda p: p.trigger_points),
    ("factors", SessionFactor, lambda p: p.factors),
    ("reference PPT", ReferenceThreshold, lambda p: p.reference_thresholds),
    ("mobility", MobilityMeasurement, lambda p: p.mobility),
    ("check-ins", CheckIn, lambda p: p.check_ins),
    ("follow-ups", FollowUp, lambda p: p.follow_ups),
    ("appointments", Appointment, lambda p: p.appointments),
    ("plans of care", PlanOfCare, lambda p: p.plans),
    ("plan goals", PlanGoal, lambda p: p.goals),
    ("questionnaires", InstrumentResponse, lambda p: p.instrument_responses),
    ("questionnaire answers", ItemAnswer, lambda p: p.item_answers),
)
# Derived, as the services derive them: reminder rows with their follow-ups, per chunk; the
# reports' rows once at the end.
REMINDERS = "reminders"


@dataclass
class _Tally:
    rows: Counter = field(default_factory=Counter)
    spent: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def write(self, label: str, model, objects: list) -> None:
        started = time.monotonic()
        if _can_copy(model):
            if model not in COPIED:  # rows written later point at these: ids first
                _reserve_ids(model, objects)
            _copy(model, objects, with_ids=model not in COPIED)
        else:
            _insert(model, objects)
        self.spent[label] += time.monotonic() - started
        self.rows[label] += len(objects)


def seed(
    *,
    seed: int = DEFAULT_SEED,
    patients: int = DEFAULT_PATIENTS,
    password: str = DEMO_PASSWORD,
    weeks_min: int = DEFAULT_WEEKS_MIN,
    weeks_max: int = DEFAULT_WEEKS_MAX,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Write the demo clinic in one transaction."""
    say = progress or (lambda message: None)
    began = time.monotonic()
    demo = plan(seed=seed, patients=patients, weeks_min=weeks_min, weeks_max=weeks_max, today=today)
    tally, trajectories = _Tally(), Counter[str]()
    total, done, next_report = demo.patient_count, 0, 10
    chunk_size = min(CHUNK_PATIENTS, max(1, math.ceil(total / 10)))
    with transaction.atomic(), _collect_per_chunk(), _notes_written_whole():
        if connection.vendor == "postgresql":
            # Check each foreign key as its rows go in, not all million at commit: a broken
            # reference then fails at the table that made it, and the commit is not a long
            # silence after the last progress line.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        policies = _write_staff(demo, password)
        say(
            f"Staff: {len(demo.clinics)} clinics, {len(demo.users)} users "
            f"({time.monotonic() - began:.1f} s)"
        )
        while chunk := list(itertools.islice(demo.patients, chunk_size)):
            _write_chunk(chunk, tally, policies)
            trajectories.update(p.trajectory for p in chunk)
            done += len(chunk)
            del chunk
            gc.collect(0)
            if done * 100 >= next_report * total:
                say(
                    f"Patients {done:,}/{total:,} ({done * 100 // total}%) "
                    f"{time.monotonic() - began:.1f} s"
                )
                next_report = done * 100 // total // 10 * 10 + 10
        # One set-based rebuild of the reports' derived rows, not one per patient.
        summaries_refresh(patient_ids=None)
        say(f"Report summaries ({time.monotonic() - began:.1f} s)")
        # The nightly job's sessions-to-release forecasts, so the chart shows them at once.
        for clinic in demo.clinics.values():
            release_forecasts_refresh(clinic_id=clinic.pk)
        say(f"Release forecasts ({time.monotonic() - began:.1f} s)")
        say(f"Committing ({time.monotonic() - began:.1f} s)")
    say(f"Committed ({time.monotonic() - began:.1f} s)")
    statistics_refresh()  # no plan on empty statistics
    say(f"Analyzed ({time.monotonic() - began:.1f} s)")
    for label in [*(label for label, _, _ in WRITE_ORDER), REMINDERS]:
        say(f"  {label:<15} {tally.rows[label]:>9,} rows written in {tally.spent[label]:5.1f} s")
    return SeedResult(
        rows=dict(tally.rows), trajectories=trajectories, seconds=time.monotonic() - began
    )


def _write_staff(demo: DemoPlan, password: str) -> dict[int, ReminderPolicy]:
    """The clinics, their staff and memberships; returns each clinic's reminder policy (the
    defaults a new clinic starts with)."""
    _insert(Clinic, list(demo.clinics.values()))
    hashed = make_password(password)  # once: hashing is slow on purpose
    for user in demo.users.values():
        user.password = hashed
    _insert(get_user_model(), list(demo.users.values()))
    _insert(Membership, demo.memberships)
    _insert(WorkingHours, demo.working_hours)
    return {clinic.pk: policy_for(clinic) for clinic in demo.clinics.values()}


def _write_chunk(chunk: list[PatientPlan], tally: _Tally, policies) -> None:
    for label, model, rows_of in WRITE_ORDER:
        tally.write(label, model, [obj for p in chunk for obj in rows_of(p)])
    _outcomes_linked(chunk)
    booked: list[Appointment | FollowUp] = [
        *(f for p in chunk for f in p.follow_ups),
        *(a for p in chunk for a in p.appointments if a.status == Appointment.Status.BOOKED),
    ]
    tally.write(REMINDERS, Reminder, _reminders_booked(booked, policies))


def _outcomes_linked(chunk: list[PatientPlan]) -> None:
    """A discharged plan's outcome summary names each goal by id, as `plan_discharge` writes
    it: the planner lists the goals in the summary's order, the writer has just given them ids."""
    discharged = []
    for course in chunk:
        for episode in course.plans:
            if episode.outcome_summary:
                goals = [goal for goal in course.goals if goal.plan is episode]
                for entry, goal in zip(episode.outcome_summary, goals, strict=True):
                    entry["goal"] = goal.pk
                discharged.append(episode)
    PlanOfCare.objects.bulk_update(discharged, ["outcome_summary"])


def _reminders_booked(booked: list[Appointment | FollowUp], policies) -> list[Reminder]:
    """The rows `appointment_book` and `follow_up_create` make when the appointment or the
    follow-up is booked (`reminders_planned`, the function both use), at the moment the plan
    says it was booked: when the last note was signed. A reminder whose moment came since then
    is pending, and the first sweep after `make run` starts sends it, as it would after a
    worker outage."""
    reminders = []
    for subject in booked:
        booked_at = subject.created_at
        policy = policies[subject.patient.clinic_id]
        for reminder in reminders_planned(subject=subject, policy=policy, now=booked_at):
            reminder.created_at = reminder.updated_at = booked_at
            reminders.append(reminder)
    return reminders


def _insert(model, objects: list) -> None:
    """INSERT the rows with the values the plan gives, as `loaddata` writes fixtures (a raw
    insert): no `save()`, and no `auto_now` stamp over the history's own times. Several rows per
    statement; their ids come back and are set on the instances, for the rows pointing at them."""
    if not objects:
        return
    for obj in objects:
        # A row planned with an unsaved parent takes the parent's id now (as bulk_create does).
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = min(BATCH_SIZE, connection.ops.bulk_batch_size(fields, objects))
    for start in range(0, len(objects), size):
        batch = objects[start : start + size]
        query = InsertQuery(model)
        query.insert_values(fields, batch, raw=True)
        ids = query.get_compiler(connection=connection).execute_sql(returning_fields=[pk])
        for obj, (value,) in zip(batch, ids, strict=True):
            obj.pk = value
            obj._state.adding, obj._state.db = False, connection.alias


# Nothing points at these rows, so the database numbers them as they are copied in; rows that
# others point at (patients, sessions) are copied with ids taken from their sequence first.
COPIED = frozenset(
    {PainScore, FunctionalScore, TriggerPoint, MobilityMeasurement, CheckIn, ItemAnswer}
)
# Types whose str() PostgreSQL reads back as the same value.
COPY_TYPES = frozenset(
    {
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        # Written as its JSON text, which PostgreSQL reads back as the same value (_copy).
        "JSONField",
        "OneToOneField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)
TEXT_TYPES = frozenset({"CharField", "SlugField", "TextField"})


def _can_copy(model) -> bool:
    """COPY on PostgreSQL for plain columns (JSON as its text); anything else (a database
    default, a nullable text or JSON column) goes the `_insert` way."""
    if connection.vendor != "postgresql":
        return False
    return all(
        f.get_internal_type() in COPY_TYPES
        and not f.has_db_default()
        and not (f.null and f.get_internal_type() in TEXT_TYPES | {"JSONField"})
        for f in model._meta.concrete_fields
        if not f.primary_key
    )


def _reserve_ids(model, objects: list) -> None:
    """Take the next ids of the table's sequence, as INSERT would, and give them to the rows;
    their own `<fk>_id`s are set from the rows they point at, as `_insert` sets them (the
    reminders planned next read a follow-up's `session_id`)."""
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    table, pk = model._meta.db_table, model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objects)],
        )
        for obj, (value,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = value
            obj._state.adding, obj._state.db = False, connection.alias


def _copy(model, objects: list, *, with_ids: bool = False) -> None:
    """COPY the rows in as CSV: an unquoted empty field is NULL, text columns are never NULL.
    `with_ids`: the rows carry their ids (`_reserve_ids`)."""
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    relations = [f.name for f in fields if f.is_relation]
    plain = [f for f in fields if not f.is_relation]
    getter = operator.attrgetter(*(f.attname for f in plain))
    values = getter if len(plain) > 1 else lambda obj: (getter(obj),)
    as_json = [i for i, f in enumerate(plain) if f.get_internal_type() == "JSONField"]

    def row_of(obj) -> list:
        row = list(values(obj))
        for i in as_json:
            row[i] = json.dumps(row[i])
        return row

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for obj in objects:
        # Related rows were written just before and carry their ids now; this row's own
        # `<fk>_id` was set when they had none.
        related = [getattr(obj, name) for name in relations]
        writer.writerow([None if r is None else r.pk for r in related] + row_of(obj))
    buffer.seek(0)
    quote = connection.ops.quote_name
    columns = [f for f in fields if f.is_relation] + plain
    text = [quote(f.column) for f in plain if f.get_internal_type() in TEXT_TYPES]
    options = f", FORCE_NOT_NULL ({', '.join(text)})" if text else ""
    sql = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"FROM STDIN WITH (FORMAT csv{options})"
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, buffer)  # the driver's cursor under Django's wrapper


@contextmanager
def _collect_per_chunk():
    """Python's cyclic garbage collector would rescan each chunk's hundred thousand new objects
    many times over while they are built and written. Instead the writer collects the youngest
    generation once per chunk: it holds just what the chunk allocated, so that frees the same
    (the only cycles: a check-in and its session point at each other) without rescanning the
    rest of the process."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Tables whose rows a signed note locks (treatments migration 0008).
SIGNED_LOCKED = (
    "treatments_treatmentsession",
    "treatments_triggerpoint",
    "treatments_mobilitymeasurement",
    "treatments_addendum",
    "patients_painscore",
    "treatments_sessionfactor",
    "treatments_referencethreshold",
    # A signed plan and its goals (plans migration 0002): the goals are written after their
    # plan, and a discharged plan's outcome summary names them once they have ids.
    "plans_planofcare",
    "plans_plangoal",
)


@contextmanager
def _notes_written_whole():
    """The seed writes each signed note whole, the note before its points and scores, which the
    database's lock on signed notes would refuse. The owner role that seeds switches that lock
    off for this transaction only (ALTER TABLE needs ownership: the application's role cannot)
    and on again before it commits."""
    if connection.vendor != "postgresql":
        yield
        return

    def switch(state: str) -> None:
        with connection.cursor() as cursor:
            for table in SIGNED_LOCKED:
                cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {table}_signed_locked")

    switch("DISABLE")
    yield
    switch("ENABLE")
