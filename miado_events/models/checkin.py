"""Check-in: who may check people in for an event (door staff assignments),
attendance per session, and certificates of participation.

Invariants live in the database: one attendance per registration and
session (a rescan or an offline sync arriving twice records nothing new), one
valid certificate per person and series, unique verification codes.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .accounts import User
from .events import Event, EventSession, Registration


class CheckInMethod(RichEnum):
    SCAN = "scan"          # the door scanner read the ticket's QR code
    MANUAL = "manual"      # found by name or ticket code at the door
    SELF = "self"          # the member scanned the session's rotating code
    SYNC = "sync"          # recorded offline by a scanner, sent later
    WALK_IN = "walk_in"    # registered and checked in at the door
    CLI = "cli"            # flask --app app checkin …




class DoorAssignment(db.Model):
    """Door staff may check people in for the events assigned to them."""

    __tablename__ = "door_assignments"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class Attendance(db.Model):
    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("registration_id", "session_id"),
        CheckInMethod.check_constraint("method", name="method_valid"),
        Index("ix_attendances_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    #: When the person came in (for an offline scan: the time on the device).
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: When the server stored it.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(16))
    #: The scanner's id for a queued check-in, to recognise it when it is sent again.
    client_ref: Mapped[str | None] = mapped_column(String(64))

    registration: Mapped[Registration] = relationship()
    session: Mapped[EventSession] = relationship()
    checked_in_by: Mapped[User | None] = relationship()


class ScanKind(RichEnum):
    CHECK_IN = "check_in"
    UNDO = "undo"


class ScanReview(RichEnum):
    """Staff's decision on an offline check-in held for review."""
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class CheckinScan(db.Model):
    """The door ledger: every check-in attempt and every undo, as a new row
    (an undo never deletes history). ``client_ref`` is the scanner's id for an
    item (pretix's nonce): unique per session, so a batch sent twice, or late,
    is answered from here and changes nothing the second time. An offline item
    that arrives too long after the session's check-in window closed is held
    here (``result`` ``held_for_review``) until staff accept or reject it."""

    __tablename__ = "checkin_scans"
    __table_args__ = (
        UniqueConstraint("session_id", "client_ref"),
        ScanKind.check_constraint("kind", name="kind_valid"),
        CheckConstraint("review IS NULL OR " + ScanReview.sql_in("review"), name="review_valid"),
        Index("ix_checkin_scans_session_id_result", "session_id", "result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    #: None when the scan named no registration valid for this session.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"),
                                                        index=True)
    client_ref: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    #: The outcome code the scanner was given (``checked_in``, ``cancelled`` …).
    result: Mapped[str] = mapped_column(String(32))
    #: The time on the device when the item was recorded (offline scans).
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the server received it.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Staff decision on an item held for review.
    review: Mapped[str | None] = mapped_column(String(16))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[EventSession] = relationship()
    registration: Mapped[Registration | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def person_name(self) -> str:
        """The name of the person scanned; empty when unknown or deleted."""
        registration = self.registration
        return registration.user.name if registration is not None and registration.user is not None else ""

    @property
    def awaits_review(self) -> bool:
        return self.result == "held_for_review" and self.review is None


class Certificate(db.Model):
    """A Teilnahmebescheinigung. The holder's name is kept as printed."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("uq_certificates_valid_per_person", "event_id", "user_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    holder_name: Mapped[str] = mapped_column(String(120))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    sessions_attended: Mapped[int]
    sessions_total: Mapped[int]
    minutes_attended: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Staff member who issued it by hand; None when earned by attendance.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(300))

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def code_display(self) -> str:
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))


class TicketImage(db.Model):
    """A ticket's QR code, drawn once and kept (the mail worker draws it for
    the confirmation, the ticket page and the PDF reuse it in every process).
    Keyed by the registration, so it goes when the registration goes; it is
    valid only for the ``token`` it was drawn for (anonymising a registration
    clears its token and deletes this row)."""

    __tablename__ = "ticket_images"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
