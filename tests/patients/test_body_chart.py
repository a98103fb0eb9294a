import importlib
from collections import Counter

import pytest
from django.template import Context, Template
from django.utils import translation

from patients.body_chart import MUSCLE_NAMES, UNPAIRED, chart_views, shape_at, shapes
from patients.forms import pain_regions
from patients.models import BodyRegion, Side
from sessions.models import Muscle

# The old mannequin's spots for the catalogue (sessions migration 0002): where stored points were
# placed around before the anatomical chart.
OLD_SPOTS = importlib.import_module("sessions.migrations.0002_muscle_and_movement_catalogues")


def test_the_body_chart_names_the_patients_side_in_words_on_both_views():
    front, back = chart_views()
    assert (front["left_label"], front["right_label"]) == ("Patient's right", "Patient's left")
    assert (back["left_label"], back["right_label"]) == ("Patient's left", "Patient's right")
    # In anatomical position the patient's right shoulder is on the viewer's left, front view;
    # on the back view the patient's right is on the viewer's right.
    for view, right_is_viewer_left in (("front", True), ("back", False)):
        for shape in shapes()[view]:
            if shape.side in (Side.LEFT, Side.RIGHT):
                assert (shape.anchor[0] < 100) == (
                    (shape.side == Side.RIGHT) == right_is_viewer_left
                ), shape


def test_to_a_patient_the_chart_says_right_and_left_of_their_own_body_and_shows_regions():
    front, back = chart_views(for_patient=True)
    assert (front["left_label"], front["right_label"]) == ("Right", "Left")
    assert (back["left_label"], back["right_label"]) == ("Left", "Right")
    html = Template('{% load body_chart %}{% body_chart "pain-map" for_patient=True %}').render(
        Context()
    )
    assert 'aria-label="Shoulder, Left"' in html and "Patient&#x27;s" not in html
    # A patient is shown body regions, never muscle names.
    assert "data-muscle" not in html and "trapezius" not in html


def test_staff_read_the_muscle_under_the_finger_its_side_and_its_region():
    html = Template('{% load body_chart %}{% body_chart "body-map" %}').render(Context())
    assert html.count('role="button"') == sum(len(v) for v in shapes().values())
    assert 'aria-label="Upper trapezius, Patient&#x27;s right (Shoulder)"' in html
    assert 'data-muscle="upper-trapezius"' in html
    # A muscle on a midline region names its own half; the region keeps its one midline rating.
    assert 'aria-label="Sternocleidomastoid, Patient&#x27;s left (Neck (front))"' in html
    with translation.override("es"):
        spanish = Template('{% load body_chart %}{% body_chart "body-map" %}').render(Context())
    assert "Trapecio superior, Derecha del paciente (Hombro)" in spanish


def test_the_pain_map_keeps_the_region_and_side_vocabulary_of_intake_and_check_in():
    expected = {
        (region, side)
        for region in BodyRegion.values
        for side in ([Side.MIDLINE] if region in UNPAIRED else [Side.LEFT, Side.RIGHT])
    }
    assert {(region, side) for _name, region, side, _label in pain_regions()} == expected
    assert len(pain_regions()) == len(expected)  # each rating once, however many outlines


def test_every_outline_is_a_region_and_paired_outlines_mirror_each_other():
    for view, drawn in shapes().items():
        assert drawn, view
        # Every piece but a whole midline one (the head) has its mirror on the other half.
        halves = Counter(
            (s.region, s.muscle, s.body_side) for s in drawn if s.side != Side.MIDLINE or s.muscle
        )
        for (region, muscle, body_side), count in halves.items():
            other = Side.LEFT if body_side == Side.RIGHT else Side.RIGHT
            assert halves[(region, muscle, other)] == count, (view, region, muscle)
        for shape in drawn:
            # A keyboard pick lands inside the outline it was made on.
            assert shape.contains(*shape.anchor), shape
            assert shape_at(view, shape.anchor[0] / 200, shape.anchor[1] / 400) is not None


def test_the_chart_is_the_full_height_of_the_view_and_about_as_wide_as_the_old_mannequin():
    points = [p for view in shapes().values() for s in view for p in s.points]
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    assert min(ys) >= 0 and max(ys) <= 400 and max(ys) > 395
    # The old figure's hands reached x 34-166 of 200; the new one's 32-168.
    assert 28 <= min(xs) <= 36 and 164 <= max(xs) <= 172


@pytest.mark.django_db
def test_every_muscle_the_chart_names_is_a_catalogue_muscle_under_its_own_name():
    named = {s.muscle for view in shapes().values() for s in view if s.muscle}
    catalogue = dict(Muscle.objects.filter(slug__in=named).values_list("slug", "name"))
    assert set(catalogue) == named == set(MUSCLE_NAMES)
    assert {slug: str(MUSCLE_NAMES[slug]) for slug in named} == catalogue


@pytest.mark.django_db
def test_every_catalogue_muscles_default_spot_lies_on_the_chart_on_its_own_outline_if_drawn():
    drawn = {(v, s.muscle) for v, view in shapes().items() for s in view if s.muscle}
    for muscle in Muscle.objects.all():
        under = shape_at(muscle.chart_view, muscle.chart_x, muscle.chart_y)
        assert under is not None, muscle.name
        if (muscle.chart_view, muscle.slug) in drawn:
            assert under.muscle == muscle.slug, muscle.name
        # The spot is on the viewer's left half (the map mirrors it for the other side).
        assert muscle.chart_x < 0.5


def test_points_placed_on_the_old_mannequin_land_on_the_body_of_the_new_chart():
    """Stored x/y are not migrated: the old catalogue spots, around which points were placed,
    still fall on an outline or within a few units of one (the gaps between muscles)."""
    for name, _region, view, x, y, _snomed in OLD_SPOTS.MUSCLES:
        near = [
            shape_at(view, x + dx / 200, y + dy / 400) for dx in (-4, 0, 4) for dy in (-4, 0, 4)
        ]
        assert any(near), name
