from django.template import Context, Template

from patients.body_chart import chart_views
from patients.models import BodyRegion


def test_the_body_chart_names_the_patients_side_in_words_on_both_views():
    front, back = chart_views()
    assert (front["left_label"], front["right_label"]) == ("Patient's right", "Patient's left")
    assert (back["left_label"], back["right_label"]) == ("Patient's left", "Patient's right")
    # In anatomical position the patient's right shoulder is on the viewer's left, front view.
    right_shoulder = next(
        s for s in front["shapes"] if s["region"] == "shoulder" and s["side"] == "right"
    )
    assert right_shoulder["cx"] < 100


def test_to_a_patient_the_chart_says_right_and_left_of_their_own_body():
    front, back = chart_views(for_patient=True)
    assert (front["left_label"], front["right_label"]) == ("Right", "Left")
    assert (back["left_label"], back["right_label"]) == ("Left", "Right")
    html = Template('{% load body_chart %}{% body_chart "pain-map" for_patient=True %}').render(
        Context()
    )
    assert 'aria-label="Shoulder, Left"' in html and "Patient&#x27;s" not in html


def test_every_body_region_can_be_picked_on_some_view_and_each_shape_is_labelled():
    shapes = [s for v in chart_views() for s in v["shapes"]]
    assert {s["region"] for s in shapes} == set(BodyRegion.values)
    html = Template('{% load body_chart %}{% body_chart "pain-map" %}').render(Context())
    assert html.count('role="button"') == len(shapes)
    assert 'aria-label="Shoulder, Patient&#x27;s left"' in html
