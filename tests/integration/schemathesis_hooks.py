"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by test_schemathesis.py): besides the
inputs the schema describes, about half of the cases carry one of the hostile shapes that once
answered 500 (issue 12, item 7): a NUL character in every query parameter and path parameter,
a NUL character in every body text and key (JSON, form or multipart), or a JSON body nested far
deeper than any real one. The run's checks then demand no server error for them either."""

import threading
from pathlib import Path

import schemathesis
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

NUL = "\x00"
# Deeper than JSON_MAX_DEPTH; the client itself (json.dumps, copies of the case) would give up
# near Python's recursion limit, so the 200 KB shape is sent by tests/clinic/test_hostile_input.
DEPTH = 200
# Half the cases keep the generated data; a third for the few operations with a body, which
# get the body shapes.
SHAPES = ("as generated", "as generated", "nul in query", "nul in path")
BODY_SHAPES = ("as generated", "nul in body", "deep body")
# What each hostile case got back, one "shape<TAB>status" line each, for the test to read.
TALLY = Path("hostile-cases.tsv")
_shapes: dict[str, str] = {}
_lock = threading.Lock()


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def _with_nul(value):
    if isinstance(value, str):
        return value[: len(value) // 2] + NUL + value[len(value) // 2 :]
    if isinstance(value, dict):
        return {_with_nul(k): _with_nul(v) for k, v in value.items()} | {"note" + NUL: NUL}
    if isinstance(value, list):
        return [_with_nul(item) for item in value] + [NUL]
    return value


def _has_body(case) -> bool:
    return case.body is not NOT_SET and isinstance(case.body, dict | list)


def _shaped(case, shape: str):
    applied = shape
    if shape == "nul in query":
        case.query = {**{k: _with_nul(str(v)) for k, v in (case.query or {}).items()}, "q": NUL}
    elif shape == "nul in path" and case.path_parameters:
        case.path_parameters = {k: f"{v}{NUL}" for k, v in case.path_parameters.items()}
    elif shape == "nul in body" and _has_body(case):
        case.body = _with_nul(case.body)  # in JSON, form or multipart, as generated
    elif shape == "deep body" and _has_body(case):
        case.media_type = "application/json"
        case.body = {"fields": _nested(DEPTH)} if isinstance(case.body, dict) else _nested(DEPTH)
    else:
        applied = ""
    if applied:
        with _lock:
            _shapes[case.id] = applied
    return case


@schemathesis.hook
def flatmap_case(context, case):
    shapes = BODY_SHAPES if _has_body(case) else SHAPES
    return st.sampled_from(shapes).map(lambda shape: _shaped(case, shape))


@schemathesis.hook
def after_call(context, case, response):
    with _lock:
        shape = _shapes.get(case.id)
        if shape:
            with TALLY.open("a") as out:
                out.write(f"{shape}\t{response.status_code}\n")
