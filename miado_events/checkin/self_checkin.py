"""Self check-in: the entrance screen shows a code that changes every few
minutes; a registered member scans it with their own phone and is checked in
by the same service as at the door (``services.check_in``)."""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from ..database import utcnow
from ..extensions import db
from ..models.accounts import User
from ..models.checkin import CheckInMethod
from ..models.events import EventSession, Registration
from .services import AMBER, RED, Result, _registration_query, check_in, covers, window_state


def _bucket(now: datetime) -> int:
    return int(now.timestamp()) // current_app.config["SELF_CHECKIN_ROTATE_SECONDS"]


def self_checkin_code(session: EventSession, now: datetime | None = None, *, bucket: int | None = None) -> str:
    """The code on the entrance screen; it changes every few minutes."""
    bucket = _bucket(now or utcnow()) if bucket is None else bucket
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(),
                      f"self-checkin:{session.id}:{bucket}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii").rstrip("=")


def self_checkin_code_valid(session: EventSession, code: str, now: datetime | None = None) -> bool:
    """The current code and the one before it (someone scanning just as it
    changes) are accepted; older ones are not."""
    now = now or utcnow()
    current = _bucket(now)
    given = (code or "").upper().encode("utf-8")  # bytes: any text compares, ASCII or not
    return any(hmac.compare_digest(self_checkin_code(session, bucket=b).encode("ascii"), given)
               for b in (current, current - 1))


def self_check_in(user: User, session: EventSession, code: str, *, now: datetime | None = None) -> Result:
    now = now or utcnow()
    if not self_checkin_code_valid(session, code, now):
        return Result("code_expired", RED,
                      _("This check-in code has expired. Please scan the code on the screen again."))
    if window_state(session, now) != "open":
        return Result("closed", AMBER, _("Check-in for this session is not open now."))
    registrations = list(db.session.scalars(
        _registration_query().where(Registration.user_id == user.id,
                                    Registration.event_id == session.event_id,
                                    Registration.is_active)))
    if not registrations:
        return Result("not_registered", RED, _("You are not registered for this event."))
    # Prefer the registration that lets the person in.
    registrations.sort(key=lambda r: (not covers(r, session), not r.is_confirmed))
    return check_in(user, session, registrations[0], method=CheckInMethod.SELF, now=now)
