"""A cache for public pages that never serves a stale answer.

The calendar and event pages cost 5–25 ms to build (many sessions, dates
formatted per locale; measured on the benchmark's data) and, for anonymous
visitors, are the same for everyone. During a rush they are asked for hundreds of times a
minute. Each process keeps the pages it built, and serves one again only if:

- **nothing they show has changed**: every transaction that writes to a table
  the public pages read (events, sessions, slots, seats, registrations,
  venues, MSOs) also changes ``data_versions.version`` in the same
  transaction, as its last statement before the commit. A page is stored with the version read *before* its data,
  so a page can be older than its version number but never newer; every
  process sees a commit the moment it happens (the version lives in the
  database, not in a process);
- **no time-dependent state has flipped**: the page says until when it stays
  true (the next session start or end, registration opening or closing,
  midnight); after that it is built again.

Signed-in people, requests carrying flash messages and anything but GET
never use it. The per-visitor CSRF token in the page (the language switcher)
is put in when the page is served.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .database import dialect_insert, utcnow
from .extensions import db
from .models.pagecache import DataVersion

#: The tables whose content shows on the cached pages.
WATCHED_TABLES = frozenset({
    "events", "event_sessions", "registration_slots", "slot_org_seats", "registrations",
    "venues", "organisations", "organisation_tags",  # tags: the MSO list downloads (orgs.list_cache)
    "meeting_agendas", "agenda_items",  # the agenda on event and session pages
    "registration_questions",  # the questions asked on the event page
})
NAME = "public"
_PLACEHOLDER = "\x00csrf-token\x00"
_CHANGED = "pagecache_changed"
MAX_ENTRIES = 512


@dataclass(frozen=True)
class Entry:
    version: int
    valid_until: datetime
    html: str


class LRUStore:
    """A small thread-safe LRU, one per app and process."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            entry = self.items.get(key)
            if entry is not None:
                self.items.move_to_end(key)
            return entry

    def put(self, key, entry) -> None:
        with self.lock:
            self.items[key] = entry
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


def _store() -> LRUStore:
    """This app's pages (each app its own: tests build several apps in one process)."""
    return current_app.extensions["miado_pagecache"]


def current_version() -> int | None:
    return db.session.scalar(select(DataVersion.version).where(DataVersion.name == NAME))


def usable() -> bool:
    return (current_app.config.get("PAGE_CACHE", True) and request.method == "GET"
            and not current_user.is_authenticated and not session.get("_flashes"))


def page(render: Callable[[], str], valid_until: Callable[[datetime], datetime | None]) -> str:
    """The HTML of the public page the request asks for (kept by path, query
    string and language). ``render()`` builds it; ``valid_until(now)`` says
    until when what it shows stays true by time alone (None: no limit), and
    is asked only when the page is stored."""
    if not usable():
        return render()
    version = current_version()
    if version is None:  # nothing written yet: nothing to compare with
        return render()
    key = (request.path, request.query_string, str(get_locale()))
    now = utcnow()
    store = _store()
    entry = store.get(key)
    if entry is None or entry.version != version or now >= entry.valid_until:
        g.pagecache_rendering = True
        try:
            html = render()
        finally:
            g.pagecache_rendering = False
        until = valid_until(now) or datetime.max.replace(tzinfo=now.tzinfo)
        entry = Entry(version, until, html)
        store.put(key, entry)
    if _PLACEHOLDER in entry.html:
        return entry.html.replace(_PLACEHOLDER, Markup.escape(generate_csrf()))
    return entry.html


def csrf_token() -> str:
    """The template's ``csrf_token()``: a placeholder while a shared page is built."""
    if g.get("pagecache_rendering"):
        return _PLACEHOLDER
    return generate_csrf()


def earliest_after(now: datetime, moments) -> datetime | None:
    future = [m for m in moments if m is not None and m > now]
    return min(future) if future else None


# --- keeping the version true -----------------------------------------------------------------

def _mark(session: Session) -> None:
    session.info[_CHANGED] = True


def _bump(session: Session) -> None:
    """Give the version a new random value, in the writing transaction, as its
    last statement. Random rather than counting: a database emptied and filled
    again (tests, a restore) can never repeat a value some process still holds
    a page for. Last, because on PostgreSQL the row stays locked until the
    commit: taken last and held only for the commit, it can neither deadlock
    with the seat locks nor hold other writers back for long."""
    connection = session.connection()
    value = secrets.randbits(62)
    connection.execute(dialect_insert(DataVersion, connection).values(name=NAME, version=value)
                       .on_conflict_do_update(index_elements=["name"], set_={"version": value}))


def _touches_watched(objects) -> bool:
    return any(getattr(obj, "__tablename__", None) in WATCHED_TABLES for obj in objects)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    if _touches_watched(session.new) or _touches_watched(session.dirty) or _touches_watched(session.deleted):
        _mark(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state):
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) not in WATCHED_TABLES:
        return None
    if state.is_insert:
        _mark(state.session)
        return None
    # An UPDATE or DELETE that matched no row changed nothing.
    result = state.invoke_statement()
    if getattr(result, "rowcount", -1) != 0:
        _mark(state.session)
    return result


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending marks the transaction too
    if session.info.pop(_CHANGED, False):
        _bump(session)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous) -> None:
    # A savepoint rolled back leaves the outer transaction's changes standing.
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)


def init_app(app: Flask) -> None:
    app.extensions["miado_pagecache"] = LRUStore(MAX_ENTRIES)
    # Flask-WTF offers ``csrf_token`` both as a global and from a context
    # processor; this one runs after it (init_app comes after the
    # extensions), so templates get the placeholder-aware function.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
