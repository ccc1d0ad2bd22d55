"""Rules every template keeps, checked on the files themselves."""
from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_scrolling_table_region_can_be_reached_by_keyboard():
    """A table that is wider than a phone scrolls inside its .table-wrap; a
    keyboard user can scroll it only if the region takes the focus (WCAG 2.1.1;
    axe: scrollable-region-focusable)."""
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r'<div class="table-wrap"[^>]*>', path.read_text(encoding="utf-8")):
            if 'tabindex="0"' not in tag:
                missing.append(f"{path.relative_to(TEMPLATES)}: {tag}")
    assert not missing
