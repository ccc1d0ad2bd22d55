"""What the door screen shows besides the answer to a scan: the live
counter, the list the scanner keeps for working offline, the search by name
or code, and the last check-ins. Queries only; the rules of checking in are
in ``services``."""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models.accounts import User
from ..models.checkin import Attendance
from ..models.events import EventSession, Registration, Slot
from . import tickets


@dataclass
class Counts:
    checked_in: int
    confirmed: int


def counts(session: EventSession) -> Counts:
    """Confirmed seats for the session and how many of them are checked in,
    in one query: the event's confirmed registrations that cover the session
    or have checked in to it, each with its attendance (there is at most one
    per registration and session)."""
    confirmed, checked_in = db.session.execute(
        _counts_query(), {"session_id": session.id, "event_id": session.event_id}).one()
    return Counts(checked_in=checked_in or 0, confirmed=confirmed or 0)


@functools.cache
def _counts_query():
    """The statement of ``counts``, built once per process (the door screen
    asks after every scan)."""
    session_id = bindparam("session_id")
    covering = or_(Slot.session_id == session_id, Slot.session_id.is_(None))
    return (select(func.count(case((covering, Registration.id))), func.count(Attendance.id))
            .select_from(Registration)
            .join(Slot, Slot.id == Registration.slot_id)
            .outerjoin(Attendance, and_(Attendance.registration_id == Registration.id,
                                        Attendance.session_id == session_id))
            .where(Slot.event_id == bindparam("event_id"), Registration.is_confirmed,
                   or_(covering, Attendance.id.is_not(None))))


@functools.cache
def _session_with_event_query():
    # Built once per process: building it cost more than running it.
    return (select(EventSession).options(joinedload(EventSession.event))
            .where(EventSession.id == bindparam("session_id")))


def session_with_event(session_id: int) -> EventSession | None:
    """The session with its event in one statement (the door API's permission
    check and every item of a sync need both)."""
    return db.session.scalar(_session_with_event_query(), {"session_id": session_id})


def token_hash(token: str) -> str:
    """What the scanner's list holds instead of a ticket token: the first 128
    bits of its SHA-512 (the hash TweetNaCl offers in the browser)."""
    return hashlib.sha512(token.encode("ascii")).hexdigest()[:32]


def roster(session: EventSession) -> list[dict]:
    """Everyone the scanner must recognise offline: the active registrations
    of the whole event (so a ticket for another session says so), with the
    hash of each ticket token (never the token itself) and the ticket code."""
    rows = db.session.execute(
        select(Registration, Attendance.checked_in_at)
        .join(Slot, Slot.id == Registration.slot_id)
        .outerjoin(Attendance, and_(Attendance.registration_id == Registration.id,
                                    Attendance.session_id == session.id))
        .options(joinedload(Registration.user), joinedload(Registration.organisation))
        .where(Slot.event_id == session.event_id, Registration.user_id.is_not(None),
               Registration.is_active)
        .order_by(Registration.id)).all()
    slots = {s.id: s.session_id for s in session.event.slots}
    out = []
    for registration, checked_in_at in rows:
        slot_session = slots.get(registration.slot_id)
        out.append({
            "id": registration.id,
            "name": registration.user.name,
            "organisation": registration.organisation.name if registration.organisation else "",
            "code": registration.ticket_code,
            "token_hash": token_hash(registration.ticket_token),
            "status": registration.status,
            "here": slot_session is None or slot_session == session.id,
            "checked_in_at": checked_in_at.isoformat() if checked_in_at else None,
        })
    return out


def search(session: EventSession, query: str, *, limit: int = 25) -> list[tuple[Registration, Attendance | None]]:
    """People registered for the session's event whose name, e-mail or ticket
    code matches ``query`` (at least two characters)."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    code = tickets.normalise_code(query)
    like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    condition = or_(func.lower(User.name).like(like, escape="\\"),
                    func.lower(User.email).like(like, escape="\\"))
    if code is not None:
        condition = or_(condition, Registration.ticket_code == code)
    rows = db.session.execute(
        select(Registration, Attendance)
        .join(User, User.id == Registration.user_id)
        .join(Slot, Slot.id == Registration.slot_id)
        .outerjoin(Attendance, and_(Attendance.registration_id == Registration.id,
                                    Attendance.session_id == session.id))
        .options(contains_eager(Registration.user), joinedload(Registration.organisation),
                 joinedload(Registration.slot).joinedload(Slot.session))
        .where(Slot.event_id == session.event_id, Registration.is_active, condition)
        .order_by(User.name, Registration.id).limit(limit)).all()
    return [(r, a) for r, a in rows]


def recent_checkins(session: EventSession, *, limit: int = 5) -> list[Attendance]:
    return list(db.session.scalars(
        select(Attendance).join(Registration, Registration.id == Attendance.registration_id)
        .options(contains_eager(Attendance.registration).joinedload(Registration.user))
        .where(Attendance.session_id == session.id, Registration.user_id.is_not(None))
        .order_by(Attendance.recorded_at.desc(), Attendance.id.desc()).limit(limit)))
