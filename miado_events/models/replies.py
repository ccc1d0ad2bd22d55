"""Calendar replies (iCalendar ``METHOD:REPLY``) read from the office's
inbound mailbox, and the answer each one gave.

``CalendarReply`` is one row per inbound message, written in the same
transaction as whatever the message changes: its unique ``message_key``
(the Message-ID, or a hash of the message when it has none) is what makes
every message count exactly once, even with two receivers at the same time.
``CalendarAnswer`` is the latest answer (accepted, tentative, declined) a
person gave in their calendar to one session of their registration; staff
see it on the registrant list.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .events import EventSession, Registration


class ReplyOutcome(RichEnum):
    #: A decline that cancelled the registration.
    CANCELLED = "cancelled", _l("Registration cancelled")
    #: An answer recorded on the registration (nothing else changed).
    RECORDED = "recorded", _l("Answer recorded")
    #: Nothing changed; left in the mailbox (flagged) for the office.
    UNUSABLE = "unusable", _l("Needs the office")


class ReplyProblem(RichEnum):
    """Why the app could not use a message (shown to staff)."""

    NO_CALENDAR = "no_calendar", _l("The message has no calendar reply.")
    NOT_A_REPLY = "not_a_reply", _l("The calendar part is not a reply (METHOD:REPLY).")
    MALFORMED = "malformed", _l("The calendar part cannot be read.")
    TOO_LARGE = "too_large", _l("The message is too large to be read.")
    NOT_ONE_ATTENDEE = "not_one_attendee", _l("The reply does not name exactly one participant.")
    UNKNOWN_ANSWER = "unknown_answer", _l("The reply is neither accepted, tentative nor declined.")
    UNKNOWN_UID = "unknown_uid", _l("The reply is for no session of this site.")
    SESSION_OVER = "session_over", _l("The session is already over.")
    SESSION_CANCELLED = "session_cancelled", _l("The session or event has been cancelled.")
    NOT_REGISTERED = "not_registered", _l("The person who answered is not registered for this session.")
    REGISTRATION_CANCELLED = "registration_cancelled", _l("The registration had already been cancelled.")
    OLD_SEQUENCE = "old_sequence", _l("The reply answers an outdated version of the invitation.")
    STALE = "stale", _l("The reply was written before this registration existed.")
    SOMEONE_ELSE = "someone_else", _l("The reply was sent from the address of another person.")
    NOT_AUTHENTICATED = "not_authenticated", _l("The office's mail server could not authenticate the sender.")
    DEADLINE_PASSED = "deadline_passed", _l(
        "The cancellation deadline had passed; cancel by hand if the seat should be freed.")


class CalendarAnswer(RichEnum):
    ACCEPTED = "accepted", _l("Accepted")
    TENTATIVE = "tentative", _l("Tentative")
    DECLINED = "declined", _l("Declined")


class CalendarReply(db.Model):
    __tablename__ = "calendar_replies"
    __table_args__ = (
        ReplyOutcome.check_constraint("outcome", name="outcome_valid"),
        ReplyProblem.check_constraint("problem", name="problem_valid"),
        CalendarAnswer.check_constraint("answer", name="answer_valid"),
        Index("ix_calendar_replies_outcome", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``<Message-ID>`` or ``sha256:<hex>`` of the whole message: each counts once.
    message_key: Mapped[str] = mapped_column(String(255), unique=True)
    mailbox: Mapped[str | None] = mapped_column(String(200))
    mailbox_uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    mailbox_uid: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    from_address: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    ical_uid: Mapped[str | None] = mapped_column(String(255))
    attendee: Mapped[str | None] = mapped_column(String(320))
    answer: Mapped[str | None] = mapped_column(String(16))
    sequence: Mapped[int | None]
    session_id: Mapped[int | None] = mapped_column(ForeignKey("event_sessions.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    problem: Mapped[str | None] = mapped_column(String(32))
    #: A decline that gave a confirmed seat back (the dashboard counts these).
    freed_seat: Mapped[bool] = mapped_column(default=False)
    #: An unusable reply the office has looked at (it leaves the staff list).
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event_session: Mapped[EventSession | None] = relationship()
    registration: Mapped[Registration | None] = relationship()

    @property
    def problem_label(self):
        return ReplyProblem.label_of(self.problem) if self.problem else ""

    @property
    def answer_label(self):
        return CalendarAnswer.label_of(self.answer) if self.answer else ""


class RegistrationAnswer(db.Model):
    """The latest calendar answer to one session of a registration."""

    __tablename__ = "calendar_answers"
    __table_args__ = (CalendarAnswer.check_constraint("answer", name="answer_valid"),)

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE"), primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event_session: Mapped[EventSession] = relationship()

    @property
    def label(self):
        return CalendarAnswer.label_of(self.answer)


def answers_by_registration(registration_ids) -> dict[int, list[RegistrationAnswer]]:
    """``{registration_id: [answers, by session start]}`` in one query (the registrant list)."""
    ids = list(registration_ids)
    result: dict[int, list[RegistrationAnswer]] = {}
    if not ids:
        return result
    rows = db.session.scalars(
        select(RegistrationAnswer).join(EventSession, EventSession.id == RegistrationAnswer.session_id)
        .where(RegistrationAnswer.registration_id.in_(ids))
        .order_by(EventSession.starts_at, EventSession.id))
    for row in rows:
        result.setdefault(row.registration_id, []).append(row)
    return result
