"""Event management for staff: events, sessions (also from a recurrence rule),
venues, publishing and cancelling. Services never commit."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil import rrule
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from .. import audit, signals
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models.accounts import User
from ..models.events import (Event, EventKind, EventSession, EventStatus, Registration,
                             RegistrationStatus, SessionStatus, Slot, SlotOrgSeats, Venue,
                             Visibility, WaitlistMode)
from ..models import translated
from ..models.offers import OfferState, WaitlistOffer
from ..models.orgs import DISTRICTS, LANGUAGE_CODES
from ..permissions import ensure, is_staff
from ..timeutil import local_to_utc, to_local
from . import offers, registration as reg_services, seats

MAX_OCCURRENCES = 60
MAX_OFFER_HOURS = 14 * 24


def _require_staff(actor: User) -> None:
    ensure(is_staff, actor)


def _invalid(message) -> DomainError:
    return DomainError("event_invalid", message)


def save_translations(actor: User, obj: Event | Venue, sent: dict) -> bool:
    """Staff store the translations of an event's or a venue's texts (what
    ``translated.translations_from_form`` read), after its German text."""
    _require_staff(actor)
    return translated.save_translations(obj, sent)


@dataclass
class EventData:
    kind: str
    title: str
    capacity: int
    description: str = ""
    languages: list[str] = field(default_factory=list)
    audience_note: str = ""
    visibility: str = Visibility.PUBLIC.value
    org_seat_limit: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    cancellation_deadline_hours: int = 24
    waitlist_enabled: bool = True
    waitlist_mode: str = WaitlistMode.AUTOMATIC.value
    offer_hours: int | None = None
    certificate_threshold: int | None = None


def _clean_event(data: EventData) -> EventData:
    data.title = " ".join((data.title or "").split())
    if not data.title:
        raise _invalid(_l("Please enter a title."))
    if data.kind not in {k.value for k in EventKind}:
        raise _invalid(_l("Please choose the kind of event."))
    if data.visibility not in {v.value for v in Visibility}:
        raise _invalid(_l("Please choose who may register."))
    if not data.capacity or data.capacity < 1:
        raise _invalid(_l("The capacity must be at least 1."))
    if data.org_seat_limit is not None and not 1 <= data.org_seat_limit <= data.capacity:
        raise _invalid(_l("The seat limit per organisation must be between 1 and the capacity."))
    if any(code not in LANGUAGE_CODES for code in data.languages):
        raise _invalid(_l("Please choose languages from the list."))
    if (data.registration_opens_at and data.registration_closes_at
            and data.registration_closes_at <= data.registration_opens_at):
        raise _invalid(_l("Registration must close after it opens."))
    if data.cancellation_deadline_hours < 0:
        raise _invalid(_l("The cancellation deadline cannot be negative."))
    if data.waitlist_mode not in WaitlistMode.values():
        raise _invalid(_l("Please choose what happens to a freed seat."))
    if data.offer_hours is not None and not 1 <= data.offer_hours <= MAX_OFFER_HOURS:
        raise _invalid(_l("An offer stays open between 1 and %(max)d hours.", max=MAX_OFFER_HOURS))
    if data.kind != EventKind.SERIES.value:
        data.certificate_threshold = None
    elif data.certificate_threshold is not None and not 1 <= data.certificate_threshold <= 100:
        raise _invalid(_l("The attendance threshold is a percentage between 1 and 100."))
    data.languages = list(dict.fromkeys(data.languages))
    return data


def create_event(actor: User, data: EventData, *, now: datetime | None = None) -> Event:
    """A new event in draft. A training series gets its one slot at once."""
    now = now or utcnow()
    _require_staff(actor)
    data = _clean_event(data)
    event = Event(created_by_id=actor.id, created_at=now, updated_at=now,
                  status=EventStatus.DRAFT.value, **data.__dict__)
    db.session.add(event)
    if event.registers_whole_event:
        db.session.add(Slot(event=event, capacity=event.capacity))
    db.session.flush()
    audit.record(actor, "event.create", event, event.title, now=now)
    return event


def update_event(actor: User, event: Event, data: EventData, *, now: datetime | None = None) -> None:
    """Change an event. Capacity and seat limit changes respect the seats
    already confirmed; more seats go to the waiting list at once."""
    now = now or utcnow()
    _require_staff(actor)
    data = _clean_event(data)
    if data.kind != event.kind and db.session.scalar(
            select(func.count(Registration.id)).where(Registration.event_id == event.id)):
        raise _invalid(_l("The kind of an event with registrations cannot change."))
    if data.kind != event.kind:
        _reshape_slots(event, data.kind, data.capacity)
    for slot in event.slots:
        if not seats.set_capacity(slot, data.capacity):
            raise DomainError("capacity_below_confirmed",
                              _l("More people are already confirmed than the new capacity allows."))
    limit_changed = data.org_seat_limit != event.org_seat_limit
    for name, value in data.__dict__.items():
        setattr(event, name, value)
    event.updated_at = now
    if limit_changed:
        _recount_org_seats(event)
    db.session.flush()
    audit.record(actor, "event.update", event, event.title, now=now)
    for slot in event.slots:
        reg_services.fill_free_seats(slot, now=now)


def _reshape_slots(event: Event, kind: str, capacity: int) -> None:
    """Slots per session, or one for the whole event (no registrations yet)."""
    event.slots.clear()
    db.session.flush()
    if kind == EventKind.SERIES.value:
        event.slots.append(Slot(capacity=capacity))
    else:
        for session in event.sessions:
            event.slots.append(Slot(session=session, capacity=capacity))
    db.session.flush()  # the seat counters below update the new slots by id


def _recount_org_seats(event: Event) -> None:
    """Rebuild the per-MSO counters from the confirmed registrations (and the
    waiting ones holding a seat through an open offer)."""
    slot_ids = [s.id for s in event.slots]
    db.session.execute(delete(SlotOrgSeats).where(SlotOrgSeats.slot_id.in_(slot_ids)))
    if not event.org_seat_limit:
        return
    counts = db.session.execute(
        select(Registration.slot_id, Registration.organisation_id, func.count())
        .where(Registration.slot_id.in_(slot_ids), Registration.organisation_id.is_not(None),
               (Registration.status == RegistrationStatus.CONFIRMED.value)
               | Registration.id.in_(select(WaitlistOffer.registration_id)
                                     .where(WaitlistOffer.state == OfferState.OPEN.value)))
        .group_by(Registration.slot_id, Registration.organisation_id)).all()
    for slot_id, org_id, count in counts:
        if count > event.org_seat_limit:
            raise DomainError("org_limit_below_confirmed",
                              _l("An organisation already has more confirmed seats than the new limit."))
        db.session.add(SlotOrgSeats(slot_id=slot_id, organisation_id=org_id,
                                    seat_limit=event.org_seat_limit, confirmed_count=count))


def publish_event(actor: User, event: Event, *, now: datetime | None = None) -> None:
    _require_staff(actor)
    if event.status != EventStatus.DRAFT.value:
        raise DomainError("not_draft", _l("Only a draft can be published."))
    if not event.scheduled_sessions:
        raise DomainError("no_sessions", _l("Add at least one session before publishing."))
    event.status = EventStatus.PUBLISHED.value
    event.updated_at = now or utcnow()
    audit.record(actor, "event.publish", event, event.title, now=event.updated_at)
    signals.event_published.send(event, now=event.updated_at)


def _active_registrations(event: Event, slot_ids=None) -> list[Registration]:
    query = select(Registration).where(Registration.event_id == event.id, Registration.is_active)
    if slot_ids is not None:
        query = query.where(Registration.slot_id.in_(slot_ids))
    return list(db.session.scalars(query.order_by(Registration.id)))


def _cancel_all(registrations: list[Registration], actor: User, now: datetime) -> None:
    for registration in registrations:
        # A seat held by an open offer goes back too (the offer ends, nobody gets it).
        held = offers.lock_open_offer(registration) if registration.is_waitlisted else None
        if registration.is_confirmed or held is not None:  # the counters keep equal to the seats held
            seats.release_seat(registration.slot, registration.organisation_id)
        if held is not None:
            offers.end_unanswered(held, now)
        registration.status = RegistrationStatus.CANCELLED.value
        registration.cancelled_at = now
        registration.cancelled_by_id = actor.id


def cancel_event(actor: User, event: Event, *, now: datetime | None = None) -> list[Registration]:
    """Cancel the event; every registration ends and everyone is told."""
    now = now or utcnow()
    _require_staff(actor)
    if event.is_cancelled:
        raise DomainError("already_cancelled", _l("This event has already been cancelled."))
    affected = _active_registrations(event)
    was_published = event.is_published
    event.status = EventStatus.CANCELLED.value
    event.updated_at = now
    for session in event.sessions:
        session.sequence += 1
    _cancel_all(affected, actor, now)
    if was_published:
        signals.event_cancelled.send(event, registrations=affected, now=now)
    audit.record(actor, "event.cancel", event, event.title, now=now, registrations=len(affected))
    return affected


# --- sessions -----------------------------------------------------------------------

@dataclass
class SessionData:
    day: date
    start: time
    end: time
    venue_id: int | None = None
    online_url: str = ""


def _session_times(data: SessionData) -> tuple[datetime, datetime]:
    starts = local_to_utc(data.day, data.start)
    ends = local_to_utc(data.day, data.end)
    if ends <= starts:
        raise DomainError("session_invalid", _l("A session must end after it starts."))
    return starts, ends


def _check_place(data: SessionData) -> None:
    if data.venue_id is None and not (data.online_url or "").strip():
        raise DomainError("session_invalid", _l("Please choose a venue or enter an online link."))
    if data.venue_id is not None and db.session.get(Venue, data.venue_id) is None:
        raise DomainError("session_invalid", _l("Please choose a venue from the list."))
    url = (data.online_url or "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise DomainError("session_invalid", _l("The online link must start with https://."))


def _new_session(event: Event, starts: datetime, ends: datetime, data: SessionData,
                 recurrence_id: str | None = None) -> EventSession:
    event.updated_at = utcnow()
    session = EventSession(event=event, starts_at=starts, ends_at=ends, venue_id=data.venue_id,
                           online_url=(data.online_url or "").strip() or None,
                           recurrence_id=recurrence_id)
    db.session.add(session)
    if not event.registers_whole_event:
        db.session.add(Slot(event=event, session=session, capacity=event.capacity))
    return session


def add_session(actor: User, event: Event, data: SessionData) -> EventSession:
    _require_staff(actor)
    if event.is_cancelled:
        raise DomainError("event_cancelled", _l("This event has been cancelled."))
    _check_place(data)
    starts, ends = _session_times(data)
    session = _new_session(event, starts, ends, data)
    db.session.flush()
    audit.record(actor, "session.add", session, event.title, starts_at=starts.isoformat())
    return session


RECURRENCE_FREQUENCIES = ("weekly", "biweekly", "monthly_nth_weekday", "monthly_day")


@dataclass
class RecurrenceData:
    """E.g. every second Tuesday of the month, 18:00–20:00, 10 times."""

    frequency: str
    first_day: date
    start: time
    end: time
    weekday: int = 0          # 0 = Monday
    nth: int = 1              # 1..4, or -1 for the last one of the month
    count: int | None = None
    until: date | None = None
    venue_id: int | None = None
    online_url: str = ""


def occurrence_days(data: RecurrenceData) -> list[date]:
    """The local dates of a recurrence rule (dateutil.rrule)."""
    if data.frequency not in RECURRENCE_FREQUENCIES:
        raise DomainError("recurrence_invalid", _l("Please choose how often the meeting takes place."))
    if not data.count and not data.until:
        raise DomainError("recurrence_invalid", _l("Please give the number of meetings or an end date."))
    if data.count and not 1 <= data.count <= MAX_OCCURRENCES:
        raise DomainError("recurrence_invalid",
                          _l("Please create at most %(n)d meetings at once.", n=MAX_OCCURRENCES))
    if not (-1 <= data.nth <= 4) or data.nth == 0 or not 0 <= data.weekday <= 6:
        raise DomainError("recurrence_invalid", _l("Please choose a valid weekday."))
    weekday = rrule.weekday(data.weekday)
    kwargs = {"dtstart": datetime.combine(data.first_day, data.start)}
    if data.count:
        kwargs["count"] = data.count
    if data.until:
        kwargs["until"] = datetime.combine(data.until, time(23, 59))
    if data.frequency == "weekly":
        rule = rrule.rrule(rrule.WEEKLY, byweekday=weekday, **kwargs)
    elif data.frequency == "biweekly":
        rule = rrule.rrule(rrule.WEEKLY, interval=2, byweekday=weekday, **kwargs)
    elif data.frequency == "monthly_nth_weekday":
        rule = rrule.rrule(rrule.MONTHLY, byweekday=weekday(data.nth), **kwargs)
    else:
        rule = rrule.rrule(rrule.MONTHLY, bymonthday=data.first_day.day, **kwargs)
    days = [moment.date() for moment in rule[:MAX_OCCURRENCES + 1]]
    if len(days) > MAX_OCCURRENCES:
        raise DomainError("recurrence_invalid",
                          _l("Please create at most %(n)d meetings at once.", n=MAX_OCCURRENCES))
    if not days:
        raise DomainError("recurrence_invalid", _l("This rule gives no dates."))
    return days


def recurring_session_days(actor: User, event: Event, data: RecurrenceData) -> list[date]:
    """The dates a recurrence rule would create sessions on, after every check
    the creation makes: the preview staff see and the creation share it."""
    _require_staff(actor)
    if event.is_cancelled:
        raise DomainError("event_cancelled", _l("This event has been cancelled."))
    place = SessionData(day=data.first_day, start=data.start, end=data.end,
                        venue_id=data.venue_id, online_url=data.online_url)
    _check_place(place)
    _session_times(place)
    return occurrence_days(data)


def create_recurring_sessions(actor: User, event: Event, data: RecurrenceData) -> list[EventSession]:
    """Sessions from a recurrence rule, each at the same Berlin wall-clock time
    (so 18:00 stays 18:00 across the change to and from summer time)."""
    days = recurring_session_days(actor, event, data)
    place = SessionData(day=data.first_day, start=data.start, end=data.end,
                        venue_id=data.venue_id, online_url=data.online_url)
    recurrence_id = str(uuid.uuid4())
    created = []
    for day in days:
        starts, ends = _session_times(SessionData(day=day, start=data.start, end=data.end))
        created.append(_new_session(event, starts, ends, place, recurrence_id))
    db.session.flush()
    audit.record(actor, "session.add", event, event.title, sessions=len(created), recurrence=data.frequency)
    return created


def _affected_by_session(session: EventSession) -> list[Registration]:
    event = session.event
    if event.registers_whole_event:
        return _active_registrations(event)
    slot_ids = [s.id for s in event.slots if s.session_id == session.id]
    return _active_registrations(event, slot_ids)


def update_session(actor: User, session: EventSession, data: SessionData,
                   *, following: bool = False) -> list[EventSession]:
    """Change time or place of one session, or of it and all later sessions
    of the same recurrence (each keeps its own date). Everyone registered
    is told. Returns the sessions changed."""
    _require_staff(actor)
    _check_place(data)
    starts, ends = _session_times(data)
    targets = [session]
    if following and session.recurrence_id:
        targets = list(db.session.scalars(
            select(EventSession).where(EventSession.recurrence_id == session.recurrence_id,
                                       EventSession.starts_at >= session.starts_at,
                                       EventSession.status == SessionStatus.SCHEDULED.value)
            .order_by(EventSession.starts_at)))
    shift_days = (data.day - to_local(session.starts_at).date()).days
    changed_sessions = []
    for target in targets:
        if target is session:
            new_start, new_end = starts, ends
        else:
            day = to_local(target.starts_at).date() + timedelta(days=shift_days)
            new_start, new_end = _session_times(SessionData(day=day, start=data.start, end=data.end))
        changes = []
        if (new_start, new_end) != (target.starts_at, target.ends_at):
            changes.append("time")
        url = (data.online_url or "").strip() or None
        if (data.venue_id, url) != (target.venue_id, target.online_url):
            changes.append("place")
        if not changes:
            continue
        target.starts_at, target.ends_at = new_start, new_end
        target.venue_id, target.online_url = data.venue_id, url
        target.sequence += 1
        target.event.updated_at = utcnow()  # feeds' Last-Modified
        changed_sessions.append(target)
        if target.event.is_published:
            signals.session_changed.send(target, registrations=_affected_by_session(target),
                                         changes=changes)
    db.session.flush()
    if changed_sessions:
        audit.record(actor, "session.update", session, session.event.title,
                     sessions=[s.id for s in changed_sessions])
    return changed_sessions


def cancel_session(actor: User, session: EventSession, *, now: datetime | None = None) -> None:
    """Cancel one session. For a networking meeting or seminar its
    registrations end; for a series they stay (the series goes on)."""
    now = now or utcnow()
    _require_staff(actor)
    if not session.is_scheduled:
        raise DomainError("already_cancelled", _l("This session has already been cancelled."))
    affected = _affected_by_session(session)
    session.status = SessionStatus.CANCELLED.value
    session.sequence += 1
    session.event.updated_at = now
    if not session.event.registers_whole_event:
        _cancel_all(affected, actor, now)
    if session.event.is_published:
        signals.session_cancelled.send(session, registrations=affected)
    audit.record(actor, "session.cancel", session, session.event.title, now=now,
                 starts_at=session.starts_at.isoformat())


# --- venues -----------------------------------------------------------------------------

@dataclass
class VenueData:
    name: str
    address: str
    district: str = ""
    room: str = ""
    accessibility_notes: str = ""
    directions: str = ""


def save_venue(actor: User, data: VenueData, venue: Venue | None = None) -> Venue:
    _require_staff(actor)
    name, address = " ".join((data.name or "").split()), (data.address or "").strip()
    if not name or not address:
        raise DomainError("venue_invalid", _l("Please enter the name and address of the venue."))
    if data.district and data.district not in DISTRICTS:
        raise DomainError("venue_invalid", _l("Please choose districts from the list."))
    venue = venue or Venue()
    venue.name, venue.address = name, address
    venue.district = data.district or None
    venue.room = (data.room or "").strip() or None
    venue.accessibility_notes = (data.accessibility_notes or "").strip() or None
    venue.directions = (data.directions or "").strip() or None
    db.session.add(venue)
    db.session.flush()
    # Feeds and downloads name the place: the events held there have changed
    # (their ETag and Last-Modified follow Event.updated_at).
    db.session.execute(update(Event).where(Event.id.in_(
        select(EventSession.event_id).where(EventSession.venue_id == venue.id))).values(updated_at=utcnow()))
    audit.record(actor, "venue.save", venue, venue.name)
    return venue
