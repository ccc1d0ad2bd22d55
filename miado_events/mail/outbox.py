"""The sender: delivers due outbox rows, each exactly once.

Each message is claimed in its own short transaction: on PostgreSQL the row
is locked with ``FOR UPDATE SKIP LOCKED``, so several workers pass each other
by; on every database the claim is a conditional UPDATE, so a second sender
that reaches the same row after the first finished finds nothing to do.
A failure schedules a retry with exponential backoff; after
``MAIL_MAX_ATTEMPTS`` the message is marked failed for staff to see.

A recipe (a row with a ``kind`` and no ``raw`` yet) is rendered first, before
the claim and outside any lock: the renderer reads what the mail is about in
a session of its own, and one short transaction stores the bytes (only if
no other sender stored them meanwhile), so a retry sends the same message
(same Message-ID). A recipe that fails to render is marked failed at once
(``last_error`` says why; staff can send it again once the cause is fixed);
one whose subject is gone (the renderer returns None: the registration was
deleted before the mail went out) is marked ``dropped`` and never sent.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models.mail import OutboxMessage, OutboxStatus
from ..permissions import ensure, is_staff
from . import deliver, parse, render_recipe

log = logging.getLogger(__name__)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: base · 2^(attempts−1), at most six hours."""
    base = current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _due(now: datetime):
    return (OutboxMessage.status == OutboxStatus.QUEUED.value, OutboxMessage.next_attempt_at <= now)


def _unrendered(message_id: int, now: datetime):
    return (OutboxMessage.id == message_id, OutboxMessage.raw.is_(None), OutboxMessage.kind.is_not(None),
            *_due(now))


def render_one(message_id: int, *, now: datetime | None = None) -> str | None:
    """Render a due recipe that has no bytes yet and keep them; returns
    ``failed`` or ``dropped`` when it will not be sent, else None."""
    now = now or utcnow()
    # An app context of its own: db.session (which the renderers use) is then
    # a fresh session, whoever calls (the delivery thread, the CLI, a test).
    with current_app.app_context():
        session = db.session
        row = session.execute(select(OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.locale,
                                     OutboxMessage.to_address)
                              .where(*_unrendered(message_id, now))).first()
        if row is None:
            return None
        try:
            # No autoflush: what the renderer adds (a guest's link) is written
            # with the bytes below, so that on SQLite the database is locked
            # only for that short write, not while the mail is being rendered.
            with session.no_autoflush:
                msg = render_recipe(row.kind, row.payload or {}, to=row.to_address,
                                    locale=row.locale or current_app.config["BABEL_DEFAULT_LOCALE"])
        except Exception as exc:  # a template error, a bug: staff must see it, the rest goes on
            log.exception("outbox message %s could not be rendered", message_id)
            session.rollback()
            values = dict(status=OutboxStatus.FAILED.value, attempts=OutboxMessage.attempts + 1,
                          last_error=f"Rendering failed: {type(exc).__name__}: {exc}"[:2000])
            status = OutboxStatus.FAILED.value
        else:
            if msg is None:
                session.rollback()
                values = dict(status=OutboxStatus.DROPPED.value,
                              last_error="Not sent: what it was about no longer exists.")
                status = OutboxStatus.DROPPED.value
            else:
                values = dict(raw=bytes(msg), subject=" ".join(str(msg["Subject"]).split())[:300])
                status = None
        done = session.execute(update(OutboxMessage).where(*_unrendered(message_id, now)).values(**values)
                               .execution_options(synchronize_session=False))
        if done.rowcount == 1:
            session.commit()
        else:  # another sender got there first: its copy counts, ours (and any link it issued) goes
            session.rollback()
            status = None
        return status


def deliver_one(message_id: int, *, now: datetime | None = None) -> str | None:
    """Deliver one due message (rendering it first if it is a recipe);
    returns its new status, or None when it was not due or another sender has it."""
    now = now or utcnow()
    rendered = render_one(message_id, now=now)
    if rendered is not None:
        return rendered
    with Session(db.engine) as session, session.begin():
        query = select(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message = session.scalar(query)
        if message is None or message.raw is None:
            return None
        claimed = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
            .values(attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            return None
        session.refresh(message)
        try:
            deliver(parse(message.raw))
        except Exception as exc:  # any delivery failure is retried later
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= current_app.config.get("MAIL_MAX_ATTEMPTS", 8):
                message.status = OutboxStatus.FAILED.value
            else:
                message.next_attempt_at = now + backoff(message.attempts)
        else:
            message.status = OutboxStatus.SENT.value
            message.sent_at = now
            message.last_error = None
        return message.status


def deliver_ids(ids, *, now: datetime | None = None) -> dict[str, int]:
    counts = {"sent": 0, "queued": 0, "failed": 0}  # and "dropped" when there were such
    for message_id in ids:
        status = deliver_one(message_id, now=now)
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


def deliver_due(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver what is due now (the worker's and the CLI's entry point)."""
    now = now or utcnow()
    with Session(db.engine) as session:
        ids = list(session.scalars(select(OutboxMessage.id).where(*_due(now))
                                   .order_by(OutboxMessage.id).limit(limit)))
    return deliver_ids(ids, now=now)


def retry(actor, message: OutboxMessage, *, now: datetime | None = None) -> None:
    """Staff send a failed or waiting message again, now."""
    ensure(is_staff, actor)
    if message.status == OutboxStatus.SENT.value:
        raise DomainError("already_sent", _l("This message has already been sent."))
    message.status = OutboxStatus.QUEUED.value
    message.attempts = 0
    message.next_attempt_at = now or utcnow()
