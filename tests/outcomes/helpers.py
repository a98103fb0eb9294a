"""Definitions a clinic might load, with the tests' own wording (never a licensed text)."""


def _wording(text: str) -> dict:
    return {"en": text, "es": f"{text} (es)"}


def quickdash_like(**overrides) -> dict:
    """Shaped like QuickDASH: 11 items 1-5, (mean - 1) x 25, valid with 10 of 11 answered."""
    data = {
        "code": "qdash-test",
        "version": "1",
        "name": _wording("Upper limb test scale"),
        "direction": "higher_worse",
        "range": [0, 100],
        "mcid": 12,
        "regions": ["shoulder", "upper_arm", "elbow", "forearm", "wrist_hand"],
        "scoring": {"method": "mean", "min_answered": 10, "offset": 1, "multiplier": 25},
        "source": "Test definition shaped like QuickDASH (domain.md).",
        "licence": "Test wording written for the test suite.",
        "items": [
            {
                "key": f"q{n}",
                "text": _wording(f"Test task {n}"),
                "options": [{"value": v, "text": _wording(f"Level {v}")} for v in range(1, 6)],
            }
            for n in range(1, 12)
        ],
    }
    data.update(overrides)
    return data


def odi_like() -> dict:
    """Shaped like ODI: 10 items 0-5, a % of the answered items (mean x 20)."""
    return quickdash_like(
        code="odi-test",
        direction="higher_worse",
        range=[0, 100],
        mcid=10,
        regions=["lower_back"],
        scoring={"method": "mean", "min_answered": 8, "multiplier": 20},
        items=[
            {
                "key": str(n),
                "text": _wording(f"Back task {n}"),
                "options": [{"value": v, "text": _wording(f"Grade {v}")} for v in range(6)],
            }
            for n in range(1, 11)
        ],
    )
