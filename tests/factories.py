import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clinic.models import Clinic, Membership, Role
from patients.models import PainScore, PainSource, Patient
from scheduling.models import Appointment, FollowUp, Reminder
from sessions.models import Muscle, TreatmentSession, TriggerPoint
from sessions.summaries import summaries_refresh


class SummarisedFactory(factory.django.DjangoModelFactory):
    """Rows the reports read through derived tables: rebuilt after each create, as the
    services that write such rows do."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with transaction.atomic():
            row = super()._create(model_class, *args, **kwargs)
            patient_id = getattr(row, "patient_id", None) or row.session.patient_id
            summaries_refresh(patient_ids=[patient_id])
        return row


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    time_zone = "America/Toronto"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    role = Role.THERAPIST


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1980, 5, 17)
    email = factory.Sequence(lambda n: f"patient{n}@example.com")


class TreatmentSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentSession
        skip_postgeneration_save = True  # a signed session refuses a second save

    patient = factory.SubFactory(PatientFactory)
    therapist = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(timezone.now)
    subjective = "Neck stiff after long days at the desk."

    class Params:
        # The clinic's default minimum for signing: a SOAP field (above) and pain before.
        ready_to_sign = factory.Trait(
            pain_before=factory.RelatedFactory(
                "tests.factories.PainScoreFactory",
                factory_related_name="session",
                patient=factory.SelfAttribute("..patient"),
                recorded_at=factory.SelfAttribute("..started_at"),
            )
        )


class TriggerPointFactory(SummarisedFactory):
    class Meta:
        model = TriggerPoint

    session = factory.SubFactory(TreatmentSessionFactory)
    muscle = factory.LazyFunction(lambda: Muscle.objects.get(slug="upper-trapezius"))
    side = "right"
    chart_view = "back"
    x = 0.4
    y = 0.16
    tenderness = 6
    hold_seconds = 30
    pressure = 5


class PainScoreFactory(SummarisedFactory):
    class Meta:
        model = PainScore

    patient = factory.SubFactory(PatientFactory)
    recorded_at = factory.LazyFunction(timezone.now)
    source = PainSource.PRE_SESSION
    region = "neck_back"
    side = "right"
    score = 6


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    patient = factory.SubFactory(PatientFactory)
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A row as the database holds it; bookings in tests go through appointment_book."""

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    clinic = factory.SelfAttribute("patient.clinic")
    therapist = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + dt.timedelta(minutes=45))


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    follow_up = factory.SubFactory(FollowUpFactory)
    patient = factory.SelfAttribute("follow_up.patient")
    channel = "email"
    kind = Reminder.Kind.BEFORE_48H
    send_at = factory.LazyFunction(timezone.now)
