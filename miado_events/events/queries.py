"""Named queries of the events domain, written once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from .. import pagecache
from ..extensions import db
from ..models.accounts import User
from ..models.events import (Event, EventSession, EventStatus, Registration, RegistrationStatus,
                             RegistrationWindow, SessionStatus, Slot, Venue)
from ..models.orgs import Membership, MembershipStatus, Organisation
from ..models.translated import translations_contain
from ..timeutil import next_local_midnight


def visible_event(event_id: int, viewer, options=()) -> Event | None:
    """The event, if ``viewer`` may see it: drafts only for staff."""
    from ..permissions import is_staff

    event = db.session.get(Event, event_id, options=options)
    if event is None or (event.status == EventStatus.DRAFT.value and not is_staff(viewer)):
        return None
    return event


def slot_for(session: EventSession) -> Slot | None:
    """The slot one registers for to attend ``session`` (uses loaded slots)."""
    event = session.event
    if event.registers_whole_event:
        return next((s for s in event.slots if s.session_id is None), None)
    return next((s for s in event.slots if s.session_id == session.id), None)


def upcoming_sessions(now: datetime, *, kind: str = "", language: str = "", district: str = "", q: str = "",
                      until: datetime | None = None, since: datetime | None = None):
    """SELECT of scheduled sessions of published events, soonest first."""
    query = (select(EventSession)
             .join(Event, Event.id == EventSession.event_id)
             .outerjoin(Venue, Venue.id == EventSession.venue_id)
             .where(Event.status == EventStatus.PUBLISHED.value,
                    EventSession.status == SessionStatus.SCHEDULED.value,
                    EventSession.ends_at > (since or now))
             .options(joinedload(EventSession.venue),
                      selectinload(EventSession.event).selectinload(Event.slots),
                      selectinload(EventSession.event).selectinload(Event.sessions))
             .order_by(EventSession.starts_at, EventSession.id))
    if until is not None:
        query = query.where(EventSession.starts_at < until)
    if kind:
        query = query.where(Event.kind == kind)
    if language:
        # Event.languages is a JSON list of fixed ISO codes.
        query = query.where(Event.languages.cast(db.String).like(f'%"{language}"%'))
    if district:
        query = query.where(Venue.district == district)
    if q:
        query = query.where(event_text_matches(q))
    return query


def _contains_ignoring_case(column, text: str):
    return or_(column.contains(text, autoescape=True),
               func.lower(column).contains(text.lower(), autoescape=True))


def event_text_matches(text: str):
    """SQL: ``text`` occurs in the event's title or description, in German or
    in any of their translations (the text filter of the calendar)."""
    return or_(_contains_ignoring_case(Event.title, text), _contains_ignoring_case(Event.description, text),
               translations_contain(Event, text))


def next_events(now: datetime, *, limit: int = 4, dates: int = 3) -> list[tuple[Event, list[EventSession]]]:
    """The next ``limit`` published events with a session still to come, soonest
    first, each with its next ``dates`` sessions (a recurring meeting once).
    Two statements (plus the loaded slots), however many sessions each has."""
    upcoming = upcoming_sessions(now).subquery()
    first = (select(upcoming.c.event_id, func.min(upcoming.c.starts_at).label("first"))
             .group_by(upcoming.c.event_id).subquery())
    ids = [row.event_id for row in db.session.execute(
        select(first.c.event_id).order_by(first.c.first, first.c.event_id).limit(limit))]
    if not ids:
        return []
    by_event: dict[int, list[EventSession]] = {event_id: [] for event_id in ids}
    for session in db.session.scalars(upcoming_sessions(now).where(EventSession.event_id.in_(ids))):
        if len(by_event[session.event_id]) < dates:
            by_event[session.event_id].append(session)
    return [(sessions[0].event, sessions) for sessions in by_event.values() if sessions]


# The event page: every session with its venue, and the slots, loaded with
# the event (one statement each, however many sessions and venues).
EVENT_PAGE_OPTIONS = (selectinload(Event.sessions).joinedload(EventSession.venue),
                      selectinload(Event.slots))


def colleagues_to_register(user, organisations):
    """Active members (with their user) of ``organisations`` other than ``user``,
    for a representative's "register a member" list, in one statement."""
    return (select(Membership)
            .join(User, User.id == Membership.user_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.organisation_id.in_([o.id for o in organisations]),
                   Membership.status == MembershipStatus.ACTIVE.value,
                   Membership.user_id != user.id)
            .options(contains_eager(Membership.user), contains_eager(Membership.organisation))
            .order_by(Organisation.name, User.name, User.id))


def waitlist_counts(slot_ids) -> dict[int, int]:
    """Waiting-list length per slot, in one query."""
    ids = list(slot_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Registration.slot_id, func.count())
        .where(Registration.slot_id.in_(ids), Registration.status == RegistrationStatus.WAITLISTED.value)
        .group_by(Registration.slot_id))
    return dict(rows.all())


def waitlist_positions(registrations) -> dict[int, int]:
    """Waiting-list position (1 = next in line) per waiting registration id, in
    one query: the waiting registrations of the same slot up to this one."""
    ids = [r.id for r in registrations if r.is_waitlisted]
    if not ids:
        return {}
    ahead = aliased(Registration)
    rows = db.session.execute(
        select(Registration.id, func.count(ahead.id))
        .join(ahead, (ahead.slot_id == Registration.slot_id) & (ahead.id <= Registration.id)
              & (ahead.status == RegistrationStatus.WAITLISTED.value))
        .where(Registration.id.in_(ids))
        .group_by(Registration.id))
    return dict(rows.all())


def user_registrations_by_slot(user, slot_ids) -> dict[int, Registration]:
    ids = list(slot_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.scalars(select(Registration).where(
        Registration.user_id == user.id, Registration.slot_id.in_(ids), Registration.is_active))
    return {r.slot_id: r for r in rows}


def my_registrations(user):
    return (select(Registration)
            .where(Registration.user_id == user.id)
            .options(selectinload(Registration.slot).selectinload(Slot.session),
                     selectinload(Registration.event).selectinload(Event.sessions)
                     .joinedload(EventSession.venue),
                     joinedload(Registration.organisation))
            .order_by(Registration.created_at.desc(), Registration.id.desc()))


def registrations_of_event(event: Event):
    return (select(Registration)
            .where(Registration.event_id == event.id, Registration.user_id.is_not(None))
            .options(joinedload(Registration.user), joinedload(Registration.organisation),
                     joinedload(Registration.registered_by),
                     joinedload(Registration.slot).joinedload(Slot.session))
            .order_by(Registration.slot_id, Registration.id))


def valid_until(now: datetime, sessions, *extra) -> datetime | None:
    """Until when a page about ``sessions`` stays true by time alone (the page
    cache's validity): a session starts or ends, a slot's registration window
    opens or closes (``Slot.registration_moments``), a new day begins, or one
    of the ``extra`` moments comes."""
    moments = [*extra, next_local_midnight(now)]
    for session in sessions:
        moments += [session.starts_at, session.ends_at]
        slot = slot_for(session)
        moments += (slot or session.event).registration_moments
    return pagecache.earliest_after(now, moments)


def seat_states(sessions, now: datetime, viewer) -> dict[int, "SlotState"]:
    """The registration state per session id for ``viewer``, with waiting
    lists and the viewer's registrations fetched in two statements for all."""
    slots = {s.id: slot_for(s) for s in sessions}
    slot_ids = {slot.id for slot in slots.values() if slot is not None}
    waiting = waitlist_counts(slot_ids)
    mine = user_registrations_by_slot(viewer, slot_ids)
    return {sid: slot_state(slot, now, waiting=waiting.get(slot.id, 0), registration=mine.get(slot.id))
            for sid, slot in slots.items() if slot is not None}


@dataclass
class SlotState:
    """What the registration button says and does for one person and slot."""

    code: str  # register | waitlist | full | opens | closed | cancelled | registered | waitlisted
    free: int
    capacity: int
    waiting: int
    opens_at: datetime | None = None
    registration: Registration | None = None
    #: When registration closes (the deadline, at the latest the start) and
    #: when the slot starts: the "until when" and "why" of the state.
    closes_at: datetime | None = None
    starts_at: datetime | None = None
    #: Why a "closed" slot is closed by time: "started" or "deadline" (else "").
    closed_because: str = ""
    #: Someone (not necessarily this viewer) can still take a seat or a place
    #: on the waiting list: a representative registered themselves may still
    #: register colleagues.
    bookable: bool = False

    @property
    def closed_by_start(self) -> bool:
        return self.closed_because == "started"


def slot_state(slot: Slot, now: datetime, *, waiting: int = 0,
               registration: Registration | None = None) -> SlotState:
    event = slot.event
    state = SlotState(code="closed", free=slot.free_seats, capacity=slot.capacity, waiting=waiting,
                      registration=registration)
    window = slot.registration_window(now)
    state.starts_at = slot.starts_at
    state.closes_at = slot.registration_closes_at
    if event.is_cancelled or (slot.session is not None and not slot.session.is_scheduled):
        state.code = "cancelled"
    elif registration is not None:
        state.code = "registered" if registration.is_confirmed else "waitlisted"
    elif not event.is_published or window is RegistrationWindow.CLOSED:
        state.code = "closed"
        if event.is_published:
            state.closed_because = "started" if slot.has_started(now) else "deadline"
    elif window is RegistrationWindow.NOT_YET_OPEN:
        state.code, state.opens_at = "opens", event.registration_opens_at
    elif slot.free_seats > 0:
        state.code = "register"
    elif event.waitlist_enabled:
        state.code = "waitlist"
    else:
        state.code = "full"
    if registration is None:
        state.bookable = state.code in ("register", "waitlist")
    elif state.code != "cancelled":
        state.bookable = slot_state(slot, now, waiting=waiting).bookable
    return state


def staff_events(now: datetime, status: str = ""):
    """The staff list of events in date order: upcoming ones first, soonest
    date first; then events without a date yet; then past ones, latest first."""
    scheduled = (EventSession.event_id == Event.id,
                 EventSession.status == SessionStatus.SCHEDULED.value)
    next_start = (select(func.min(EventSession.starts_at))
                  .where(*scheduled, EventSession.ends_at > now).scalar_subquery())
    last_start = select(func.max(EventSession.starts_at)).where(*scheduled).scalar_subquery()
    group = case((next_start.is_not(None), 0), (last_start.is_(None), 1), else_=2)
    query = select(Event).order_by(group, next_start, last_start.desc(), Event.id.desc())
    if status:
        query = query.where(Event.status == status)
    return query
