"""A cache for public pages that never serves a stale answer.

The calendar and event pages cost 5–25 ms to build (many sessions, dates
formatted per locale; measured on the benchmark's data) and, for anonymous
visitors, are the same for everyone. During a rush they are asked for hundreds of times a
minute. Each process keeps the pages it built, and serves one again only if:

- **nothing they show has changed** (the *data versions* below);
- **no time-dependent state has flipped**: the page says until when it stays
  true (the next session start or end, registration opening or closing,
  midnight); after that it is built again.

Signed-in people, requests carrying flash messages and anything but GET
never use it. The per-visitor CSRF token in the page (the language switcher)
is put in when the page is served.

Data versions, one row per *scope*
----------------------------------

``data_versions`` holds one row per scope: ``event:<id>`` for what belongs
to one event (the event, its sessions, slots, MSO seat counters,
registrations, agenda and questions) and ``site`` for the rest of what the
public pages show (venues, MSOs and their tags) and for any write whose event
cannot be told (a bulk statement over several events). Every transaction
that writes to a watched table (``WATCHED_TABLES``) raises the row of each
scope it touched, in the same transaction, as its last statements before the
commit::

    INSERT ... ON CONFLICT (name) DO UPDATE SET version = data_versions.version + <random 1..2^20>

A new row starts at a random value below 2^40. So every row only grows, and
the sum over any set of rows grows strictly with every commit that touches
one of them (it cannot overflow a signed 64-bit sum before 2^22 events or
2^42 commits). Random rather than counting from 1: a database emptied and
filled again (tests, a restore) does not walk through the same sums a
process may still hold pages for.

- An **event page** and a **session page** read the sum of their event's row
  and ``site`` (one statement; the session page finds its event inside it).
  A write to another event touches neither row and leaves the page alone.
- The **list pages** (home, calendar), the feeds and the MSO list read
  ``current_version()``: the sum over all rows, which changes with any
  watched write.
- Writers to two different events raise two different rows, so on PostgreSQL
  they never wait for each other's row lock (the one shared row they used to
  raise queued them up: convoys of 8 with 16 workers). Writers that touch
  several scopes raise them in sorted order, so two of them cannot deadlock;
  taken last and held only for the commit, the rows cannot deadlock with the
  seat locks either.

**Why a page is never served stale.** A page is stored with the version
read *before* its data, so a page may be older than its version number but
never newer. A commit that changes what a page shows raises a row the page's
version sums over (the event's own row, or ``site``, which every event page
reads): from that commit on, the sum read by every process is larger than the
one any page built before it was stored with, so the page is built again.
Sums never repeat (they only grow), so an old page can never match a later
version. Every process sees a commit the moment it happens: the versions live
in the database, not in a process.

**Which scope a write belongs to.** Objects written through the ORM carry
their event (``event_id``, or ``slot_id`` / ``session_id`` whose row names
it; before and after a change, should a row ever move). A bulk UPDATE or
DELETE on a watched table is read from its WHERE clause: a condition
``id = …``, ``event_id = …``, ``slot_id = …`` or ``session_id = …`` (or
``IN (…)``) names its rows; their event is taken from the objects already
in the session or, failing that, looked up once at commit (before the
statement runs, for a DELETE). Anything else — no such condition, a row that
cannot be found, an INSERT … SELECT — counts as ``site``, which every page
reads: never too little.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import String, cast, event, func, inspect, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from .database import dialect_insert, utcnow
from .extensions import db
from .models.pagecache import DataVersion

#: Where each watched table that belongs to an event finds it: the column
#: that names its parent, and the parent's table ("events": the column is the
#: event's id). A row of ``events`` is its own event.
EVENT_PARENT = {
    "events": ("id", "events"),
    "event_sessions": ("event_id", "events"),
    "registration_slots": ("event_id", "events"),
    "registrations": ("event_id", "events"),
    "registration_questions": ("event_id", "events"),  # the questions asked on the event page
    "slot_org_seats": ("slot_id", "registration_slots"),
    "meeting_agendas": ("session_id", "event_sessions"),  # the agenda on event and session pages
    "agenda_items": ("session_id", "event_sessions"),
}
#: Watched tables that belong to no one event: the ``site`` scope.
SITE_TABLES = frozenset({"venues", "organisations", "organisation_tags"})  # tags: the MSO list downloads
#: The tables whose content shows on the cached pages.
WATCHED_TABLES = frozenset(EVENT_PARENT) | SITE_TABLES
SITE = "site"
EVENT_PREFIX = "event:"
FIRST_BELOW = 2 ** 40
STEP_BELOW = 2 ** 20
_PLACEHOLDER = "\x00csrf-token\x00"
_CHANGED = "pagecache_changed"  # session.info: the scopes this transaction touched
_UNRESOLVED = "pagecache_unresolved"  # session.info: (table, id) rows whose event is looked up at commit
MAX_ENTRIES = 512


def event_scope(event_id: int) -> str:
    return f"{EVENT_PREFIX}{int(event_id)}"


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


# --- reading versions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What a page shows: one event (with ``site``), given by the event's id
    or by one of its sessions' ids. ``None`` in ``page()``: everything."""

    event_id: int | None = None
    session_id: int | None = None


def for_event(event_id: int) -> Scope:
    return Scope(event_id=event_id)


def for_session(session_id: int) -> Scope:
    return Scope(session_id=session_id)


def _sum(condition=None) -> int | None:
    query = select(func.sum(DataVersion.version))
    if condition is not None:
        query = query.where(condition)
    value = db.session.scalar(query)
    return None if value is None else int(value)  # PostgreSQL sums bigint into numeric


def current_version() -> int | None:
    """A number that changes with every commit of any watched write (None
    while nothing has been written)."""
    return _sum()


def site_version() -> int | None:
    """Changes with every commit that writes venues, MSOs or their tags (or
    anything whose event is unknown); not with writes to one event."""
    return _sum(DataVersion.name == SITE)


def scope_version(scope: Scope | None) -> int | None:
    """The version of what ``scope`` shows, in one statement."""
    if scope is None:
        return current_version()
    if scope.event_id is not None:
        return _sum(DataVersion.name.in_([SITE, event_scope(scope.event_id)]))
    sessions = db.metadata.tables["event_sessions"]
    name_of_event = (select(literal(EVENT_PREFIX) + cast(sessions.c.event_id, String))
                     .where(sessions.c.id == int(scope.session_id)).scalar_subquery())
    return _sum(or_(DataVersion.name == SITE, DataVersion.name == name_of_event))


def usable() -> bool:
    return (current_app.config.get("PAGE_CACHE", True) and request.method == "GET"
            and not current_user.is_authenticated and not session.get("_flashes"))


def page(render: Callable[[], str], valid_until: Callable[[datetime], datetime | None],
         scope: Scope | None = None) -> str:
    """The HTML of the public page the request asks for (kept by path, query
    string and language). ``render()`` builds it; ``valid_until(now)`` says
    until when what it shows stays true by time alone (None: no limit), and
    is asked only when the page is stored. ``scope``: what it shows
    (``for_event``/``for_session``); None: anything (a list page)."""
    if not usable():
        return render()
    version = scope_version(scope)
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


# --- keeping the versions true: which scopes a transaction touched ----------------------------

def _scopes(session: Session) -> set:
    return session.info.setdefault(_CHANGED, set())


def touch_event(session: Session, event_id: int) -> None:
    """Count ``event_id``'s scope as changed by this transaction (for a write
    the automatic reading below cannot place)."""
    _scopes(session).add(event_scope(event_id))


def touch_site(session: Session) -> None:
    _scopes(session).add(SITE)


_classes: dict[str, type] = {}


def _class_of(table: str):
    if not _classes:
        for mapper in db.Model.registry.mappers:
            _classes.setdefault(mapper.local_table.name, mapper.class_)
    return _classes.get(table)


def _loaded(session: Session, table: str, row_id, column: str):
    """``column`` of the row ``row_id`` of ``table`` if the session holds it
    loaded (no SQL), else None."""
    cls = _class_of(table)
    if cls is None:
        return None
    try:
        key = inspect(cls).identity_key_from_primary_key((row_id,))
    except Exception:  # a composite key: not by id
        return None
    obj = session.identity_map.get(key)
    return None if obj is None else inspect(obj).dict.get(column)


def _add_row(session: Session, table: str, row_id) -> None:
    """The event of row ``row_id`` of ``table`` touches this transaction."""
    if row_id is None:
        return
    if table == "events":
        _scopes(session).add(event_scope(row_id))
        return
    column, parent = EVENT_PARENT[table]
    value = _loaded(session, table, row_id, column)
    if value is not None:
        _add_row(session, parent, value)
    else:
        session.info.setdefault(_UNRESOLVED, set()).add((table, row_id))


def _add_object(session: Session, obj) -> None:
    table = getattr(obj, "__tablename__", None)
    if table in SITE_TABLES:
        _scopes(session).add(SITE)
        return
    if table not in EVENT_PARENT:
        return
    column, parent = EVENT_PARENT[table]
    state = inspect(obj)
    history = state.attrs[column].history  # no SQL
    values = {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}
    if not values and state.identity:  # expired: found through its key
        keys = [c.name for c in state.mapper.primary_key]
        if column in keys:
            _add_row(session, parent, state.identity[keys.index(column)])
        elif keys == ["id"]:
            _add_row(session, table, state.identity[0])  # looked up at commit
        else:
            _scopes(session).add(SITE)
        return
    if not values:
        _scopes(session).add(SITE)
    for value in values:
        _add_row(session, parent, value)


def _conjuncts(clause) -> Iterable:
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        for inner in clause.clauses:
            yield from _conjuncts(inner)
    elif clause is not None:
        yield clause


def _rows_named(statement, table) -> list[tuple[str, list]] | None:
    """(table, ids) that a bulk statement's conditions limit it to, or None."""
    column, parent = EVENT_PARENT[table.name]
    names = {column: parent}
    if "id" in table.c and column != "id":
        names["id"] = table.name
    if getattr(statement, "_multi_values", None):
        return None
    found = []
    if statement.is_insert:  # INSERT ... VALUES (an INSERT ... SELECT has none)
        values = getattr(statement, "_values", None) or {}
        for key, value in values.items():
            name = getattr(key, "name", key)
            if name in names and isinstance(value, BindParameter) and value.value is not None:
                found.append((names[name], [value.value]))
        return found or None
    for condition in _conjuncts(getattr(statement, "whereclause", None)):
        if not isinstance(condition, BinaryExpression):
            continue
        left, right = condition.left, condition.right
        if getattr(getattr(left, "table", None), "name", None) != table.name \
                or getattr(left, "name", None) not in names or not isinstance(right, BindParameter):
            continue
        if condition.operator is operators.eq and right.value is not None:
            found.append((names[left.name], [right.value]))
        elif (condition.operator is operators.in_op and isinstance(right.value, (list, tuple))
              and None not in right.value):
            found.append((names[left.name], list(right.value)))
    return found[:1] or None  # one condition names every row the statement can touch


def _add_statement(state, table) -> None:
    session = state.session
    if table.name in SITE_TABLES:
        _scopes(session).add(SITE)
        return
    rows = _rows_named(state.statement, table)
    parent_column = EVENT_PARENT[table.name][0]
    moves = state.is_update and any(getattr(k, "name", k) == parent_column
                                    for k in (getattr(state.statement, "_values", None) or {}))
    if rows is None or moves:
        _scopes(session).add(SITE)
    for row_table, ids in rows or ():
        for row_id in ids:
            _add_row(session, row_table, row_id)
    if state.is_delete:
        _resolve(session)  # before the rows are gone


def _resolve(session: Session) -> None:
    """Find the events of the rows noted by id (one query per table)."""
    while pending := session.info.pop(_UNRESOLVED, None):
        by_table: dict[str, set] = {}
        for table, row_id in pending:
            by_table.setdefault(table, set()).add(row_id)
        connection = session.connection()
        for table, ids in sorted(by_table.items()):
            column, parent = EVENT_PARENT[table]
            t = db.metadata.tables[table]
            found = dict(connection.execute(select(t.c.id, t.c[column]).where(t.c.id.in_(sorted(ids)))).all())
            for row_id in ids:
                if found.get(row_id) is None:
                    _scopes(session).add(SITE)  # gone: its event is unknown
                else:
                    _add_row(session, parent, found[row_id])


def _bump(session: Session) -> None:
    """Raise the row of every scope touched, in the writing transaction, as
    its last statements, in sorted order (see the module's notes)."""
    _resolve(session)
    scopes = session.info.pop(_CHANGED, None)
    if not scopes:
        return
    connection = session.connection()
    table = DataVersion.__table__
    for name in sorted(scopes):
        connection.execute(
            dialect_insert(DataVersion, connection)
            .values(name=name, version=1 + secrets.randbelow(FIRST_BELOW - 1))
            .on_conflict_do_update(index_elements=["name"],
                                   set_={"version": table.c.version + 1 + secrets.randbelow(STEP_BELOW)}))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    for objects in (session.new, session.dirty, session.deleted):
        for obj in objects:
            if getattr(obj, "__tablename__", None) in WATCHED_TABLES:
                _add_object(session, obj)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state):
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) not in WATCHED_TABLES:
        return None
    if state.is_insert:
        _add_statement(state, table)
        return None
    # An UPDATE or DELETE that matched no row changed nothing.
    before = set(_scopes(state.session))
    pending = set(state.session.info.get(_UNRESOLVED, ()))
    _add_statement(state, table)
    result = state.invoke_statement()
    if getattr(result, "rowcount", -1) == 0:  # take back what this statement added
        state.session.info[_CHANGED] = before
        state.session.info[_UNRESOLVED] = pending
    return result


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending marks the transaction too
    _bump(session)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _previous) -> None:
    # A savepoint rolled back leaves the outer transaction's changes standing.
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)
        session.info.pop(_UNRESOLVED, None)


def init_app(app: Flask) -> None:
    app.extensions["miado_pagecache"] = LRUStore(MAX_ENTRIES)
    # Flask-WTF offers ``csrf_token`` both as a global and from a context
    # processor; this one runs after it (init_app comes after the
    # extensions), so templates get the placeholder-aware function.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
