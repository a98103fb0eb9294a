"""Every instrument scored by its own rule, computed by hand, missing items included."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from outcomes.models import Instrument
from outcomes.scoring import definition_validate
from outcomes.services import instrument_load
from tests.outcomes.helpers import odi_like, quickdash_like

pytestmark = pytest.mark.django_db


def shipped(code, version):
    return Instrument.objects.get(clinic=None, code=code, version=version)


def test_ndi_is_the_sum_of_its_ten_items():
    ndi = shipped("ndi", "1991")
    answers = dict(zip([str(n) for n in range(1, 11)], [0, 1, 2, 3, 4, 5, 0, 1, 2, 3], strict=True))
    assert ndi.score(answers) == Decimal("21.00")  # 0+1+2+3+4+5+0+1+2+3


def test_ndi_with_two_items_left_out_is_prorated_to_ten():
    ndi = shipped("ndi", "1991")
    answers = {"1": 2, "2": 2, "3": 3, "4": 3, "5": 1, "6": 1, "7": 4, "8": 4, "9": None}
    # 20 over 8 answered items = 2.5 a item, x 10 items = 25
    assert ndi.score(answers) == Decimal("25.00")


def test_ndi_with_three_items_left_out_has_no_score():
    ndi = shipped("ndi", "1991")
    assert ndi.score({str(n): 3 for n in range(1, 8)}) is None


def test_lefs_all_items_and_four_left_out():
    lefs = shipped("lefs", "1999")
    assert lefs.score({str(n): 4 for n in range(1, 21)}) == Decimal("80.00")
    # 16 answered: eight 2s and eight 3s = 40, 2.5 a item x 20 = 50
    answers = {str(n): 2 if n <= 8 else 3 for n in range(1, 17)}
    assert lefs.score(answers) == Decimal("50.00")
    assert lefs.score({str(n): 3 for n in range(1, 16)}) is None  # 5 left out


def test_directions_and_mcids_are_the_definitions():
    assert shipped("ndi", "1991").direction == "higher_worse"
    assert shipped("ndi", "1991").mcid == 5
    assert shipped("lefs", "1999").direction == "higher_better"
    assert shipped("lefs", "1999").mcid == 9
    # PSFS 2.0 reverses the scale: its own version, its own direction.
    assert shipped("psfs", "1").direction == "higher_better"
    assert shipped("psfs", "2.0").direction == "higher_worse"


def test_psfs_is_the_mean_of_the_patients_activities():
    psfs = shipped("psfs", "1")
    assert psfs.score({"1": 3, "2": 4, "3": 8}) == Decimal("5.00")
    assert psfs.score({"1": 7, "2": 4}) == Decimal("5.50")


def test_every_shipped_definition_records_its_licence_decision_and_both_languages():
    for instrument in Instrument.objects.filter(clinic=None):
        assert instrument.licence.startswith("Shipped.")
        assert instrument.source
        for item in instrument.items:
            assert item["text"]["en"] and item["text"]["es"]


def test_a_loaded_quickdash_like_definition_is_scored_by_its_rule(clinic_a):
    instrument = instrument_load(data=quickdash_like(), clinic=clinic_a, actor_label="test")
    all_eleven = dict(
        zip([f"q{n}" for n in range(1, 12)], [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3], strict=True)
    )
    assert instrument.score(all_eleven) == Decimal("50.00")  # mean 3, (3 - 1) x 25
    ten = {f"q{n}": 2 if n <= 5 else 3 for n in range(1, 11)}
    assert instrument.score(ten) == Decimal("37.50")  # mean 2.5, (2.5 - 1) x 25
    assert instrument.score({f"q{n}": 5 for n in range(1, 10)}) is None  # 9 of 11


def test_a_loaded_odi_like_definition_scores_the_answered_items_as_a_percent(clinic_a):
    instrument = instrument_load(data=odi_like(), clinic=clinic_a, actor_label="test")
    # 9 answered summing 18: 18 / (9 x 5) = 40 %
    answers = {str(n): 2 for n in range(1, 10)}
    assert instrument.score(answers) == Decimal("40.00")


def test_a_definition_whose_range_disagrees_with_its_rule_is_refused():
    with pytest.raises(ValidationError) as refused:
        definition_validate(quickdash_like(range=[0, 80]))
    assert "range" in refused.value.message_dict


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"direction": "up"}, "direction"),
        ({"mcid": 0}, "mcid"),
        ({"licence": ""}, "licence"),
        ({"code": "Bad Code"}, "code"),
        ({"scoring": {"method": "median", "min_answered": 1}}, "scoring.method"),
        ({"scoring": {"method": "mean", "min_answered": 12}}, "scoring.min_answered"),
        ({"name": {"en": "Only English"}}, "name"),
    ],
)
def test_an_incomplete_definition_is_refused_field_by_field(change, field):
    with pytest.raises(ValidationError) as refused:
        definition_validate(quickdash_like(**change))
    assert field in refused.value.message_dict


def test_a_version_with_responses_is_never_replaced(clinic_a, patient, therapist):
    from outcomes.services import response_record

    instrument = instrument_load(data=quickdash_like(), clinic=clinic_a, actor_label="test")
    response_record(actor=therapist, patient=patient, instrument=instrument, answers={"q1": 2})
    with pytest.raises(ValidationError):
        instrument_load(data=quickdash_like(mcid=10), clinic=clinic_a, actor_label="test")
    assert (
        instrument_load(
            data=quickdash_like(version="2"), clinic=clinic_a, actor_label="test"
        ).version
        == "2"
    )


def test_the_command_loads_a_clinics_definition_and_refuses_a_bad_one(clinic_a, tmp_path):
    import json

    good = tmp_path / "qdash.json"
    good.write_text(json.dumps(quickdash_like()), encoding="utf-8")
    call_command("instrument_load", str(good), "--clinic", clinic_a.slug)
    assert Instrument.objects.filter(clinic=clinic_a, code="qdash-test").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(quickdash_like(version="3", mcid=-1)), encoding="utf-8")
    with pytest.raises(CommandError, match="mcid"):
        call_command("instrument_load", str(bad), "--clinic", clinic_a.slug)


def test_a_definition_is_uploaded_in_the_admin_and_a_bad_one_is_refused_on_the_file(
    client, clinic_a, django_user_model
):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)

    def upload(data):
        return client.post(
            "/admin/outcomes/instrument/add/",
            {"clinic": clinic_a.pk, "definition_file": SimpleUploadedFile(
                "d.json", json.dumps(data).encode(), content_type="application/json")},
        )  # fmt: skip

    assert upload(quickdash_like()).status_code == 302
    loaded = Instrument.objects.get(clinic=clinic_a, code="qdash-test")
    assert loaded.score({f"q{n}": 3 for n in range(1, 12)}) == Decimal("50.00")
    refused = upload(quickdash_like(version="2", range=[0, 80]))
    assert refused.status_code == 200 and b"the scoring rule gives" in refused.content
    assert client.get(f"/admin/outcomes/instrument/{loaded.pk}/change/").status_code == 200
