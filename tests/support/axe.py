"""axe-core (tests/vendor/axe-core, vendored by static/vendor/fetch.py) in a Playwright page.

The pages' Content-Security-Policy allows no inline script, so axe is added as an
init script of the browser context (injected by the browser itself, before the
page's own scripts, on every page the context opens) rather than as a <script> tag.
"""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what the festival's pages promise.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN = """
async (tags) => {
  const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                  resultTypes: ['violations']});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${(n.failureSummary || '').split('\\n')[1] || ''}`),
    count: v.nodes.length}));
}
"""


def add_axe(context) -> None:
    """Make axe available on every page ``context`` opens."""
    context.add_init_script(path=str(AXE))


def axe_violations(page, where: str) -> list[str]:
    """The page's WCAG 2.1 A/AA violations as it is now, one line each, labelled ``where``."""
    page.evaluate("() => document.fonts.ready")
    # Colours mid-fade are not what people read: finish transitions and entrance animations first.
    page.evaluate("() => { for (const a of document.getAnimations()) { try { a.finish(); } catch (e) { } } }")
    found = page.evaluate(RUN, TAGS)
    return [f"{where}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']}: {'; '.join(v['nodes'])}"
            for v in found]
