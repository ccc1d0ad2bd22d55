"""Reminders before a session: each person once per session, however often
``flask --app app reminders send`` runs (a primary key on person and session
makes a second reminder impossible)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import joinedload

from ..database import utcnow
from ..extensions import db
from ..mail import send_message
from ..models.events import (Event, EventSession, EventStatus, Registration, RegistrationStatus,
                             SessionStatus, Slot)
from ..models.reminders import SentReminder
from ..urls import external_url
from . import guests


def due_reminders(now: datetime):
    """(session, registration) pairs: confirmed people of scheduled sessions
    starting within the lead time who have not been reminded yet."""
    lead = timedelta(hours=current_app.config["REMINDER_LEAD_HOURS"])
    covers = ((Slot.session_id == EventSession.id)
              | (Slot.session_id.is_(None) & (Slot.event_id == EventSession.event_id)))
    query = (select(EventSession, Registration)
             .join(Event, Event.id == EventSession.event_id)
             .join(Slot, covers)
             .join(Registration, Registration.slot_id == Slot.id)
             .where(Event.status == EventStatus.PUBLISHED.value,
                    EventSession.status == SessionStatus.SCHEDULED.value,
                    EventSession.starts_at > now, EventSession.starts_at <= now + lead,
                    Registration.status == RegistrationStatus.CONFIRMED.value,
                    Registration.user_id.is_not(None),  # an anonymised seat has nobody to remind
                    ~exists().where(and_(SentReminder.session_id == EventSession.id,
                                         SentReminder.user_id == Registration.user_id)))
             .options(joinedload(Registration.user), joinedload(EventSession.venue),
                      joinedload(EventSession.event))
             .order_by(EventSession.starts_at, Registration.id))
    return db.session.execute(query).unique().all()


def send_reminders(*, now: datetime | None = None) -> int:
    """Queue the due reminders; the caller commits. Returns how many."""
    now = now or utcnow()
    count = 0
    for session, registration in due_reminders(now):
        user = registration.user
        db.session.add(SentReminder(session_id=session.id, user_id=user.id, sent_at=now))
        # A person without an account (a guest) gets their personal link instead.
        my_url = (external_url("events.my_registrations") if user.has_account or not user.email
                  else guests.issue_management_link(registration, now=now))
        send_message(user.email, "session_reminder", user.locale, user=user, session=session,
                     event=session.event, sessions=[session],
                     event_url=external_url("events.detail", event_id=session.event_id),
                     my_url=my_url)
        count += 1
    return count
