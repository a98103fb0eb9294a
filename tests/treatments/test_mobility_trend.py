import pytest
from django.utils import timezone

from sessions.models import MobilityMeasurement, Movement
from sessions.selectors import mobility_trend
from tests.factories import TreatmentSessionFactory

pytestmark = pytest.mark.django_db


def test_mobility_trend_gives_degrees_and_the_percentage_of_the_normal_range(patient):
    session = TreatmentSessionFactory(patient=patient)
    rotation = Movement.objects.get(code="cervical-rotation")
    MobilityMeasurement.objects.create(
        patient=patient,
        session=session,
        movement=rotation,
        side="left",
        degrees=60,
        measured_at=timezone.now(),
    )

    (row,) = mobility_trend(patient=patient)

    assert rotation.normal_degrees == 80
    assert row["degrees"] == 60 and row["percent_of_normal"] == pytest.approx(75.0)
    assert row["movement_code"] == "cervical-rotation" and row["side"] == "left"
