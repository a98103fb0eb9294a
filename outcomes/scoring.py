"""An instrument's definition as data, validated, and its scoring rule.

A definition is a JSON document (the shipped ones live in `outcomes/definitions/`, a clinic loads
its own licensed ones with `manage.py instrument_load` or the admin). Scoring is one of two rules,
enough for the instruments in domain.md:

- `sum`: the sum of the item values; with fewer items answered (but at least `min_answered`) the
  sum is prorated to every item (the mean of the answered items times the number of items): NDI
  with one or two items left out, LEFS with up to four.
- `mean`: (mean of the answered items - `offset`) x `multiplier`, with at least `min_answered`:
  QuickDASH is (mean - 1) x 25 with 10 of 11; ODI is the mean x 20 (a % of the answered items);
  PSFS is the plain mean of the patient's own activities.

The declared range must be the one the rule gives from the answer options, so a definition whose
figures disagree with its own items is refused rather than scored wrongly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError

LANGUAGES = ("en", "es")
DIRECTIONS = ("higher_better", "higher_worse")
METHODS = ("sum", "mean")
CODE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
VERSION = re.compile(r"^[A-Za-z0-9._-]{1,16}$")
CENT = Decimal("0.01")
# PSFS: the patient names the activities; each is rated on this scale, at most this many.
ACTIVITIES_MAX = 5


def _wording(value, where: str, errors: dict) -> None:
    if not isinstance(value, dict) or any(
        not isinstance(value.get(lang), str) or not value[lang].strip() for lang in LANGUAGES
    ):
        errors[where] = f"needs its wording in {' and '.join(LANGUAGES)}"


def _number(value, where: str, errors: dict) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors[where] = "must be a number"
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        errors[where] = "must be a number"
        return None


def _items(data: Mapping, errors: dict) -> list[dict]:
    items = data.get("items")
    if not isinstance(items, list):
        errors["items"] = "must be a list"
        return []
    keys: set[str] = set()
    for index, item in enumerate(items):
        where = f"items.{index}"
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        key = item.get("key")
        if not isinstance(key, str) or not key or len(key) > 16 or key in keys:
            errors[f"{where}.key"] = "must be a unique text of at most 16 characters"
        keys.add(str(key))
        _wording(item.get("text"), f"{where}.text", errors)
        options = item.get("options")
        if not isinstance(options, list) or len(options) < 2:
            errors[f"{where}.options"] = "needs at least two answer options"
            continue
        values = []
        for number, option in enumerate(options):
            if not isinstance(option, dict) or not isinstance(option.get("value"), int):
                errors[f"{where}.options.{number}.value"] = "must be a whole number"
                continue
            values.append(option["value"])
            _wording(option.get("text"), f"{where}.options.{number}.text", errors)
        if len(set(values)) != len(values):
            errors[f"{where}.options"] = "values must differ"
    return items


def _activities(data: Mapping, errors: dict) -> dict | None:
    activities = data.get("activities")
    if activities is None:
        return None
    if not isinstance(activities, dict):
        errors["activities"] = "must be an object"
        return None
    low, high = activities.get("min_value"), activities.get("max_value")
    if not isinstance(low, int) or not isinstance(high, int) or low >= high:
        errors["activities"] = "needs whole min_value < max_value"
        return None
    return activities


def _scale(items: list[dict], activities: dict | None) -> list[tuple[int, int]]:
    """(lowest, highest) answer of every item (one for the patient's activities)."""
    if activities is not None:
        return [(activities["min_value"], activities["max_value"])]
    scales = []
    for item in items:
        values = [o["value"] for o in item.get("options", []) if isinstance(o, dict)]
        values = [v for v in values if isinstance(v, int)]
        if values:
            scales.append((min(values), max(values)))
    return scales


def _header(data: dict, errors: dict) -> None:
    """Code, version, name, source, licence, direction, MCID and regions."""
    if not isinstance(data.get("code"), str) or not CODE.match(data["code"]):
        errors["code"] = "lower-case letters, digits, - or _, at most 32"
    if not isinstance(data.get("version"), str) or not VERSION.match(data["version"]):
        errors["version"] = "letters, digits, '.', '-' or '_', at most 16"
    _wording(data.get("name"), "name", errors)
    for field in ("source", "licence"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            errors[field] = "must say where the instrument comes from and why it may be used"
    if data.get("direction") not in DIRECTIONS:
        errors["direction"] = f"one of {', '.join(DIRECTIONS)}"
    mcid = _number(data.get("mcid"), "mcid", errors)
    if mcid is not None and mcid <= 0:
        errors["mcid"] = "must be above 0"
    regions = data.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        errors["regions"] = "must be a list of body regions"


def definition_validate(data: object) -> dict:
    """The definition if it is complete and consistent; ValidationError with a message per
    field otherwise (keys as dotted paths into the document)."""
    if not isinstance(data, dict):
        raise ValidationError({"definition": "must be a JSON object"})
    errors: dict[str, str] = {}
    _header(data, errors)
    items = _items(data, errors)
    activities = _activities(data, errors)
    if bool(items) == (activities is not None):
        errors["items"] = "a definition has either fixed items or the patient's own activities"
    scoring = data.get("scoring")
    if not isinstance(scoring, dict) or scoring.get("method") not in METHODS:
        errors["scoring.method"] = f"one of {', '.join(METHODS)}"
    else:
        _scoring(data, scoring, items, activities, errors)
    if errors:
        raise ValidationError(errors)
    return data


def _scoring(data, scoring, items, activities, errors) -> None:
    count = ACTIVITIES_MAX if activities is not None else len(items)
    least = scoring.get("min_answered")
    if not isinstance(least, int) or not 1 <= least <= max(count, 1):
        errors["scoring.min_answered"] = f"a whole number from 1 to {count}"
        return
    offset = _number(scoring.get("offset", 0), "scoring.offset", errors)
    multiplier = _number(scoring.get("multiplier", 1), "scoring.multiplier", errors)
    declared = data.get("range")
    if not isinstance(declared, list) or len(declared) != 2:
        errors["range"] = "must be [lowest, highest]"
        return
    low, high = (_number(v, "range", errors) for v in declared)
    scales = _scale(items, activities)
    if low is None or high is None or None in (offset, multiplier) or not scales or errors:
        return
    rule = ScoringRule(scoring, item_count=len(items))
    lowest = rule.total({str(i): s[0] for i, s in enumerate(scales)}, activities=activities)
    highest = rule.total({str(i): s[1] for i, s in enumerate(scales)}, activities=activities)
    if (lowest, highest) != (low.quantize(CENT), high.quantize(CENT)):
        errors["range"] = f"the scoring rule gives {lowest} to {highest} from the options"


class ScoringRule:
    """An instrument's rule applied to one set of answers (item key -> value, a missing item
    absent or None). None when too few items are answered to score."""

    def __init__(self, scoring: Mapping, *, item_count: int):
        self.method = scoring["method"]
        self.min_answered = int(scoring["min_answered"])
        self.offset = Decimal(str(scoring.get("offset", 0)))
        self.multiplier = Decimal(str(scoring.get("multiplier", 1)))
        self.item_count = item_count

    def total(self, answers: Mapping[str, int | None], *, activities=None) -> Decimal | None:
        values = [Decimal(v) for v in answers.values() if v is not None]
        if len(values) < self.min_answered or not values:
            return None
        added = sum(values, Decimal(0))
        mean = added / len(values)
        if self.method == "sum" and activities is None:
            # Every item answered: the plain sum; fewer: prorated to every item.
            total = added if len(values) == self.item_count else mean * self.item_count
        else:
            total = (mean - self.offset) * self.multiplier
        return total.quantize(CENT, rounding=ROUND_HALF_UP)
