"""The MSO list (``/orgs/list.pdf`` and ``/orgs/list.csv``) built once per change.

Laying out the PDF of 100 MSOs costs about half a second of fpdf2; anyone
may ask for it, as often as they like. So each process keeps the copies it
built and serves them again while what they show is unchanged:

- **What they show** is summed up in a *fingerprint*: a hash of every
  column and tag of the listed MSOs that ``public_profile`` and the
  translated descriptions read. A copy is kept under an ETag made of the
  fingerprint, the kind (PDF, Excel CSV, comma CSV), the language and the
  date printed in it, so languages and variants are separate copies that
  can never be mixed, and a new day gives a new copy.
- **Reading the fingerprint** takes two plain queries over the listed MSOs
  and their tags (1–2 ms for 100 MSOs; loading them as objects would be
  ten times that), so it is kept per value of the page cache's ``site``
  version (``pagecache.site_version()``: every transaction that writes to the
  ``organisations`` or ``organisation_tags`` table changes it in the same
  transaction; writes to one event do not). A request
  whose version is the one seen before costs one small query; the 304 to a
  browser that holds the current copy is answered from it without reading
  or building a body. The version is read *before* the MSOs, so a
  fingerprint kept for a version is never older than that version.
- A registration does not change the ``site`` version, so a busy
  registration day re-reads nothing; a change to an MSO that the list does
  not show (a note, an unlisted MSO) re-reads the MSOs once but builds
  nothing, and browsers keep their copy (the ETag stays the same).
- A copy is stored under the fingerprint of the MSOs it was built from
  (never under one read earlier), so a copy can never stand for data it
  does not show.

Per process (like the page cache), not in a table: a copy is cheap to build
once per process and change, is small, and needs no schema or clean-up.
``PAGE_CACHE=false`` switches the kept copies off (each request builds;
ETag and 304 still work).
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..models.orgs import Organisation, OrganisationTag
from ..pagecache import LRUStore, site_version
from . import queries

#: Copies kept per process: 7 languages × (PDF, two CSVs) for the current
#: list, with room for the previous one. A PDF of 100 MSOs is about 100 kB.
MAX_COPIES = 32
MAX_FINGERPRINTS = 8
_STORE = "miado_mso_list"

#: What the exports read of an organisation (see ``orgs.public`` and
#: ``exports._sorted_profiles``); a change to any of these gives a new copy.
_COLUMNS = ("id", "name", "short_name", "legal_form", "founding_year", "description", "address",
            "email", "phone", "website", "published_fields", "translations")


@dataclass(frozen=True)
class Copy:
    etag: str
    body: bytes


class _Stores:
    def __init__(self) -> None:
        self.fingerprints = LRUStore(MAX_FINGERPRINTS)  # data version -> fingerprint
        self.copies = LRUStore(MAX_COPIES)  # ETag -> Copy

    def clear(self) -> None:
        self.fingerprints.clear()
        self.copies.clear()


def init_app(app: Flask) -> None:
    app.extensions[_STORE] = _Stores()


def _stores() -> _Stores:
    return current_app.extensions[_STORE]


def listed() -> list[Organisation]:
    """The listed MSOs, with their tags, as the exports read them."""
    return list(db.session.scalars(queries.listed_organisations()))


def _hash(rows: Iterable[Sequence], tags: Iterable[Sequence]) -> str:
    """``rows``: the ``_COLUMNS`` of each MSO; ``tags``: (MSO id, kind, value)."""
    tags_of = defaultdict(list)
    for org_id, kind, value in tags:
        tags_of[org_id].append([kind, value])
    data = sorted(([*row, sorted(tags_of[row[0]])] for row in rows), key=lambda item: item[0])
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(orgs: Sequence[Organisation]) -> str:
    """A hash of everything the exports show of ``orgs`` (loaded MSOs)."""
    return _hash(([getattr(org, column) for column in _COLUMNS] for org in orgs),
                 ((org.id, tag.kind, tag.value) for org in orgs for tag in org.tags))


def current_fingerprint() -> str:
    """``fingerprint(listed())``, read without loading objects."""
    ids = queries.listed_organisations().with_only_columns(Organisation.id).order_by(None)
    rows = db.session.execute(select(*(getattr(Organisation, c) for c in _COLUMNS))
                              .where(Organisation.id.in_(ids)))
    tags = db.session.execute(select(OrganisationTag.organisation_id, OrganisationTag.kind,
                                     OrganisationTag.value)
                              .where(OrganisationTag.organisation_id.in_(ids)))
    return _hash(rows, tags)


def _etag(fingerprint_: str, kind: str, locale: str, issued: date) -> str:
    return hashlib.sha256(f"{fingerprint_}|{kind}|{locale}|{issued.isoformat()}".encode()).hexdigest()[:32]


@dataclass
class Download:
    """The list as one request asks for it: ``etag`` is known at once;
    ``body()`` reads the kept copy or builds it (and may then answer with
    a newer ETag, see ``etag`` afterwards)."""

    etag: str
    kind: str
    locale: str
    issued: date
    build: Callable[[list[Organisation]], bytes]

    def body(self) -> bytes:
        keep = current_app.config.get("PAGE_CACHE", True)
        if keep:
            copy = _stores().copies.get(self.etag)
            if copy is not None:
                return copy.body
        # Built from the MSOs read now, and kept under *their* fingerprint.
        orgs = listed()
        self.etag = _etag(fingerprint(orgs), self.kind, self.locale, self.issued)
        data = self.build(orgs)
        if keep:
            _stores().copies.put(self.etag, Copy(self.etag, data))
        return data


def download(kind: str, locale: str, issued: date,
             build: Callable[[list[Organisation]], bytes]) -> Download:
    """The list of ``kind`` ("pdf", "csv-excel", "csv-comma") in ``locale``
    issued on ``issued``; ``build(orgs)`` lays it out (in the request's
    locale: call ``body()`` inside the same ``force_locale``)."""
    if not current_app.config.get("PAGE_CACHE", True):
        return Download(_etag(current_fingerprint(), kind, locale, issued), kind, locale, issued, build)
    version = site_version()  # before the MSOs: see the module's notes
    fingerprints = _stores().fingerprints
    known = fingerprints.get(version) if version is not None else None
    if known is None:
        known = current_fingerprint()
        if version is not None:
            fingerprints.put(version, known)
    return Download(_etag(known, kind, locale, issued), kind, locale, issued, build)
