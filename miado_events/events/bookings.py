"""What an MSO has booked: per upcoming event, who of the MSO holds a seat or
waits (with the position), and how many of the MSO's seats are used.

For the MSO's representatives and staff (``permissions.can_view_bookings``).
Seats used come from the MSO's seat counter (``seats.org_seats_used``),
positions from ``queries.waitlist_positions``: nothing is counted twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models.events import Event, EventSession, EventStatus, Registration, SessionStatus, Slot
from ..models.orgs import Organisation
from . import queries, seats


@dataclass
class SlotBookings:
    slot: Slot
    confirmed: list[Registration] = field(default_factory=list)
    #: (registration, position on the waiting list), next in line first.
    waitlisted: list[tuple[Registration, int]] = field(default_factory=list)
    #: The MSO's confirmed seats in this slot and its limit (None: no limit).
    used: int = 0
    limit: int | None = None


@dataclass
class EventBookings:
    event: Event
    slots: list[SlotBookings]


def _next_start(now: datetime):
    return (select(func.min(EventSession.starts_at))
            .where(EventSession.event_id == Event.id, EventSession.status == SessionStatus.SCHEDULED.value,
                   EventSession.ends_at > now)
            .scalar_subquery())


def booked_events(organisation: Organisation, now: datetime):
    """SELECT of the published events with a session still to come in which
    someone holds a seat or waits for ``organisation``, the next one first."""
    # A slot of one session counts while that session is to come; a whole
    # series while any of its sessions is (next_start below).
    booked = (select(Registration.id)
              .join(Slot, Slot.id == Registration.slot_id)
              .outerjoin(EventSession, EventSession.id == Slot.session_id)
              .where(Registration.event_id == Event.id, Registration.organisation_id == organisation.id,
                     Registration.is_active,
                     or_(Slot.session_id.is_(None),
                         (EventSession.ends_at > now)
                         & (EventSession.status == SessionStatus.SCHEDULED.value)))
              .exists())
    next_start = _next_start(now)
    return (select(Event)
            .where(Event.status == EventStatus.PUBLISHED.value, booked, next_start.is_not(None))
            .order_by(next_start, Event.id))


def bookings_of(organisation: Organisation, events: list[Event], now: datetime) -> list[EventBookings]:
    """The MSO's active registrations in ``events`` whose slot is not over yet,
    grouped by event and slot (three statements for the whole page)."""
    if not events:
        return []
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id.in_([e.id for e in events]),
               Registration.organisation_id == organisation.id, Registration.is_active)
        .options(joinedload(Registration.user), joinedload(Registration.registered_by),
                 joinedload(Registration.slot).joinedload(Slot.session),
                 selectinload(Registration.event).selectinload(Event.sessions))
        .order_by(Registration.id)).all()
    registrations = [r for r in registrations if r.is_upcoming(now)]
    positions = queries.waitlist_positions(registrations)
    used = seats.org_seats_used(organisation.id, {r.slot_id for r in registrations})
    by_event: dict[int, dict[int, SlotBookings]] = {e.id: {} for e in events}
    for r in registrations:
        group = by_event[r.event_id].get(r.slot_id)
        if group is None:
            limit = r.event.org_seat_limit or None
            group = by_event[r.event_id][r.slot_id] = SlotBookings(
                slot=r.slot, limit=limit, used=used.get(r.slot_id, 0) if limit else 0)
        if r.is_confirmed:
            group.confirmed.append(r)
        else:
            group.waitlisted.append((r, positions.get(r.id, 0)))
    for groups in by_event.values():
        for group in groups.values():
            group.waitlisted.sort(key=lambda pair: pair[1])
            group.confirmed.sort(key=lambda r: (r.user.name.casefold() if r.user else "", r.id))
            if group.limit is None:
                group.used = len(group.confirmed)
    result = []
    for event in events:
        slots = sorted(by_event[event.id].values(),
                       key=lambda g: (g.slot.starts_at is None, g.slot.starts_at or now, g.slot.id))
        if slots:
            result.append(EventBookings(event=event, slots=slots))
    return result
