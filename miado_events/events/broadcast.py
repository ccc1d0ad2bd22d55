"""Staff write to everyone registered for an event (through the outbox)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit
from ..models.mail import Mailing
from ..errors import DomainError
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User
from ..models.events import ACTIVE_REGISTRATION, Event, Registration
from ..permissions import ensure, is_staff
from ..urls import external_url

AUDIENCES = ACTIVE_REGISTRATION  # whom staff may write to: a seat or a waiting-list place


def recipients(event: Event, audience) -> list[User]:
    """Each person once, whatever number of registrations they hold."""
    rows = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status.in_(tuple(audience)),
                                   Registration.user_id.is_not(None))  # anonymised: nobody to write to
        .options(joinedload(Registration.user)).order_by(Registration.id))
    people: dict[int, User] = {}
    for registration in rows:
        people.setdefault(registration.user_id, registration.user)
    return list(people.values())


def broadcast(actor: User, event: Event, *, subject: str, body: str, audience) -> int:
    """Queue one e-mail per person; returns how many. The caller commits."""
    ensure(is_staff, actor)
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    audience = [a for a in audience if a in AUDIENCES]
    if not subject or not body:
        raise DomainError("broadcast_invalid", _l("Please write a subject and a message."))
    if not audience:
        raise DomainError("broadcast_invalid", _l("Please choose who receives the message."))
    people = recipients(event, audience)
    for user in people:
        send_message(user.email, "broadcast", user.locale, user=user, event=event,
                     broadcast_subject=subject, broadcast_body=body, sender=actor,
                     event_url=external_url("events.detail", event_id=event.id))
    mailing = Mailing(event_id=event.id, sender_id=actor.id, sender_name=actor.name[:120], subject=subject[:200],
                      body=body, audience=list(audience), recipients=len(people))
    db.session.add(mailing)
    db.session.flush()
    audit.record(actor, "mailing.send", mailing, f"{subject} ({event.title})", recipients=len(people))
    return len(people)
