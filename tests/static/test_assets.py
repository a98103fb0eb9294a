"""The front end's own files, read as text: one stylesheet whose every block is closed and whose
rules are written once."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSS = ROOT / "static" / "css" / "app.css"


def _css_rules(text: str):
    """(at-rules around it, selector, declarations) for every style rule, in order; raises on a
    block closed that was never opened or left open at the end."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    stack: list[str] = []
    for match in re.finditer(r"([^{}]*)\{([^{}]*)(?=\})|([^{}]*)\{|\}", text):
        if match.group(0) == "}":
            assert stack, "a block is closed that was never opened"
            stack.pop()
        elif match.group(2) is not None:
            stack.append(match.group(1))
            yield tuple(a for a in stack[:-1]), " ".join(match.group(1).split()), match.group(2)
        else:
            stack.append(" ".join(match.group(3).split()))
    assert not stack, f"blocks left open at the end of app.css: {stack}"


def test_every_block_of_the_stylesheet_is_closed_where_it_began():
    rules = list(_css_rules(CSS.read_text()))
    media = [(at, selector) for at, selector, _ in rules if at]
    assert all(len(at) == 1 for at, _ in media), "no at-rule nests inside another"
    # The dashboard's figure tiles and the print rules stand outside any phone-only block.
    outside = {selector for at, selector, _ in rules if not at}
    assert {".tiles", ".tile", ".charts"} <= outside
    assert ("@media print", ".topbar, .no-print, button") in [
        (at[0], selector) for at, selector in media
    ]


def test_no_rule_of_the_stylesheet_sets_a_property_twice():
    seen: dict[tuple, str] = {}
    repeated = []
    for at, selector, body in _css_rules(CSS.read_text()):
        properties = [d.split(":", 1)[0].strip() for d in body.split(";") if ":" in d]
        for one in selector.split(","):
            for name in properties:
                key = (at, one.strip(), name)
                if key in seen:
                    repeated.append(key)
                seen[key] = selector
    assert not repeated, repeated
