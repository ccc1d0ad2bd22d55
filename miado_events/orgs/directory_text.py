"""What the MSO list's CSV and PDF share: the author, the alphabetical
order and grouping of names, and how a field is headed and written. A module
of its own so that the PDF layout (``orgs.directory_pdf``, loaded only by the
first PDF) and the exports (``orgs.exports``) both use it without importing
each other."""
from __future__ import annotations

import unicodedata

from .labels import PUBLISHABLE_FIELD_LABELS

AUTHOR = "MIA-DO-KI, Stadt Dortmund"

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


def _joined(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _field_heading(field: str) -> str:
    return str(PUBLISHABLE_FIELD_LABELS.get(field, field))
