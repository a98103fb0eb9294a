"""Hostile input answers 400 with a clear message at the edge, never 500: JSON nested far too
deep, and the NUL character (which PostgreSQL refuses in any text) in any part of a request."""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from clinic import input_guard
from tests.api_client import api_as
from tests.clinic.test_access_matrix import MATRIX, world  # noqa: F401  (a fixture)
from tests.factories import TreatmentSessionFactory

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000  # about 200 KB
NESTED_IN_A_FIELD = '{"subjective": ' + "[" * 5000 + "]" * 5000 + "}"
DEPTH = "nests deeper than"
NUL = "NUL character"


def _api_views(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and issubclass(view, APIView):
                yield pattern.name, view


def test_every_api_view_reads_bodies_through_the_guarded_parsers():
    views = dict(_api_views(get_resolver().url_patterns))
    assert len(views) > 20
    unguarded = {
        name: [parser.__module__ for parser in view.parser_classes]
        for name, view in views.items()
        if any(parser.__module__ != "clinic.input_guard" for parser in view.parser_classes)
    }
    assert not unguarded, unguarded


def test_deep_json_to_the_token_endpoint_answers_400_without_signing_in(client):
    response = client.post("/api/v1/auth/token/", DEEP, content_type="application/json")

    assert response.status_code == 400
    assert DEPTH in response.json()["detail"]


@pytest.mark.parametrize("body", [DEEP, NESTED_IN_A_FIELD])
def test_deep_json_to_the_api_writes_answers_400(therapist, patient, body):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    api = api_as(therapist)
    answers = [
        api.patch(f"/api/v1/sessions/{session.pk}/", body, content_type="application/json"),
        api.post("/api/v1/sessions/", body, content_type="application/json"),
        api.post("/api/v1/follow-ups/", body, content_type="application/json"),
        api.post(f"/api/v1/sessions/{session.pk}/addenda/", body, content_type="application/json"),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.content[:200]
        assert DEPTH in answer.json()["detail"]


@pytest.mark.parametrize("body", [DEEP, NESTED_IN_A_FIELD])
def test_deep_json_to_the_draft_autosave_answers_400(client, therapist, patient, body):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)

    response = client.post(
        reverse("session_draft", args=[session.pk]), body, content_type="application/json"
    )

    assert response.status_code == 400
    assert DEPTH in response.json()["errors"]["__all__"][0]


def test_a_nul_in_a_draft_text_field_answers_400_and_saves_nothing(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist, subjective="before")
    client.force_login(therapist)

    response = client.post(
        reverse("session_draft", args=[session.pk]),
        json.dumps({"subjective": "neck\u0000pain"}),
        content_type="application/json",
    )

    assert response.status_code == 400 and NUL in response.json()["errors"]["__all__"][0]
    session.refresh_from_db()
    assert session.subjective == "before"


def test_a_draft_sent_as_a_form_answers_400(client, therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    client.force_login(therapist)

    response = client.post(reverse("session_draft", args=[session.pk]), {"subjective": "x"})

    assert response.status_code == 400


def test_a_nul_in_the_sign_in_username_answers_400(client):
    response = client.post(reverse("login"), {"username": "alice\x00", "password": "x"})

    assert response.status_code == 400 and NUL in response.content.decode()


def test_a_nul_in_the_token_endpoint_answers_400_as_json_and_as_a_form(client):
    as_json = client.post(
        "/api/v1/auth/token/",
        json.dumps({"username": "alice\u0000", "password": "x"}),
        content_type="application/json",
    )
    as_form = client.post("/api/v1/auth/token/", {"username": "alice\x00", "password": "x"})

    for response in (as_json, as_form):
        assert response.status_code == 400 and NUL in response.json()["detail"]


def test_a_nul_in_an_api_body_answers_400_for_every_content_type(therapist, patient):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    api = api_as(therapist)
    url = f"/api/v1/sessions/{session.pk}/"
    form = "application/x-www-form-urlencoded"

    answers = [
        api.patch(url, {"subjective": "neck\x00pain"}, format="json"),
        api.patch(url, "subjective=neck%00pain", content_type=form),
        api.patch(url, {"subjective": "neck\x00pain"}, format="multipart"),
        api.patch(url, {"subjective\x00": "x"}, format="json"),
        api.post("/api/v1/follow-ups/", {"note": "call\x00back"}, format="json"),
        api.post("/api/v1/follow-ups/", "note=call%00back", content_type=form),
    ]

    for answer in answers:
        assert answer.status_code == 400 and NUL in answer.json()["detail"], answer.content


@pytest.mark.parametrize("caller", ["anonymous", "therapist", "front_desk", "manager"])
def test_a_nul_in_the_query_string_of_every_route_answers_400(client, world, caller):  # noqa: F811
    if caller != "anonymous":
        client.force_login(world["users"][caller])
    wrong = []
    for name, (method, path, *_rest) in MATRIX.items():
        if name == "logout":
            continue
        url = path.format(**world)
        joiner = "&" if "?" in url else "?"
        for query in ("q=ana%00rey", "search=%00", "clinic=%00", "patient=1%00", "x%00=1"):
            response = getattr(client, method)(f"{url}{joiner}{query}")
            if response.status_code != 400 or NUL not in response.content.decode():
                wrong.append(f"{name} {url}{joiner}{query}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "url",
    [
        "/patients/?q=%00",
        "/follow-ups/new/?q=ana%00",
        "/api/v1/export/patients.csv?clinic=%00",
        "/api/v1/patients/?search=%00",
        "/audit/?actor=%00",
        "/dashboard/?clinic=%00",
    ],
)
def test_the_searches_and_exports_that_reached_postgresql_answer_400(client, manager, url):
    client.force_login(manager)

    response = client.get(url)

    assert response.status_code == 400 and NUL in response.content.decode()


def test_a_nul_in_every_staff_form_field_answers_400(client, world):  # noqa: F811
    client.force_login(world["users"]["therapist"])
    posts = [path.format(**world) for method, path, *_ in MATRIX.values() if method == "post"]
    posts += ["/intakes/invite/", "/follow-ups/new/", f"/intake/{world['intake_token']}/"]
    wrong = []
    for url in posts:
        if url == "/accounts/logout/":
            continue
        response = client.post(url, {"note": "a\x00b", "username": "x", "text": "\x00"})
        if response.status_code != 400:
            wrong.append(f"{url}: {response.status_code}")
    assert not wrong, wrong


def test_a_nul_in_a_cookie_or_a_header_answers_400(client):
    # "\\000" is how a quoted cookie spells a NUL; the session cookie reaches a query.
    cookie = 'sessionid="' + "\\000" * 8 + '"'

    assert client.get("/patients/", headers={"Cookie": cookie}).status_code == 400
    assert client.get("/patients/", headers={"X-Anything": "a\x00"}).status_code == 400


def test_ordinary_text_and_json_still_pass():
    assert input_guard.json_load(b'{"a": [1, {"b": "caf\\u00e9"}]}') == {"a": [1, {"b": "café"}]}
    with pytest.raises(input_guard.HostileInput):
        input_guard.json_load(b'{"a": NaN}')
    with pytest.raises(input_guard.HostileInput):
        input_guard.json_load(b'"\\ud800"')


ODD_INSTANTS = ("0946-10-21T17:26:56-16:15", "9999-12-31T23:59:00-16:00", "0001-01-01T00:00+01:00")


@pytest.mark.parametrize("instant", ODD_INSTANTS)
def test_a_date_time_postgresql_cannot_hold_answers_400_or_is_read_in_utc(
    client, therapist, patient, instant
):
    session = TreatmentSessionFactory(patient=patient, therapist=therapist)
    api = api_as(therapist)
    client.force_login(therapist)
    filters = [
        "intakes/?submitted_before",
        "pain-scores/?recorded_after",
        "sessions/?started_after",
        "mobility/?measured_before",
        "follow-ups/?due_after",
    ]

    answers = [api.get(f"/api/v1/{f}={instant}") for f in filters] + [
        api.patch(f"/api/v1/sessions/{session.pk}/", {"started_at": instant}, format="json"),
        api.post("/api/v1/follow-ups/", {"patient": patient.pk, "due_at": instant}, format="json"),
        client.post(f"/follow-ups/new/?patient={patient.pk}", {"due_at": instant, "kind": "call"}),
        client.post(
            reverse("session_draft", args=[session.pk]),
            json.dumps({"started_at": instant}),
            content_type="application/json",
        ),
    ]

    assert all(answer.status_code in (200, 201, 302, 400) for answer in answers), [
        answer.status_code for answer in answers
    ]
