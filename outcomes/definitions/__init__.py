"""The definitions shipped with the product (JSON, one file per instrument version), loaded by
migration 0002; a clinic loads its own with `manage.py instrument_load` or the admin."""

import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
SHIPPED = ("ndi", "lefs", "psfs", "psfs2")


def shipped_definitions() -> list[dict]:
    return [json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8")) for name in SHIPPED]


def instrument_fields(data: dict) -> dict:
    """The model's columns from a validated definition (outcomes.scoring.definition_validate)."""
    low, high = data["range"]
    return {
        "code": data["code"],
        "version": data["version"],
        "name_en": data["name"]["en"],
        "name_es": data["name"]["es"],
        "definition": data,
        "direction": data["direction"],
        "range_min": low,
        "range_max": high,
        "mcid": data["mcid"],
        "regions": data.get("regions", []),
        "source": data["source"],
        "licence": data["licence"],
    }
