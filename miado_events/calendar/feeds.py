"""Calendar feeds: public (all, or one kind) and private per person.

Each feed answers conditional requests: its ETag is computed from one small
aggregate query, so a client whose copy is current gets a 304 before the
body is built."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..database import utcnow
from ..extensions import db
from ..models.accounts import User
from ..models.events import (Event, EventSession, EventStatus, Registration, RegistrationStatus,
                             Slot)

# Feeds keep the last month, so a just-passed meeting does not vanish at once.
PAST_WINDOW = timedelta(days=30)


def _public_filter(kind: str | None, now: datetime):
    conditions = [Event.status == EventStatus.PUBLISHED.value,
                  EventSession.ends_at > now - PAST_WINDOW]
    if kind:
        conditions.append(Event.kind == kind)
    return conditions


def _personal_filter(user: User, now: datetime):
    """Sessions of the person's confirmed registrations (per-session slots and
    whole-series slots alike)."""
    confirmed = (select(Registration.slot_id)
                 .where(Registration.user_id == user.id,
                        Registration.status == RegistrationStatus.CONFIRMED.value))
    per_session = select(Slot.session_id).where(Slot.id.in_(confirmed), Slot.session_id.is_not(None))
    whole_event = select(Slot.event_id).where(Slot.id.in_(confirmed), Slot.session_id.is_(None))
    return [EventSession.ends_at > now - PAST_WINDOW,
            Event.status != EventStatus.DRAFT.value,
            (EventSession.id.in_(per_session) | EventSession.event_id.in_(whole_event))]


def _validators(conditions, extra: tuple = (), also_modified=None):
    """(ETag, Last-Modified) from one aggregate query."""
    row = db.session.execute(
        select(func.count(EventSession.id), func.max(EventSession.id),
               func.coalesce(func.sum(EventSession.sequence), 0), func.max(Event.updated_at))
        .join(Event, Event.id == EventSession.event_id).where(*conditions)).one()
    etag = hashlib.sha256(repr((tuple(row), extra)).encode()).hexdigest()[:32]
    moments = [m for m in (row[3], also_modified) if m is not None]
    return etag, _as_utc(max(moments)) if moments else None


def _as_utc(moment):
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sessions(conditions) -> list[EventSession]:
    return list(db.session.scalars(
        select(EventSession).join(Event, Event.id == EventSession.event_id).where(*conditions)
        .options(joinedload(EventSession.event), joinedload(EventSession.venue))
        .order_by(EventSession.starts_at, EventSession.id)))


def public_feed(kind: str | None = None, *, language: str = "de", now: datetime | None = None):
    """(etag, last_modified, builder) for the public feed in ``language`` (each
    language is its own copy with its own ETag); call builder() only when the
    client's copy is stale."""
    now = now or utcnow()
    conditions = _public_filter(kind, now)
    etag, modified = _validators(conditions, (kind, now.date(), language))
    return etag, modified, lambda: _sessions(conditions)


def personal_feed(user: User, *, now: datetime | None = None):
    """The person's sessions, in their language (``User.locale``: a change of
    language gives a new ETag)."""
    now = now or utcnow()
    conditions = _personal_filter(user, now)
    latest = db.session.execute(
        select(func.count(Registration.id), func.max(Registration.confirmed_at),
               func.max(Registration.cancelled_at))
        .where(Registration.user_id == user.id)).one()
    changed = max((m for m in latest[1:] if m is not None), default=None)
    etag, modified = _validators(conditions, (tuple(latest), now.date(), user.feed_token, user.locale),
                                 also_modified=changed)
    return etag, modified, lambda: _sessions(conditions)


def user_for_feed_token(token: str) -> User | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(User).where(User.feed_token == token))


def ensure_feed_token(user: User) -> str:
    if not user.feed_token:
        user.feed_token = secrets.token_urlsafe(32)
    return user.feed_token


def renew_feed_token(user: User) -> str:
    """A new secret URL; the old one stops working at once."""
    user.feed_token = secrets.token_urlsafe(32)
    return user.feed_token
