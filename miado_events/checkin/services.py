"""The check-in service: every rule about letting people in, in one place.

Every entry point goes through ``check_in`` (and ``undo``): the door scanner
(online or its offline queue via ``ledger.sync``), manual search, self
check-in, walk-ins, the staff review of late items and the CLI. The answer is a ``Result`` with a colour the scanner shows (green, amber,
red) and a message in the current language. Services never commit.

Rules:

* only a confirmed registration is let in, and only for a session it covers
  (its own session, or any session of a training series);
* only within the session's check-in window (``CHECKIN_OPENS_MINUTES``
  before the start to ``CHECKIN_CLOSES_MINUTES`` after the end); staff may
  override it, door staff may not;
* a second check-in changes nothing and says when the first one was; two
  scanners that both recorded someone offline keep the earlier time;
* door staff check in only for the events assigned to them, and learn
  nothing (no name, MSO or title) about another event's registrations;
* every attempt and every undo is a row of the door ledger (``CheckinScan``);
  a scanner's item carries a ref, unique per session, so an item sent again
  is answered from the ledger and changes nothing (pretix's nonce);
* a check-in recorded offline that reaches the server more than
  ``CHECKIN_SYNC_GRACE_MINUTES`` after the window closed is not recorded but
  held for staff review.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import audit
from ..database import insert_or_ignore, utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..inputs import get_by_id, parse_id
from ..models.accounts import User
from ..models.checkin import Attendance, CheckInMethod, CheckinScan, DoorAssignment, ScanKind
from ..models.events import (Event, EventSession, Registration, RegistrationStatus, Slot)
from ..permissions import ensure, is_door_staff, is_staff
from ..timeutil import to_local
from . import tickets

GREEN, AMBER, RED = "green", "amber", "red"

# How far ahead of the server's clock an offline scanner's time may be.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Result:
    """What the scanner shows after one check-in attempt."""

    outcome: str
    tone: str
    message: str
    registration: Registration | None = None
    attendance: Attendance | None = None
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "checked_in"

    def as_json(self) -> dict:
        reg = self.registration
        return {
            "outcome": self.outcome,
            "tone": self.tone,
            "message": self.message,
            "registration_id": reg.id if reg is not None else None,
            "name": reg.user.name if reg is not None and reg.user is not None else None,
            "organisation": reg.organisation.name if reg is not None and reg.organisation else None,
            "checked_in_at": self.attendance.checked_in_at.isoformat() if self.attendance else None,
            **self.extra,
        }


# --- who may check in for what ----------------------------------------------

def can_check_in_for(actor, event: Event) -> bool:
    """Staff for every event; door staff for the events assigned to them."""
    if is_staff(actor):
        return True
    if not is_door_staff(actor) or event is None:
        return False
    assignment = db.session.get(DoorAssignment, (event.id, actor.id))
    if assignment is None:
        return False
    # The session's identity map holds rows weakly: keep this one for the
    # session (one request), so that the checks of every further item of a
    # door sync find it there instead of asking the database again.
    db.session.info.setdefault("door_assignments", {})[(event.id, actor.id)] = assignment
    return True


def _require_door(actor, session: EventSession) -> None:
    if not can_check_in_for(actor, session.event):
        raise PermissionDenied("forbidden", _l("You are not assigned to the door of this event."))


def assign_door_staff(actor: User, event: Event, user: User) -> None:
    ensure(is_staff, actor)
    if not is_door_staff(user):
        raise DomainError("not_door_staff", _l("This person has no door staff role."))
    if db.session.get(DoorAssignment, (event.id, user.id)) is None:
        db.session.add(DoorAssignment(event_id=event.id, user_id=user.id))
        audit.record(actor, "door.assign", event, f"{user.name}: {event.title}", user_id=user.id)


def unassign_door_staff(actor: User, event: Event, user: User) -> None:
    ensure(is_staff, actor)
    result = db.session.execute(delete(DoorAssignment).where(
        DoorAssignment.event_id == event.id, DoorAssignment.user_id == user.id))
    if result.rowcount:
        audit.record(actor, "door.unassign", event, f"{user.name}: {event.title}", user_id=user.id)


def door_staff_of(event: Event) -> list[User]:
    return list(db.session.scalars(
        select(User).join(DoorAssignment, DoorAssignment.user_id == User.id)
        .where(DoorAssignment.event_id == event.id).order_by(User.name)))


def door_sessions(actor, now: datetime | None = None, *, days: int = 0) -> list[EventSession]:
    """Sessions the actor may open the scanner for: today's (local day) and
    those still in their check-in window, plus ``days`` more days."""
    now = now or utcnow()
    local = to_local(now)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start_of_day + timedelta(days=1 + days)
    query = (select(EventSession).join(Event, Event.id == EventSession.event_id)
             .options(contains_eager(EventSession.event), joinedload(EventSession.venue))
             .where(EventSession.status == "scheduled", Event.status == "published",
                    EventSession.ends_at >= start_of_day - _closes_after(),
                    EventSession.starts_at < end)
             .order_by(EventSession.starts_at, EventSession.id))
    if not is_staff(actor):
        query = query.join(DoorAssignment, and_(DoorAssignment.event_id == Event.id,
                                                DoorAssignment.user_id == actor.id))
    return list(db.session.scalars(query).unique())


# --- the check-in window ------------------------------------------------------

def _opens_before() -> timedelta:
    return timedelta(minutes=current_app.config["CHECKIN_OPENS_MINUTES"])


def _closes_after() -> timedelta:
    return timedelta(minutes=current_app.config["CHECKIN_CLOSES_MINUTES"])


def checkin_window(session: EventSession) -> tuple[datetime, datetime]:
    return session.starts_at - _opens_before(), session.ends_at + _closes_after()


def window_state(session: EventSession, at: datetime) -> str:
    """``open``, ``not_open`` (too early) or ``closed``."""
    opens, closes = checkin_window(session)
    if at < opens:
        return "not_open"
    if at > closes:
        return "closed"
    return "open"


# --- finding registrations ------------------------------------------------------

def covers(registration: Registration, session: EventSession) -> bool:
    """Whether the registration's slot includes ``session``."""
    slot = registration.slot
    if slot.event_id != session.event_id:
        return False
    return slot.session_id is None or slot.session_id == session.id


def _covering_condition(session: EventSession):
    return and_(Slot.event_id == session.event_id,
                or_(Slot.session_id == session.id, Slot.session_id.is_(None)))


@cache
def _registration_query():
    """A registration with what the scanner's answer shows (built once: a
    ``Select`` is immutable, every ``.where`` makes a new one)."""
    return (select(Registration)
            .options(joinedload(Registration.user), joinedload(Registration.organisation),
                     joinedload(Registration.slot).joinedload(Slot.session)))


def find_by_token(token: str) -> Registration | None:
    return db.session.scalar(_registration_query().where(Registration.ticket_token == token))


def find_by_code(code: str) -> Registration | None:
    return db.session.scalar(_registration_query().where(Registration.ticket_code == code))


def resolve_scan(text: str) -> tuple[str, Registration | None]:
    """Turn a scanned or typed text into a registration: ``("ok", reg)``,
    or ``("invalid", None)`` when it is no ticket of this app."""
    kind, value = tickets.parse_scan(text)
    if kind == "token":
        registration = find_by_token(value)
    elif kind == "code":
        registration = find_by_code(value)
    else:
        registration = None
    return ("ok", registration) if registration is not None else ("invalid", None)


def attendance_of(registration: Registration, session: EventSession) -> Attendance | None:
    return db.session.scalar(select(Attendance).where(
        Attendance.registration_id == registration.id, Attendance.session_id == session.id))


# --- what the scanner is told -------------------------------------------------------

#: The colour of every outcome code (the message is built by ``describe``).
TONES = {
    "checked_in": GREEN,
    "already_checked_in": AMBER, "other_session": AMBER, "waitlisted": AMBER, "not_open": AMBER,
    "closed": AMBER, "undone": AMBER, "not_checked_in": AMBER, "held_for_review": AMBER,
    "cancelled": RED, "session_cancelled": RED, "invalid": RED, "other_event": RED, "error": RED,
}


def _time(moment: datetime) -> str:
    return format_time(moment, "short")


def _when(moment: datetime) -> str:
    return format_datetime(moment, "short")


def _invalid(message=None) -> Result:
    return Result("invalid", RED, str(message or _("Not a valid ticket.")))


def _not_here() -> Result:
    """A registration the door of this session may not know about (another
    event's, or a deleted person's): no name, no MSO, no title."""
    return Result("invalid", RED, _("Not valid for this session."))


def _failed() -> Result:
    return Result("error", RED,
                  _("This check-in could not be processed. Please check the person in by name."))


def describe(outcome: str, session: EventSession, registration: Registration | None = None,
             attendance: Attendance | None = None) -> Result:
    """The scanner's answer for ``outcome``: one place for every message, used
    for fresh answers and for replays of stored ones."""
    if outcome in ("invalid", "error"):
        return _failed() if outcome == "error" else _not_here()
    if outcome == "other_event":
        return Result("other_event", RED, _("Not valid for this session."))
    if outcome == "session_cancelled":
        return Result(outcome, RED, _("This session has been cancelled."), registration)
    if registration is None or registration.user is None:
        return _not_here()
    name = registration.user.name
    if outcome == "checked_in":
        message = _("Welcome, %(name)s!", name=name)
    elif outcome == "already_checked_in":
        message = _("%(name)s is already checked in (since %(time)s).", name=name,
                    time=_time(attendance.checked_in_at) if attendance else "?")
    elif outcome == "cancelled":
        message = _("This ticket belongs to a cancelled registration.")
    elif outcome == "other_session":
        other = registration.slot.session
        message = _("%(name)s is registered for another session: %(when)s.",
                    name=name, when=_when(other.starts_at) if other else "?")
    elif outcome == "waitlisted":
        message = _("%(name)s is on the waiting list and has no confirmed seat.", name=name)
    elif outcome == "not_open":
        message = _("Check-in opens at %(time)s.", time=_time(checkin_window(session)[0]))
    elif outcome == "closed":
        message = _("Check-in for this session has closed.")
    elif outcome == "undone":
        message = _("Check-in of %(name)s taken back.", name=name)
    elif outcome == "not_checked_in":
        message = _("%(name)s was not checked in.", name=name)
    elif outcome == "held_for_review":
        message = _("The check-in of %(name)s arrived too late to be recorded; staff will review it.",
                    name=name)
    else:
        return _failed()
    return Result(outcome, TONES[outcome], message, registration, attendance)


# --- the rules ------------------------------------------------------------------

def _judge(registration: Registration, session: EventSession) -> str | None:
    """Why ``registration`` may not enter ``session`` (an outcome code), or None."""
    if registration.event_id != session.event_id:
        return "other_event"
    if registration.user_id is None:
        return "invalid"  # the person's data has been deleted
    if registration.status == RegistrationStatus.CANCELLED.value:
        return "cancelled"
    if not covers(registration, session):
        return "other_session"
    if registration.is_waitlisted:
        return "waitlisted"
    return None


def _sync_deadline(session: EventSession) -> datetime:
    """Until when a check-in recorded offline is still taken as it is."""
    grace = timedelta(minutes=current_app.config["CHECKIN_SYNC_GRACE_MINUTES"])
    return checkin_window(session)[1] + grace


def _record(actor, session: EventSession, result: Result, *, kind: ScanKind, method: str,
            client_ref: str | None, device_at: datetime | None, now: datetime) -> Result:
    """Write the answer into the door ledger (in the caller's transaction)."""
    registration = result.registration
    db.session.add(CheckinScan(
        session_id=session.id, registration_id=registration.id if registration is not None else None,
        client_ref=client_ref, kind=kind.value, method=method, result=result.outcome,
        device_at=device_at, received_at=now, user_id=getattr(actor, "id", None)))
    return result


def check_in(actor, session: EventSession, registration: Registration, *,
             method: str | CheckInMethod, now: datetime | None = None, at: datetime | None = None,
             override: bool = False, client_ref: str | None = None,
             device_at: datetime | None = None) -> Result:
    """Record that ``registration``'s person came to ``session``; every
    attempt, let in or not, is written to the door ledger.

    ``at`` is when it happened if not now (an offline scan, the device's
    clock); such an item that reaches the server later than
    ``CHECKIN_SYNC_GRACE_MINUTES`` after the window closed is held for staff
    review instead. ``override`` lets staff check someone in outside the
    window. ``device_at`` is the device's time when it is only recorded."""
    now = now or utcnow()
    method = CheckInMethod(method).value
    if method == CheckInMethod.SELF.value:
        if actor is None or actor.id != registration.user_id:
            raise PermissionDenied("forbidden", _l("You can only check yourself in."))
    else:
        _require_door(actor, session)
    device_at = at if at is not None else device_at
    result = _decide(actor, session, registration, method=method, now=now, at=at, override=override,
                     client_ref=client_ref)
    return _record(actor, session, result, kind=ScanKind.CHECK_IN, method=method, client_ref=client_ref,
                   device_at=device_at, now=now)


def _decide(actor, session: EventSession, registration: Registration, *, method: str, now: datetime,
            at: datetime | None, override: bool, client_ref: str | None) -> Result:
    staff_override = override and is_staff(actor)
    late = at is not None and now > _sync_deadline(session) and not staff_override
    at = min(at, now) if at is not None and at <= now + CLOCK_SKEW else now
    refusal = _judge(registration, session)
    if refusal in ("other_event", "invalid"):
        return describe(refusal, session)
    if not session.is_scheduled or session.event.is_cancelled:
        return describe("session_cancelled", session, registration)
    if refusal is not None:
        return describe(refusal, session, registration)
    state = window_state(session, at)
    overridden = state != "open" and staff_override
    if late or (state != "open" and not overridden):
        existing = attendance_of(registration, session)
        if existing is not None:
            return _already(existing, registration, session, None if late else at)
        if late:
            audit.record(actor, "checkin.held", registration, registration.user.name, now=now,
                         session_id=session.id, device_at=at.isoformat())
            return describe("held_for_review", session, registration)
        return describe(state, session, registration)
    # One conditional insert, no savepoint: the unique index answers whether
    # the person was already in (checked in before, or by another scanner a
    # moment ago).
    attendance = db.session.scalar(insert_or_ignore(
        Attendance, key=["registration_id", "session_id"],
        registration_id=registration.id, session_id=session.id, checked_in_at=at, recorded_at=now,
        checked_in_by_id=getattr(actor, "id", None), method=method, client_ref=client_ref,
    ).returning(Attendance))
    if attendance is None:
        return _already(attendance_of(registration, session), registration, session, at)
    if overridden:
        audit.record(actor, "checkin.override", attendance, registration.user.name, now=now,
                     session_id=session.id, window=state)
    return describe("checked_in", session, registration, attendance)


def _already(existing: Attendance, registration: Registration, session: EventSession,
             at: datetime | None) -> Result:
    """A rescan changes nothing, except that the earliest time wins when two
    scanners both let the person in (offline), within the check-in window."""
    if at is not None and at < existing.checked_in_at and window_state(session, at) == "open":
        existing.checked_in_at = at
    return describe("already_checked_in", session, registration, existing)


def check_in_scanned(actor, session: EventSession, text: str, *, method=CheckInMethod.SCAN,
                     now: datetime | None = None, at: datetime | None = None,
                     override: bool = False, client_ref: str | None = None) -> Result:
    """Check in whoever the scanned URL or typed ticket code names (a ticket
    URL only with a valid signature)."""
    _require_door(actor, session)
    status, registration = resolve_scan(text)
    if registration is None:
        now = now or utcnow()
        return _record(actor, session, _invalid(), kind=ScanKind.CHECK_IN, method=CheckInMethod(method).value,
                       client_ref=client_ref, device_at=at, now=now)
    return check_in(actor, session, registration, method=method, now=now, at=at,
                    override=override, client_ref=client_ref)


def registration_by_id(value) -> Registration | None:
    return get_by_id(Registration, value)


def door_registration(session: EventSession, value) -> Registration | None:
    """The registration a door client names by id, if it is one the door of
    ``session`` may know about (this event's, its person not deleted); None
    for every other id, so that ids reveal nothing about other events."""
    number = parse_id(value)
    registration = (None if number is None
                    else db.session.scalar(_registration_query().where(Registration.id == number)))
    if registration is None or registration.event_id != session.event_id or registration.user_id is None:
        return None
    return registration


def check_in_registration_id(actor, session: EventSession, registration_id, *, method=CheckInMethod.MANUAL,
                             now=None, at=None, override=False, client_ref=None,
                             device_at=None) -> Result:
    """Manual check-in from the search list."""
    _require_door(actor, session)
    registration = door_registration(session, registration_id)
    if registration is None:
        return _record(actor, session, _not_here(), kind=ScanKind.CHECK_IN, method=CheckInMethod(method).value,
                       client_ref=client_ref, device_at=at or device_at, now=now or utcnow())
    return check_in(actor, session, registration, method=method, now=now, at=at,
                    override=override, client_ref=client_ref, device_at=device_at)


def undo(actor, session: EventSession, registration: Registration | None, *, method=CheckInMethod.MANUAL,
         now: datetime | None = None, client_ref: str | None = None,
         device_at: datetime | None = None) -> Result:
    """Take back a check-in made by mistake. The undo is a row in the door
    ledger; a replay of it (same ``client_ref``) is answered from there and
    cannot take back a later check-in."""
    _require_door(actor, session)
    now = now or utcnow()
    method = CheckInMethod(method).value
    if registration is None or _judge(registration, session) in ("other_event", "invalid"):
        result = _not_here()
    else:
        deleted = db.session.execute(delete(Attendance).where(
            Attendance.registration_id == registration.id, Attendance.session_id == session.id))
        result = describe("undone" if deleted.rowcount else "not_checked_in", session, registration)
    return _record(actor, session, result, kind=ScanKind.UNDO, method=method, client_ref=client_ref,
                   device_at=device_at, now=now)
