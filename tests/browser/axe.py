"""axe-core (from npm, node_modules/axe-core) run inside the page Playwright shows: the
accessibility rules of WCAG 2.1 A and AA, and the serious or critical violations it finds."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[str]:
    """The serious and critical violations on the page as it is now, one line per element."""
    assert AXE.exists(), "axe-core is missing: run `npm ci` (make setup does)"
    # Evaluated through the debugging protocol, so the page's CSP (script-src 'self') is kept.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    violations = page.evaluate(
        """async () => (await window.axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        })).violations"""
    )
    return [
        f"{v['impact']} {v['id']}: {v['help']} — {node['target']} {node['failureSummary']}"
        for v in violations
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]
