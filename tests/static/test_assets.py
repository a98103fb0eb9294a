"""The front end's own files, read as text: one stylesheet whose every block is closed and whose
rules are written once, page scripts that share one module (static/js/clinic.js) for requests,
the CSRF token, CSV and chart colours, and templates that run under the CSP."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CSS = ROOT / "static" / "css" / "app.css"
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
SHARED = "clinic.js"
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


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


@pytest.mark.parametrize("path", [p for p in SCRIPTS if p.name != SHARED], ids=lambda p: p.name)
def test_a_page_script_leaves_requests_tokens_csv_and_colours_to_the_shared_module(path):
    source = path.read_text()
    assert "fetch(" not in source and "XMLHttpRequest" not in source
    assert "document.cookie" not in source and "csrftoken" not in source.lower()
    assert "text/csv" not in source and "createObjectURL" not in source
    colours = re.findall(r"#[0-9a-fA-F]{3,8}\b|rgba?\(", source)
    assert not colours, f"{path.name} has its own colours {colours}: read app.css's variables"


def _extends_base(template: Path) -> bool:
    """Whether the template's chain of {% extends %} reaches base.html."""
    while template.name != "base.html":
        parent = re.match(r"{% extends \"([^\"]+)\" %}", template.read_text())
        if not parent:
            return False
        template = ROOT / "templates" / parent.group(1)
    return True


def test_the_shared_module_loads_before_every_page_script():
    base = (ROOT / "templates" / "base.html").read_text()
    assert base.index("js/clinic.js") < base.index("{% block scripts %}")
    for template in TEMPLATES:
        text = template.read_text()
        if "js/" in text and template.name != "base.html":
            assert _extends_base(template), f"{template} loads a script without clinic.js"
            assert "js/clinic.js" not in text, f"{template} loads the shared module twice"


def test_the_pain_chart_is_drawn_by_one_renderer_on_both_pages():
    charts_made = {"patient_chart.js": 1, "patient_progress.js": 0}  # the chart page's mobility
    for name, count in charts_made.items():
        source = (ROOT / "static" / "js" / name).read_text()
        assert "PainChart.create(" in source
        assert len(re.findall(r"new (window\.)?Chart\(", source)) == count, name
    for template in ("treatments/patient_chart.html", "reports/patient_progress.html"):
        text = (ROOT / "templates" / template).read_text()
        assert text.index("js/pain_chart.js") < text.index("js/patient_")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_template_has_no_inline_script_style_or_handler(path):
    """A CSP without 'unsafe-inline' must stay possible: scripts and styles come from files."""
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text, "inline <style>"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
