"""Events, their sessions and venues, registration slots with seat counters,
and registrations.

A *slot* is what people register for and what has a capacity: the whole
event for a training series, each session for networking meetings and
seminars. Seat counters live on the slot (and per MSO on ``slot_org_seats``)
with CHECK constraints, so the database itself refuses an overbooking.
"""
from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (JSON, CheckConstraint, ForeignKey, Index, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .translated import Translatable
from .accounts import User
from .orgs import Organisation


class EventKind(RichEnum):
    NETWORKING = "networking", _l("Networking meeting")
    SERIES = "series", _l("Training series")
    SEMINAR = "seminar", _l("Seminar")


class EventStatus(RichEnum):
    DRAFT = "draft", _l("Draft")
    PUBLISHED = "published", _l("Published")
    CANCELLED = "cancelled", _l("Cancelled")


class Visibility(RichEnum):
    PUBLIC = "public", _l("Everyone with an account")
    MEMBERS = "members", _l("Members of migrant self-organisations only")  # of listed MSOs


class SessionStatus(RichEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class WaitlistMode(RichEnum):
    """What happens to a freed seat when people are waiting."""

    AUTOMATIC = "automatic", _l("Give it at once to the first person waiting")
    OFFER = "offer", _l("Offer it by e-mail, to accept by a deadline")


class RegistrationStatus(RichEnum):
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("Waiting list")
    CANCELLED = "cancelled", _l("Cancelled")


#: The statuses of an *active* registration: one that holds a seat or a place
#: on the waiting list. ``Registration.is_active`` (Python and SQL) and the
#: partial unique index "one active registration per person and slot" use it.
ACTIVE_REGISTRATION_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
ACTIVE_REGISTRATION = tuple(s.value for s in ACTIVE_REGISTRATION_STATUSES)


class RegistrationWindow(str, enum.Enum):
    """Where ``now`` lies relative to an event's registration period."""

    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"


# Ticket codes people type at the door: Crockford's base32 (no I, L, O, U),
# so that 0/O and 1/I/L cannot be confused.
TICKET_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_CODE_LENGTH = 8


def new_ticket_token() -> str:
    """The secret a ticket's QR code carries: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def new_ticket_code() -> str:
    """A short code for manual entry at the door (40 random bits)."""
    return "".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(TICKET_CODE_LENGTH))


class Venue(Translatable, db.Model):
    TRANSLATED_FIELDS = ("accessibility_notes", "directions")
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(40))
    room: Mapped[str | None] = mapped_column(String(100))
    accessibility_notes: Mapped[str | None] = mapped_column(Text)
    directions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __str__(self) -> str:
        return f"{self.name}, {self.address}"


class Event(Translatable, db.Model):
    TRANSLATED_FIELDS = ("title", "description", "audience_note")
    __tablename__ = "events"
    __table_args__ = (
        EventKind.check_constraint("kind", name="kind_valid"),
        EventStatus.check_constraint("status", name="status_valid"),
        Visibility.check_constraint("visibility", name="visibility_valid"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("org_seat_limit IS NULL OR org_seat_limit > 0", name="org_limit_positive"),
        CheckConstraint("cancellation_deadline_hours >= 0", name="deadline_not_negative"),
        WaitlistMode.check_constraint("waitlist_mode", name="waitlist_mode_valid"),
        CheckConstraint("offer_hours IS NULL OR offer_hours > 0", name="offer_hours_positive"),
        CheckConstraint("certificate_threshold IS NULL OR "
                        "(certificate_threshold > 0 AND certificate_threshold <= 100)",
                        name="threshold_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # of instruction
    audience_note: Mapped[str | None] = mapped_column(String(300))
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC.value)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT.value)
    capacity: Mapped[int]
    org_seat_limit: Mapped[int | None]
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancellation_deadline_hours: Mapped[int] = mapped_column(default=24)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    #: ``offer``: a freed seat is held for the first eligible waiting person and
    #: offered by mail (see events/offers.py); ``automatic``: given at once.
    waitlist_mode: Mapped[str] = mapped_column(String(16), default=WaitlistMode.AUTOMATIC.value)
    #: How long an offer stays open; None: the site's WAITLIST_OFFER_HOURS.
    offer_hours: Mapped[int | None]
    certificate_threshold: Mapped[int | None]  # percent of sessions, series only
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event", cascade="all, delete-orphan",
        order_by="(EventSession.starts_at, EventSession.id)")
    slots: Mapped[list[Slot]] = relationship(back_populates="event", cascade="all, delete-orphan")

    @property
    def registers_whole_event(self) -> bool:
        """A training series is registered as a whole; others per session."""
        return self.kind == EventKind.SERIES.value

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED.value

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED.value

    @property
    def scheduled_sessions(self) -> list[EventSession]:
        return [s for s in self.sessions if s.is_scheduled]

    @property
    def first_start(self) -> datetime | None:
        starts = [s.starts_at for s in self.scheduled_sessions]
        return min(starts) if starts else None

    @property
    def last_end(self) -> datetime | None:
        ends = [s.ends_at for s in self.scheduled_sessions]
        return max(ends) if ends else None

    @property
    def offers_seats(self) -> bool:
        """A freed seat is offered (and held) rather than given at once."""
        return self.waitlist_mode == WaitlistMode.OFFER.value

    @property
    def is_draft(self) -> bool:
        return self.status == EventStatus.DRAFT.value

    @property
    def is_members_only(self) -> bool:
        """Only members of listed MSOs may register."""
        return self.visibility == Visibility.MEMBERS.value

    # -- the registration window: the one definition services, queries,
    #    templates and the page cache use --
    def registration_window(self, now: datetime) -> RegistrationWindow:
        """Before ``registration_opens_at`` not yet open, from
        ``registration_closes_at`` on closed (either may be unset). A slot
        also closes when it starts: see ``Slot.registration_window``."""
        if self.registration_opens_at and now < self.registration_opens_at:
            return RegistrationWindow.NOT_YET_OPEN
        if self.registration_closes_at and now >= self.registration_closes_at:
            return RegistrationWindow.CLOSED
        return RegistrationWindow.OPEN

    def registration_window_open(self, now: datetime) -> bool:
        return self.registration_window(now) is RegistrationWindow.OPEN

    @property
    def registration_moments(self) -> tuple[datetime | None, datetime | None]:
        """The moments at which ``registration_window`` changes by time alone."""
        return self.registration_opens_at, self.registration_closes_at

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.title!r}>"


class EventSession(db.Model):
    __tablename__ = "event_sessions"
    __table_args__ = (
        SessionStatus.check_constraint("status", name="status_valid"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_event_sessions_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="RESTRICT"))
    online_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.SCHEDULED.value)
    # Bumped on every change people must hear about (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    # Sessions created from one recurrence rule share this id ("all future ones").
    recurrence_id: Mapped[str | None] = mapped_column(String(36), index=True)

    event: Mapped[Event] = relationship(back_populates="sessions")
    venue: Mapped[Venue | None] = relationship()

    @property
    def is_scheduled(self) -> bool:
        return self.status == SessionStatus.SCHEDULED.value

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


class Slot(db.Model):
    """The unit of registration and capacity (see module docstring)."""

    __tablename__ = "registration_slots"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("confirmed_count >= 0", name="confirmed_not_negative"),
        CheckConstraint("confirmed_count <= capacity", name="never_overbooked"),
        UniqueConstraint("session_id"),
        Index("uq_registration_slots_whole_event", "event_id", unique=True,
              sqlite_where=text("session_id IS NULL"), postgresql_where=text("session_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    capacity: Mapped[int]
    confirmed_count: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="slots")
    session: Mapped[EventSession | None] = relationship()

    @property
    def free_seats(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)

    @property
    def sessions(self) -> list[EventSession]:
        """The sessions a registration for this slot covers."""
        return [self.session] if self.session is not None else self.event.scheduled_sessions

    @property
    def starts_at(self) -> datetime | None:
        if self.session is not None:
            return self.session.starts_at
        return self.event.first_start

    @property
    def ends_at(self) -> datetime | None:
        """When the last session a registration for this slot covers ends."""
        return self.session.ends_at if self.session is not None else self.event.last_end

    def has_started(self, now: datetime) -> bool:
        """Started (or without a scheduled session): nobody registers any more,
        not even staff; only the door still does."""
        start = self.starts_at
        return start is None or start <= now

    @property
    def registration_closes_at(self) -> datetime | None:
        """When registration for this slot ends: the event's closing time or
        the slot's start, whichever comes first."""
        moments = [m for m in (self.event.registration_closes_at, self.starts_at) if m is not None]
        return min(moments) if moments else None

    def registration_window(self, now: datetime) -> RegistrationWindow:
        """The event's registration window, closed from the slot's start on."""
        if self.has_started(now):
            return RegistrationWindow.CLOSED
        return self.event.registration_window(now)

    @property
    def registration_moments(self) -> tuple[datetime | None, ...]:
        """The moments at which ``registration_window`` changes by time alone."""
        return (*self.event.registration_moments, self.starts_at)


class SlotOrgSeats(db.Model):
    """Confirmed seats of one MSO in one slot, bounded by the event's limit."""

    __tablename__ = "slot_org_seats"
    __table_args__ = (
        CheckConstraint("confirmed_count >= 0", name="confirmed_not_negative"),
        CheckConstraint("confirmed_count <= seat_limit", name="within_org_limit"),
    )

    slot_id: Mapped[int] = mapped_column(
        ForeignKey("registration_slots.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    seat_limit: Mapped[int]
    confirmed_count: Mapped[int] = mapped_column(default=0)


_ACTIVE_SQL = RegistrationStatus.sql_in("status", ACTIVE_REGISTRATION_STATUSES)


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        RegistrationStatus.check_constraint("status", name="status_valid"),
        # One active registration per person and slot: a double submit registers once.
        Index("uq_registrations_active_per_person", "slot_id", "user_id", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
        Index("ix_registrations_slot_status", "slot_id", "status", "id"),
        # The dashboard's "registrations of the last 7 days" (a range, not a scan of all).
        Index("ix_registrations_created_at", "created_at"),
        CheckConstraint(RegistrationStatus.sql_in("status", [RegistrationStatus.CANCELLED])
                        + " OR NOT cancelled_late", name="late_only_when_cancelled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("registration_slots.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    #: None once the person's data is anonymised (account deleted, or purged after
    #: the retention period): the row stays so that the counts stay.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: A seat given up after the cancellation deadline (counted in the statistics).
    cancelled_late: Mapped[bool] = mapped_column(default=False)
    # The ticket: valid while the registration is confirmed (see checkin.tickets);
    # both are removed when the registration is anonymised.
    ticket_token: Mapped[str | None] = mapped_column(String(32), unique=True, default=new_ticket_token)
    ticket_code: Mapped[str | None] = mapped_column(String(TICKET_CODE_LENGTH), unique=True,
                                                    default=new_ticket_code)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set when the registration is anonymised: one random value for all the
    #: registrations of one person anonymised together, so that statistics still
    #: count distinct people. It identifies nobody: nothing links it to a person.
    anonymous_key: Mapped[str | None] = mapped_column(String(32))

    slot: Mapped[Slot] = relationship()
    event: Mapped[Event] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])

    @hybrid_property
    def is_confirmed(self) -> bool:
        """Holds a seat (in queries too: ``.where(Registration.is_confirmed)``)."""
        return self.status == RegistrationStatus.CONFIRMED.value

    @hybrid_property
    def is_waitlisted(self) -> bool:
        return self.status == RegistrationStatus.WAITLISTED.value

    @hybrid_property
    def is_active(self) -> bool:
        """Holds a seat or a waiting-list place; in queries:
        ``select(Registration).where(Registration.is_active)``."""
        return self.status in ACTIVE_REGISTRATION

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls):
        return cls.status.in_(ACTIVE_REGISTRATION)

    def is_upcoming(self, now: datetime) -> bool:
        """Active and not over yet (a training series that has begun still is)."""
        end = self.slot.ends_at
        return self.is_active and end is not None and end > now

    @property
    def ticket_code_display(self) -> str:
        """The code as printed: two groups of four, easier to read out."""
        code = self.ticket_code or ""
        return f"{code[:4]}-{code[4:]}" if len(code) == TICKET_CODE_LENGTH else code

    def cancellation_deadline(self) -> datetime | None:
        start = self.slot.starts_at
        if start is None:
            return None
        return start - timedelta(hours=self.event.cancellation_deadline_hours)

    def can_be_cancelled_by_member(self, now: datetime) -> bool:
        """Waiting-list places can always be given up; seats until the slot
        starts (after the deadline the cancellation counts as late)."""
        if not self.is_active:
            return False
        if self.is_waitlisted:
            return True
        return not self.slot.has_started(now)

    def cancelling_is_late(self, now: datetime) -> bool:
        """Giving up this seat now counts as a late cancellation: a confirmed
        seat, after the cancellation deadline."""
        if not self.is_confirmed:
            return False
        deadline = self.cancellation_deadline()
        return deadline is not None and now >= deadline
