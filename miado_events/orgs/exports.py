"""The MSO directory as a spreadsheet (CSV) and as a printable A4 list (PDF).

Both exports show only what ``public_profile`` exposes: name, short name,
legal form and the fields each organisation agreed to publish. They do not
filter: the caller passes the organisations to list (the listed ones). Text
is in the current UI language, so call them inside a request.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from flask_babel import gettext as _

from ..models.translated import localized
from ..tables import csv_text
from .directory_text import (AUTHOR, OTHER_GROUP, _field_heading, _joined,  # noqa: F401 - the exports' names
                             group_letter, sort_key)
from .public import PUBLIC_FIELD_ORDER, public_profile


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
