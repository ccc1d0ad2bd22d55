"""The MSO directory as a spreadsheet (CSV) and as a printable A4 list (PDF).

Both exports show only what ``public_profile`` exposes: name, short name,
legal form and the fields each organisation agreed to publish. They do not
filter: the caller passes the organisations to list (the listed ones). Text
is in the current UI language, so call them inside a request.
"""
from __future__ import annotations

import unicodedata
from datetime import date
from typing import Iterable

from flask_babel import gettext as _

from ..models.translated import localized
from ..tables import csv_text
from .labels import PUBLISHABLE_FIELD_LABELS
from .public import PUBLIC_FIELD_ORDER, public_profile

AUTHOR = "MIA-DO-KI, Stadt Dortmund"

# -- sorting and grouping (shared by CSV and PDF) ---------------------------

# Latin letters that Unicode does not decompose into base letter + accent.
_FOLD_LETTERS = str.maketrans({
    "ı": "i", "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "þ": "th",
})
OTHER_GROUP = "#"


def sort_key(name: str) -> str:
    """An alphabetical key for a name: case and accents ignored (so "Ü" sorts
    with "U", "ş" with "s"), leading quotes or brackets skipped."""
    decomposed = unicodedata.normalize("NFKD", (name or "").strip())
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    base = base.casefold().translate(_FOLD_LETTERS)
    start = next((i for i, c in enumerate(base) if c.isalnum()), len(base))
    return base[start:] or base


def group_letter(name: str) -> str:
    """The letter heading a name is listed under; "#" for digits and others."""
    first = sort_key(name)[:1]
    return first.upper() if first.isalpha() else OTHER_GROUP


def _sorted_profiles(orgs: Iterable, language: str | None = None) -> list[dict]:
    """The public profiles by name; with ``language``, each description in
    it where the MSO wrote one (else German)."""
    profiles = []
    for org in orgs:
        profile = public_profile(org)
        if language and "description" in profile:
            profile["description"] = localized(org, "description", language).text
        profiles.append(profile)
    return sorted(profiles, key=lambda p: (
        group_letter(p["name"]) != OTHER_GROUP,  # "#" first, in one group
        sort_key(p["name"]), p["name"], p.get("id") or 0))


def _joined(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _field_heading(field: str) -> str:
    return str(PUBLISHABLE_FIELD_LABELS.get(field, field))


# -- CSV ----------------------------------------------------------------------

def directory_csv(orgs: Iterable) -> str:
    """The directory as CSV text (see ``miado_events.tables``), sorted by
    name. Unpublished fields are empty cells."""
    header = [_("Name"), _("Short name"), _("Legal form")]
    header += [_field_heading(field) for field in PUBLIC_FIELD_ORDER]
    rows = []
    for profile in _sorted_profiles(orgs):
        row = [profile["name"], profile.get("short_name", ""), profile.get("legal_form", "")]
        row += [_joined(profile.get(field)) for field in PUBLIC_FIELD_ORDER]
        rows.append(row)
    return csv_text(header, rows)


# -- PDF ----------------------------------------------------------------------

def directory_pdf(orgs: Iterable, issued_on: date) -> bytes:
    """The directory as a printable A4 PDF, sorted by name and grouped by
    initial letter, in the current UI language (the descriptions too, where
    an MSO wrote theirs in it)."""
    from .. import apart
    from ..i18n import ui_language

    # Read here (the database), laid out apart (see miado_events/apart.py).
    profiles = _sorted_profiles(orgs, ui_language())
    return apart.run(_layout, profiles, issued_on)


def _layout(profiles: list[dict], issued_on: date) -> bytes:
    # The layout lives in orgs.directory_pdf, loaded by the first PDF: the CSV
    # (and every worker that never prints) does without fpdf2 and fontTools.
    from .directory_pdf import build

    return build(profiles, issued_on)
