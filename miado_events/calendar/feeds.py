"""Calendar feeds: public (all, or one kind) and private per person, built
once per change.

Calendar apps ask for a feed every hour or so, for every subscriber, and
nothing checks whether it changed on their behalf. So each process keeps
the feeds it built and serves one again while nothing it shows can have
changed:

- **What it shows** changes only with a committed write to a table the
  page cache watches (events, sessions, slots, registrations, venues,
  agendas; see ``pagecache.WATCHED_TABLES``), and every such write changes
  ``pagecache.current_version()``. A copy is kept with the version read
  *before* its data, so it can be older than its version but never newer:
  a registration confirmed or cancelled shows in the next fetch.
- **By time**, a feed shows the sessions that ended after the start of
  today (UTC) minus ``PAST_WINDOW``; the date is part of what a copy is
  kept for, so a new day builds it again.
- **Whose and in which language**: the personal feed's copy is kept under
  the person's id, their feed token and the language it is written in
  (``User.locale``), so a renewed link or a new language never gets the
  old copy (``users`` is not a watched table; these values are read from
  the row the token lookup loads anyway).

**Shared by all processes.** A calendar app asks each process in turn,
and a process keeps a few hundred feeds: so what one process builds is
also stored in the ``feed_copies`` table (``models/feeds.py``), under
``me:<person's id>:<language>`` or ``public:<kind or all>:<language>``,
with the version and the date it was built for, by the request's own unit
of work (a GET commits like any other request; ``feed_copies`` is not a
watched table, so storing a copy changes no version). The store is an
upsert that replaces a copy only by one built from newer data (a higher
version, or the same version on a later day): a builder that read the
version before a write never overwrites the copy built after it. A
person's copy is deleted with them (ON DELETE CASCADE); the token is not
part of its name (the token lookup already refuses a renewed link).

A fetch whose feed is kept in the process costs the token lookup (personal
feeds) and one read of the version; kept in the table, one statement more;
built, the sessions (with their agendas) and the store. The ETag is the
hash of the body (its DTSTAMP lines left out: they say when a process
first wrote an entry, not what it shows), so an unrelated write rebuilds
the copy once but gives the same ETag, and clients holding it get a 304;
every process gives the same ETag for the same feed. Last-Modified is the
moment the content was first built (taken from the shared copy's
``built_at`` when there is one, kept while rebuilds give the same ETag).
A process keeps the bodies of ``MAX_COPIES`` feeds and the validators of
``MAX_VALIDATORS``: a client whose copy is current gets its 304 without a
build even when the body has been pushed out.

``PAGE_CACHE=false`` switches the kept copies off, in the process and in
the table (each fetch builds and stores nothing; ETag and 304 still work)."""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import pagecache
from ..database import dialect_insert, utcnow
from ..extensions import db
from ..models.accounts import User
from ..models.feeds import SharedFeed
from ..pagecache import LRUStore
from ..models.events import (Event, EventSession, EventStatus, Registration, RegistrationStatus,
                             Slot)
from . import ical

# Feeds keep the last month, so a just-passed meeting does not vanish at once.
PAST_WINDOW = timedelta(days=30)
#: Feeds kept per process (a personal feed is a few kB, the public one up to
#: a few hundred; calendar apps ask for each every hour or so) ...
MAX_COPIES = 256
#: ... and the ETags of many more (a few hundred bytes each), so that a
#: calendar app whose copy is current gets its 304 without a build.
MAX_VALIDATORS = 4096
STORE = "miado_feed_bodies"
_DTSTAMP = re.compile(rb"^DTSTAMP:[^\r\n]*\r\n", re.MULTILINE)


@dataclass(frozen=True)
class FeedCopy:
    """One feed as served: ``etag`` and ``modified`` validate ``body``."""

    version: int | None
    day: date
    etag: str
    modified: datetime
    body: bytes | None  # None: only the validators are kept (the client's copy is current)


class FeedStore:
    """The feeds a process keeps: bodies, and validators of more feeds."""

    def __init__(self) -> None:
        self.bodies = LRUStore(MAX_COPIES)
        self.validators = LRUStore(MAX_VALIDATORS)

    def clear(self) -> None:
        self.bodies.clear()
        self.validators.clear()


def _cutoff(day: date) -> datetime:
    """Sessions that ended before this are no longer shown (all day long)."""
    return datetime.combine(day, time(), tzinfo=timezone.utc) - PAST_WINDOW


def _sessions_where(*conditions):
    return (select(EventSession).join(Event, Event.id == EventSession.event_id).where(*conditions)
            .options(joinedload(EventSession.event), joinedload(EventSession.venue))
            .order_by(EventSession.starts_at, EventSession.id))


@cache
def _public_query(by_kind: bool):
    """The public feed's sessions (of one kind: ``:kind``), ended after ``:cutoff``;
    built once, a build only binds the values."""
    conditions = [Event.status == EventStatus.PUBLISHED.value, EventSession.ends_at > bindparam("cutoff")]
    if by_kind:
        conditions.append(Event.kind == bindparam("kind"))
    return _sessions_where(*conditions)


@cache
def _personal_query():
    """Sessions of ``:user_id``'s confirmed registrations (per-session slots
    and whole-series slots alike), ended after ``:cutoff``."""
    confirmed = (select(Registration.slot_id)
                 .where(Registration.user_id == bindparam("user_id"),
                        Registration.status == RegistrationStatus.CONFIRMED.value))
    per_session = select(Slot.session_id).where(Slot.id.in_(confirmed), Slot.session_id.is_not(None))
    whole_event = select(Slot.event_id).where(Slot.id.in_(confirmed), Slot.session_id.is_(None))
    return _sessions_where(EventSession.ends_at > bindparam("cutoff"),
                           Event.status != EventStatus.DRAFT.value,
                           EventSession.id.in_(per_session) | EventSession.event_id.in_(whole_event))


def _sessions(query, params: dict) -> list[EventSession]:
    return list(db.session.scalars(query, params))


def content_etag(body: bytes) -> str:
    """The hash of what a feed shows: its bytes without the DTSTAMP lines."""
    return hashlib.sha256(_DTSTAMP.sub(b"", body)).hexdigest()[:32]


#: Built once: a fetch only binds the copy's name.
_SHARED = select(SharedFeed.version, SharedFeed.day, SharedFeed.etag, SharedFeed.built_at,
                 SharedFeed.body).where(SharedFeed.name == bindparam("name"))


def _shared_copy(name: str) -> FeedCopy | None:
    """The copy in the table shared by all processes, or None (one statement)."""
    row = db.session.execute(_SHARED, {"name": name}).first()
    return None if row is None else FeedCopy(row.version, row.day, row.etag, row.built_at, row.body)


def _share(name: str, user_id: int | None, copy: FeedCopy) -> None:
    """Store ``copy`` for every process, unless the stored one was built
    from the same or newer data: a builder that read an older version (it
    started before a write another process has already built a copy after)
    never replaces the newer copy; of one version, the later day wins.
    A personal copy is stored in a savepoint: a person deleted meanwhile
    (their copy goes with them) leaves the fetch served."""
    table = SharedFeed.__table__
    statement = dialect_insert(table).values(name=name, user_id=user_id, version=copy.version, day=copy.day,
                                             etag=copy.etag, body=copy.body, built_at=copy.modified)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={column: new[column] for column in ("version", "day", "etag", "body", "built_at")},
        where=or_(new.version > table.c.version, and_(new.version == table.c.version, new.day > table.c.day)))
    if user_id is None:  # nothing it refers to can be gone
        db.session.execute(statement)
        return
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
    except IntegrityError:
        pass  # the owner is gone: nothing to keep for them


def _kept(key: tuple, shared_name: str, user_id: int | None, query, params: dict, name: str, language: str,
          now: datetime | None, client_has: Callable[[str, datetime], bool] | None) -> FeedCopy:
    """The copy of the feed ``key``: the process's own while the data version
    and the date are those it was built for; else the one all processes
    share (``shared_name``) if it is; else built now, kept and shared.
    Without a body when only its validators are kept and
    ``client_has(etag, modified)`` says the client holds it."""
    now = now or utcnow()
    day = now.date()
    keep = current_app.config.get("PAGE_CACHE", True)
    store: FeedStore = current_app.extensions[STORE]
    version = pagecache.current_version() if keep else None  # before the data: see the module's notes
    if version is None:  # switched off, or nothing written yet: nothing to compare the next fetch with
        kept = shared = None
    else:
        kept = store.bodies.get(key) or store.validators.get(key)
        if kept is not None and kept.version == version and kept.day == day:
            if kept.body is not None or (client_has is not None and client_has(kept.etag, kept.modified)):
                return kept
        shared = _shared_copy(shared_name)
        if shared is not None and shared.version == version and shared.day == day:
            store.bodies.put(key, shared)
            store.validators.put(key, replace(shared, body=None))
            return shared
    sessions = _sessions(query, dict(params, cutoff=_cutoff(day)))
    body = ical.build(sessions, name=name, feed=True, language=language)
    etag = content_etag(body)
    modified = now.replace(microsecond=0)
    before = shared or kept  # the shared copy's date is the one every process gives
    if before is not None:
        # The same feed keeps its date; a changed one is never dated as early as the one before.
        modified = before.modified if before.etag == etag else max(modified, before.modified + timedelta(seconds=1))
    copy = FeedCopy(version, day, etag, modified, body)
    if version is not None:
        store.bodies.put(key, copy)
        store.validators.put(key, replace(copy, body=None))
        _share(shared_name, user_id, copy)
    return copy


def public_feed(kind: str | None = None, *, name: str, language: str = "de", now: datetime | None = None,
                client_has: Callable[[str, datetime], bool] | None = None) -> FeedCopy:
    """The public feed (all kinds, or one) in ``language``; each language is
    its own copy. ``name`` is the calendar's name, in that language.
    ``client_has(etag, modified)``: whether the client holds that copy (its
    body may then be None)."""
    return _kept(("public", kind, language), f"public:{kind or 'all'}:{language}", None,
                 _public_query(bool(kind)), {"kind": kind} if kind else {}, name, language, now, client_has)


def personal_feed(user: User | FeedOwner, *, name: str, language: str, now: datetime | None = None,
                  client_has: Callable[[str, datetime], bool] | None = None) -> FeedCopy:
    """The person's sessions, in ``language`` (theirs: ``person_language``)."""
    return _kept(("me", user.id, user.feed_token, language), f"me:{user.id}:{language}", user.id,
                 _personal_query(), {"user_id": user.id}, name, language, now, client_has)


@dataclass(frozen=True)
class FeedOwner:
    """What a feed fetch reads of its owner (no User object to load)."""

    id: int
    feed_token: str
    locale: str | None


#: Built once: a feed fetch only binds the token.
_OWNER = select(User.id, User.feed_token, User.locale).where(User.feed_token == bindparam("token"))


def feed_owner(token: str) -> FeedOwner | None:
    """The owner of the personal feed ``token``, or None."""
    if not token or len(token) > 64:
        return None
    row = db.session.execute(_OWNER, {"token": token}).first()
    return FeedOwner(*row) if row is not None else None


def ensure_feed_token(user: User) -> str:
    if not user.feed_token:
        user.feed_token = secrets.token_urlsafe(32)
    return user.feed_token


def renew_feed_token(user: User) -> str:
    """A new secret URL; the old one stops working at once."""
    user.feed_token = secrets.token_urlsafe(32)
    return user.feed_token
