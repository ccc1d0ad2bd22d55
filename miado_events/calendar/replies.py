"""Calendar replies: "Decline" in Outlook, Gmail, Apple Calendar or
Thunderbird is an answer the app acts on.

``parse_message`` reads one inbound e-mail and finds its ``METHOD:REPLY``
calendar parts (inline ``text/calendar``, or an ``.ics`` attachment; base64,
quoted-printable or plain; METHOD in the VCALENDAR or only in the MIME
parameters). ``process_message`` matches each answer to a session (by UID)
and a registration (by the ATTENDEE's address) and acts on it:

* DECLINED cancels the registration exactly as if the person had cancelled
  on the site (same service, same deadline, seat to the waiting list), with
  ``cause="calendar_declined"`` so the cancellation mail says why;
* ACCEPTED and TENTATIVE (and any answer from the waiting list, or to one
  date of a training series) are recorded on the registration for staff;
* anything else changes nothing and is kept for the office with a reason.

Against cheap forgeries (see README, Calendar replies): the ATTENDEE must be
the registration's own address; the SEQUENCE must not be older than the
invitation last sent; the reply must not be older than the registration; a
reply sent from the address of another account may not answer for someone
else; and with ``INBOUND_AUTHSERV_ID`` set, the office's own mail server must
have authenticated the sender (DKIM, SPF or DMARC pass).

``process_message`` writes the ``CalendarReply`` row (its unique
``message_key`` claims the message) before it changes anything, all in the
caller's transaction: the caller commits once per message, so each message
counts exactly once, even with two receivers at the same time.
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import getaddresses

from flask import current_app
from flask_babel import lazy_gettext as _l
from icalendar import Calendar
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ..accounts.services import get_user_by_email
from ..database import utcnow
from ..errors import DomainError
from ..events import registration as registrations
from ..extensions import db
from ..models.accounts import User
from ..models.events import EventSession, Registration, Slot
from ..models.replies import (CalendarAnswer, CalendarReply, RegistrationAnswer, ReplyOutcome,
                              ReplyProblem)
from ..permissions import ensure, is_staff
from . import ical

#: A calendar part larger than this is not parsed (a reply is a few kilobytes).
MAX_CALENDAR_BYTES = 256 * 1024
#: A reply written this long before its registration is still believed (clock skew).
CLOCK_SKEW = timedelta(minutes=15)
CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics"}
CAUSE_DECLINED = "calendar_declined"
_UID_RE = re.compile(r"^session-(\d{1,12})@", re.IGNORECASE)
_PARTSTATS = {"ACCEPTED": CalendarAnswer.ACCEPTED, "TENTATIVE": CalendarAnswer.TENTATIVE,
              "DECLINED": CalendarAnswer.DECLINED}


class Unusable(Exception):
    def __init__(self, problem: ReplyProblem):
        super().__init__(problem.value)
        self.problem = problem


@dataclass
class ReplyItem:
    """One VEVENT of a reply: who answered what to which invitation."""

    uid: str
    attendee: str  # the address, lower case, without mailto:
    partstat: str
    sequence: int = 0
    dtstamp: datetime | None = None


@dataclass
class ParsedMessage:
    message_key: str
    from_address: str | None = None
    subject: str | None = None
    items: list[ReplyItem] = field(default_factory=list)
    problem: ReplyProblem | None = None
    authenticated: bool | None = None  # None: no check configured


# --- parsing ---------------------------------------------------------------------------------

def message_key(msg: EmailMessage | None, raw: bytes) -> str:
    """The Message-ID (what every copy of the message shares), else a hash of it."""
    message_id = None
    if msg is not None:
        try:
            message_id = (msg.get("Message-ID") or "").strip()
        except Exception:  # a header the parser cannot read
            message_id = None
    if message_id and len(message_id) <= 250:
        return message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _address(value) -> str:
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except Exception:
        return None
    return str(value) if value is not None else None


def _from_address(msg: EmailMessage) -> str | None:
    value = _header(msg, "From")
    if not value:
        return None
    addresses = [a for _n, a in getaddresses([value]) if a]
    return addresses[0].lower()[:320] if addresses else None


def _is_calendar_part(part) -> bool:
    if part.is_multipart():
        return False
    if part.get_content_type() in CALENDAR_TYPES:
        return True
    filename = part.get_filename() or ""
    return filename.lower().endswith((".ics", ".vcs"))


def _calendar_parts(msg: EmailMessage):
    """``(mime_method, bytes)`` for each calendar part, decoded (base64, QP)."""
    for part in msg.walk():
        if not _is_calendar_part(part):
            continue
        payload = part.get_payload(decode=True) or b""
        if len(payload) > MAX_CALENDAR_BYTES:
            raise Unusable(ReplyProblem.TOO_LARGE)
        yield (part.get_param("method") or "").upper(), payload


def _as_utc(value) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    return None


def _items(calendar: Calendar) -> list[ReplyItem]:
    items = []
    for vevent in calendar.walk("VEVENT"):
        uid = str(vevent.get("uid") or "").strip()
        attendees = vevent.get("attendee")
        if attendees is None:
            attendees = []
        elif not isinstance(attendees, list):
            attendees = [attendees]
        if len(attendees) != 1:
            raise Unusable(ReplyProblem.NOT_ONE_ATTENDEE)
        attendee = attendees[0]
        partstat = str(attendee.params.get("PARTSTAT", "")).upper()
        try:
            sequence = int(vevent.get("sequence") or 0)
        except (TypeError, ValueError):
            raise Unusable(ReplyProblem.MALFORMED) from None
        stamp = vevent.get("dtstamp")
        items.append(ReplyItem(uid=uid[:255], attendee=_address(attendee)[:320], partstat=partstat,
                               sequence=sequence, dtstamp=_as_utc(stamp.dt) if stamp is not None else None))
    if not items:
        raise Unusable(ReplyProblem.MALFORMED)
    return items


def _authenticated(msg: EmailMessage, authserv_id: str) -> bool:
    """An Authentication-Results header written by our own server (its
    authserv-id comes first) that reports dkim, spf or dmarc ``pass``. Headers
    naming another server may have been written by the sender: ignored."""
    try:
        values = msg.get_all("Authentication-Results") or []
    except Exception:
        return False
    for value in values:
        text = " ".join(str(value).split())
        server, _sep, results = text.partition(";")
        if server.strip().split(" ")[0].lower() != authserv_id.lower():
            continue
        if re.search(r"\b(dkim|spf|dmarc)\s*=\s*pass\b", results, re.IGNORECASE):
            return True
    return False


def parse_message(raw: bytes, *, authserv_id: str = "") -> ParsedMessage:
    """Read one e-mail; never raises for bad input (the problem is in ``problem``)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        return ParsedMessage(message_key(None, raw), problem=ReplyProblem.MALFORMED)
    parsed = ParsedMessage(message_key(msg, raw), from_address=_from_address(msg),
                           subject=(_header(msg, "Subject") or "")[:300] or None)
    if authserv_id:
        parsed.authenticated = _authenticated(msg, authserv_id)
    try:
        seen = set()
        found_calendar = False
        for mime_method, payload in _calendar_parts(msg):
            found_calendar = True
            try:
                calendar = Calendar.from_ical(payload)
            except Exception:
                raise Unusable(ReplyProblem.MALFORMED) from None
            method = str(calendar.get("method") or mime_method or "").upper()
            if method != "REPLY":
                continue
            for item in _items(calendar):
                # Gmail sends the same reply inline and as invite.ics.
                key = (item.uid.lower(), item.attendee)
                if key not in seen:
                    seen.add(key)
                    parsed.items.append(item)
        if not parsed.items:
            raise Unusable(ReplyProblem.NOT_A_REPLY if found_calendar else ReplyProblem.NO_CALENDAR)
    except Unusable as err:
        parsed.items = []
        parsed.problem = err.problem
    return parsed


def headers_only(raw_headers: bytes, *, problem: ReplyProblem) -> ParsedMessage:
    """A message known only by its headers (too large to fetch)."""
    try:
        msg = email.message_from_bytes(raw_headers, policy=email.policy.default)
    except Exception:
        msg = None
    parsed = ParsedMessage(message_key(msg, raw_headers), problem=problem)
    if msg is not None:
        parsed.from_address = _from_address(msg)
        parsed.subject = (_header(msg, "Subject") or "")[:300] or None
    return parsed


# --- matching ---------------------------------------------------------------------------------

def find_session(uid: str) -> EventSession | None:
    """The session whose invitations carry ``uid`` (compared as the invite writes it)."""
    match = _UID_RE.match(uid or "")
    if not match:
        return None
    session = db.session.get(EventSession, int(match.group(1)))
    if session is None or ical.session_uid(session).lower() != uid.lower():
        return None
    return session


def find_registration(session: EventSession, user: User) -> Registration | None:
    """The person's registration covering ``session``: the active one, else the latest."""
    rows = db.session.scalars(
        select(Registration).join(Slot, Slot.id == Registration.slot_id)
        .where(Registration.user_id == user.id, Slot.event_id == session.event_id,
               or_(Slot.session_id == session.id, Slot.session_id.is_(None)))
        .order_by(Registration.id.desc())).all()
    active = [r for r in rows if r.is_active]
    return (active or rows or [None])[0]


@dataclass
class Decision:
    outcome: ReplyOutcome
    problem: ReplyProblem | None = None
    session: EventSession | None = None
    registration: Registration | None = None
    freed_seat: bool = False


def _record_answer(registration: Registration, session: EventSession, answer: CalendarAnswer,
                   now: datetime) -> None:
    row = db.session.get(RegistrationAnswer, (registration.id, session.id))
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(RegistrationAnswer(registration_id=registration.id, session_id=session.id,
                                                  answer=answer.value, answered_at=now))
            return
        except IntegrityError:  # another reply of the same person, at the same moment
            row = db.session.get(RegistrationAnswer, (registration.id, session.id))
    row.answer = answer.value
    row.answered_at = now


def decide(item: ReplyItem, parsed: ParsedMessage, now: datetime) -> Decision:
    """Match one answer and act on it (in the caller's transaction)."""
    answer = _PARTSTATS.get(item.partstat)
    if answer is None:
        return Decision(ReplyOutcome.UNUSABLE, ReplyProblem.UNKNOWN_ANSWER)
    session = find_session(item.uid)
    if session is None:
        return Decision(ReplyOutcome.UNUSABLE, ReplyProblem.UNKNOWN_UID)
    unusable = lambda problem, registration=None: Decision(  # noqa: E731
        ReplyOutcome.UNUSABLE, problem, session, registration)
    if parsed.authenticated is False:
        return unusable(ReplyProblem.NOT_AUTHENTICATED)
    if session.ends_at <= now:
        return unusable(ReplyProblem.SESSION_OVER)
    if not session.is_scheduled or session.event.is_cancelled:
        return unusable(ReplyProblem.SESSION_CANCELLED)
    user = get_user_by_email(item.attendee) if item.attendee else None
    registration = find_registration(session, user) if user is not None else None
    if registration is None:
        return unusable(ReplyProblem.NOT_REGISTERED)
    if parsed.from_address and parsed.from_address != user.email:
        sender = get_user_by_email(parsed.from_address)
        if sender is not None and sender.id != user.id:
            return unusable(ReplyProblem.SOMEONE_ELSE, registration)
    if not registration.is_active:
        return unusable(ReplyProblem.REGISTRATION_CANCELLED, registration)
    if item.sequence < session.sequence:
        return unusable(ReplyProblem.OLD_SEQUENCE, registration)
    if item.dtstamp is not None and item.dtstamp < registration.created_at - CLOCK_SKEW:
        return unusable(ReplyProblem.STALE, registration)
    whole_series = registration.slot.session_id is None and len(registration.slot.sessions) > 1
    if answer is CalendarAnswer.DECLINED and registration.is_confirmed and not whole_series:
        try:
            with db.session.begin_nested():
                registrations.cancel_registration(user, registration, now=now, cause=CAUSE_DECLINED)
        except DomainError as err:
            if err.code == "already_cancelled":
                return unusable(ReplyProblem.REGISTRATION_CANCELLED, registration)
            return unusable(ReplyProblem.DEADLINE_PASSED, registration)
        _record_answer(registration, session, answer, now)
        return Decision(ReplyOutcome.CANCELLED, None, session, registration, freed_seat=True)
    # Accepted, tentative, a decline from the waiting list, or a decline of one
    # date of a training series (registered as a whole): recorded for staff.
    _record_answer(registration, session, answer, now)
    return Decision(ReplyOutcome.RECORDED, None, session, registration)


class AlreadyProcessed(Exception):
    def __init__(self, reply: CalendarReply):
        super().__init__(reply.message_key)
        self.reply = reply


def existing_reply(key: str) -> CalendarReply | None:
    return db.session.scalar(select(CalendarReply).where(CalendarReply.message_key == key))


def process_message(raw: bytes | None, *, parsed: ParsedMessage | None = None, mailbox: str | None = None,
                    uidvalidity: int | None = None, uid: int | None = None,
                    now: datetime | None = None) -> CalendarReply:
    """Read, match and act on one inbound message, in the caller's transaction
    (the caller commits). Raises ``AlreadyProcessed`` when the message was
    handled before (by this or another receiver); the caller rolls back."""
    now = now or utcnow()
    if parsed is None:
        parsed = parse_message(raw or b"", authserv_id=current_app.config.get("INBOUND_AUTHSERV_ID", ""))
    seen = existing_reply(parsed.message_key)
    if seen is not None:
        raise AlreadyProcessed(seen)
    reply = CalendarReply(message_key=parsed.message_key, mailbox=mailbox, mailbox_uidvalidity=uidvalidity,
                          mailbox_uid=uid, received_at=now, from_address=parsed.from_address,
                          subject=parsed.subject, outcome=ReplyOutcome.UNUSABLE.value,
                          problem=parsed.problem.value if parsed.problem else None)
    try:
        # The claim: a second receiver with the same message waits here for the
        # first one's transaction, then fails on the unique key.
        with db.session.begin_nested():
            db.session.add(reply)
    except IntegrityError:
        raise AlreadyProcessed(existing_reply(parsed.message_key)) from None
    if parsed.problem is not None:
        return reply
    decisions = []
    for item in parsed.items:
        decision = decide(item, parsed, now)
        decisions.append((item, decision))
    # The message's row shows its most important answer: a cancellation, else
    # a recorded answer, else the first problem.
    rank = {ReplyOutcome.CANCELLED: 0, ReplyOutcome.RECORDED: 1, ReplyOutcome.UNUSABLE: 2}
    item, decision = min(decisions, key=lambda pair: rank[pair[1].outcome])
    reply.ical_uid = item.uid
    reply.attendee = item.attendee
    reply.answer = _PARTSTATS[item.partstat].value if item.partstat in _PARTSTATS else None
    reply.sequence = item.sequence
    reply.session_id = decision.session.id if decision.session is not None else None
    reply.registration_id = decision.registration.id if decision.registration is not None else None
    reply.outcome = decision.outcome.value
    reply.problem = decision.problem.value if decision.problem else None
    reply.freed_seat = any(d.freed_seat for _i, d in decisions)
    if decision.outcome is not ReplyOutcome.UNUSABLE:
        # Used: the registration says who it was; the addresses and the subject
        # are only kept for replies the office has to look at.
        reply.from_address = reply.subject = reply.attendee = None
    db.session.flush()
    return reply


def purge_replies(before: datetime) -> int:
    """Delete the records of replies received before ``before`` (the privacy
    purge's cut-off). Safe: a used message has left the folder and an unusable
    one keeps its ``$MiadoUnusable`` keyword, so neither is read again."""
    from sqlalchemy import delete

    result = db.session.execute(delete(CalendarReply).where(CalendarReply.received_at < before)
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0


# --- for staff --------------------------------------------------------------------------------

def _for_the_office():
    return (CalendarReply.outcome == ReplyOutcome.UNUSABLE.value, CalendarReply.handled_at.is_(None))


def unusable_replies_query():
    """Replies the office still has to look at, newest first."""
    return select(CalendarReply).where(*_for_the_office()).order_by(CalendarReply.id.desc())


def mark_handled(actor: User, reply: CalendarReply, *, now: datetime | None = None) -> None:
    """Staff have looked at a reply the app could not use: it leaves the list."""
    ensure(is_staff, actor)
    if reply.outcome != ReplyOutcome.UNUSABLE.value:
        raise DomainError("not_for_the_office", _l("The app has already acted on this reply."))
    if reply.handled_at is not None:
        raise DomainError("already_handled", _l("This reply has already been marked as done."))
    reply.handled_at = now or utcnow()
    reply.handled_by_id = actor.id


DASHBOARD_DAYS = 30


@dataclass
class DashboardCounts:
    #: Declines in a calendar app that gave a seat back, in the last DASHBOARD_DAYS days.
    freed_seats: int
    #: Replies left for the office (listed on the staff page).
    unusable: int


def dashboard_counts(now: datetime | None = None) -> DashboardCounts:
    """Both counts in one query."""
    since = (now or utcnow()) - timedelta(days=DASHBOARD_DAYS)
    row = db.session.execute(select(
        select(func.count(CalendarReply.id)).where(CalendarReply.freed_seat.is_(True),
                                                   CalendarReply.received_at >= since).scalar_subquery(),
        select(func.count(CalendarReply.id)).where(*_for_the_office()).scalar_subquery())).one()
    return DashboardCounts(*row)
