"""Walk-ins: someone without a registration arrives while seats are free.

Door staff take a name and an e-mail address. An existing account is
registered as it is; a new address gets an account and a link to choose a
password (the same invitation staff accounts get), so the person can later
see their ticket and certificate. Then the person is checked in, through the
check-in service like everyone else.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .. import audit
from ..accounts.services import get_user_by_email, normalise_email
from ..accounts.tokens import issue_token
from ..database import utcnow
from ..errors import DomainError
from ..events import registration as reg_services
from ..extensions import db
from ..i18n import ui_language
from ..mail import send_message
from ..models.accounts import Role, TokenPurpose, User
from ..models.checkin import CheckInMethod
from ..models.events import EventSession, Slot
from ..models.orgs import Organisation
from ..urls import external_url
from . import services
from .services import Result


def slot_for(session: EventSession) -> Slot | None:
    """The slot a walk-in takes: the session's own, or the series' one."""
    return db.session.scalar(select(Slot).where(
        Slot.event_id == session.event_id,
        or_(Slot.session_id == session.id, Slot.session_id.is_(None))))


def _new_account(email: str, name: str, now: datetime) -> User:
    locale = ui_language()
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    user = User(email=email, name=name, role=Role.MEMBER.value, locale=locale, created_at=now)
    db.session.add(user)
    hours = current_app.config["INVITE_TOKEN_HOURS"]
    raw = issue_token(user, TokenPurpose.STAFF_INVITE, hours, now=now)
    send_message(user.email, "walk_in_welcome", user.locale, user=user,
                 invite_url=external_url("accounts.accept_invite", token=raw), hours=hours)
    return user


def walk_in(actor: User, session: EventSession, *, name: str, email: str,
            organisation: Organisation | None = None, now: datetime | None = None) -> Result:
    """Register a walk-in for ``session`` (a free seat only) and check them in."""
    now = now or utcnow()
    services._require_door(actor, session)
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", _l("Please enter the name."))
    if not session.is_scheduled or session.event.is_cancelled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))
    if services.window_state(session, now) != "open":
        raise DomainError("window_closed", _l("Walk-ins can be registered only while check-in is open."))
    slot = slot_for(session)
    if slot is None:
        raise DomainError("no_slot", _l("This session takes no registrations."))
    email = normalise_email(email)
    user = get_user_by_email(email)
    if user is None:
        user = _new_account(email, name, now)
        db.session.flush()
    else:
        existing = reg_services.active_registration(user, slot)
        if existing is not None:
            # Already registered: let them in the normal way.
            return services.check_in(actor, session, existing, method=CheckInMethod.MANUAL, now=now)
    org = reg_services.default_organisation(user, organisation)
    outcome = reg_services.register_participant(actor, user, slot, org, now=now, at_door=True)
    audit.record(actor, "checkin.walk_in", outcome.registration, f"{user.name}: {session.event.title}",
                 now=now, session_id=session.id)
    return services.check_in(actor, session, outcome.registration, method=CheckInMethod.WALK_IN, now=now)
