"""One layout checker for every page at its real size (tests/browser/test_screens.py
and the rehearsal): text cut off, text overlapping text, text off a screen
that cannot scroll.

It works on text itself (Range rectangles of each visible text node, one per
line fragment), not on element boxes, so a wide block that merely contains a
short text does not count as an overlap. Animations are finished first so a
row caught mid-slide is not reported.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

# The checker, evaluated in the page with page.evaluate(LAYOUT_JS, options).
# options: {scrollable: bool, ignore: [css selectors whose text is not checked]}
# Returns a list of problem strings (empty when the page is fine).
LAYOUT_JS = r"""
(opts) => {
  const scrollable = !!opts.scrollable;
  const ignore = opts.ignore || [];
  const TOL = 1.5;             // px: sub-pixel rounding
  const problems = [];
  for (const a of document.getAnimations()) {
    try { a.finish(); } catch (e) { /* infinite animations cannot finish */ }
  }
  const W = window.innerWidth, H = window.innerHeight;

  const label = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 3; e = e.parentElement) {
      let s = e.tagName.toLowerCase();
      if (e.id) { s += '#' + e.id; parts.unshift(s); break; }
      if (e.classList.length) s += '.' + [...e.classList].slice(0, 2).join('.');
      parts.unshift(s);
    }
    return parts.join(' > ');
  };
  const snippet = (t) => JSON.stringify(t.replace(/\s+/g, ' ').trim().slice(0, 40));
  const visible = (el) => el.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && !el.closest('.visually-hidden, select, script, style, template, noscript')
    && !ignore.some((sel) => el.closest(sel));
  const clips = (style) => ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflowY);

  // 1. text fragments
  const frags = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim()) continue;
    const el = node.parentElement;
    if (!el || !visible(el)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      frags.push({node, el, r});
    }
  }

  // 2. cut off: clipping ancestors that hide part of a text fragment
  const checkedClip = new Set();
  for (const f of frags) {
    for (let e = f.el; e && e !== document.body && e !== document.documentElement; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (!clips(style)) continue;
      const box = e.getBoundingClientRect();
      const left = box.left + e.clientLeft, top = box.top + e.clientTop;
      const right = left + e.clientWidth, bottom = top + e.clientHeight;
      if (f.r.left < left - TOL || f.r.right > right + TOL || f.r.top < top - TOL || f.r.bottom > bottom + TOL) {
        if (!checkedClip.has(e)) problems.push(`cut off: ${snippet(f.node.data)} in ${label(f.el)} (clipped by ${label(e)})`);
        checkedClip.add(e);
        break;
      }
    }
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (checkedClip.has(el) || !el.textContent.trim() || !visible(el)) continue;
    const style = getComputedStyle(el);
    if (!(clips(style) || style.textOverflow === 'ellipsis')) continue;
    if (el.scrollWidth > el.clientWidth + TOL || el.scrollHeight > el.clientHeight + TOL) {
      // an overflow-hidden box that only clips decoration (no text beyond its edge) is fine:
      // compare against the text fragments inside it
      const box = el.getBoundingClientRect();
      const inside = frags.filter((f) => el.contains(f.node));
      const out = inside.some((f) => f.r.right > box.right + TOL || f.r.bottom > box.bottom + TOL
        || f.r.left < box.left - TOL || f.r.top < box.top - TOL);
      if (out || (style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + TOL)) {
        problems.push(`cut off: ${snippet(el.textContent)} in ${label(el)} (scroll ${el.scrollWidth}x${el.scrollHeight} > client ${el.clientWidth}x${el.clientHeight})`);
      }
    }
  }

  // 3. outside the viewport
  for (const f of frags) {
    const outX = f.r.left < -TOL || f.r.right > W + TOL;
    const outY = f.r.top < -TOL || f.r.bottom > H + TOL;
    if (outX || (!scrollable && outY)) {
      problems.push(`off screen: ${snippet(f.node.data)} in ${label(f.el)} at ` +
        `${Math.round(f.r.left)},${Math.round(f.r.top)}-${Math.round(f.r.right)},${Math.round(f.r.bottom)} (viewport ${W}x${H})`);
    }
  }
  if (document.documentElement.scrollWidth > W + TOL) {
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth} > ${W}`);
  }
  if (!scrollable && document.documentElement.scrollHeight > H + TOL && getComputedStyle(document.body).overflowY !== 'hidden') {
    problems.push(`page scrolls: ${document.documentElement.scrollHeight} > ${H}`);
  }

  // 4. text over text: fragments of different text nodes whose boxes intersect
  //    by more than a third of the smaller line's height (inline boxes of
  //    tightly set lines touch; real overlaps cover the glyphs)
  frags.sort((a, b) => a.r.top - b.r.top);
  const seen = new Set();
  for (let i = 0; i < frags.length; i++) {
    const a = frags[i];
    for (let j = i + 1; j < frags.length && frags[j].r.top < a.r.bottom; j++) {
      const b = frags[j];
      if (a.node === b.node) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > 2 && h > Math.max(2, Math.min(a.r.height, b.r.height) / 3)) {
        const key = `${label(a.el)}|${label(b.el)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        problems.push(`overlap: ${snippet(a.node.data)} in ${label(a.el)} and ${snippet(b.node.data)} in ${label(b.el)}`);
      }
    }
  }
  return problems;
}
"""


def layout_problems(page, scrollable: bool, ignore: tuple[str, ...] = ()) -> list[str]:
    """Problems of the page as it is now (fonts loaded, animations finished)."""
    page.evaluate("() => document.fonts.ready")
    return page.evaluate(LAYOUT_JS, {"scrollable": scrollable, "ignore": list(ignore)})


def check_layout(page, where: str, scrollable: bool, ignore: tuple[str, ...] = (),
                 problems: list[str] | None = None) -> list[str]:
    """Collect the page's problems, labelled with ``where``, into ``problems``
    (so one test can report every page and size at once); returns them."""
    found = [f"{where}: {p}" for p in layout_problems(page, scrollable, ignore)]
    folder = os.environ.get("LAYOUT_SCREENSHOTS")  # set it to look at every checked state
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / (re.sub(r"[^\w.-]+", "_", where) + ".png")))
    if problems is not None:
        problems.extend(found)
    return found
