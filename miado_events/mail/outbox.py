"""The sender: delivers due outbox rows, each exactly once.

Each message is claimed in its own short transaction: on PostgreSQL the row
is locked with ``FOR UPDATE SKIP LOCKED``, so several workers pass each other
by; on every database the claim is a conditional UPDATE, so a second sender
that reaches the same row after the first finished finds nothing to do.
A failure schedules a retry with exponential backoff; after
``MAIL_MAX_ATTEMPTS`` the message is marked failed for staff to see.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models.mail import OutboxMessage, OutboxStatus
from ..permissions import ensure, is_staff
from . import deliver, parse


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: base · 2^(attempts−1), at most six hours."""
    base = current_app.config.get("MAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _due(now: datetime):
    return (OutboxMessage.status == OutboxStatus.QUEUED.value, OutboxMessage.next_attempt_at <= now)


def deliver_one(message_id: int, *, now: datetime | None = None) -> str | None:
    """Deliver one due message; returns its new status, or None when it was
    not due or another sender has it."""
    now = now or utcnow()
    with Session(db.engine) as session, session.begin():
        query = select(OutboxMessage).where(OutboxMessage.id == message_id, *_due(now))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        message = session.scalar(query)
        if message is None:
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
    counts = {"sent": 0, "queued": 0, "failed": 0}
    for message_id in ids:
        status = deliver_one(message_id, now=now)
        if status:
            counts[status] += 1
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
