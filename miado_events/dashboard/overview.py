"""The dashboard's "what needs me today": upcoming sessions with fill rate,
waiting lists and MSO concentration, recent registrations, open queues, and
today's check-in counts. A fixed number of SQL queries, whatever the size of
the data; every aggregate is computed by the database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import and_, func, or_, select

from ..database import utcnow
from ..extensions import db
from ..models.checkin import Attendance
from ..models.events import Event, EventSession, Registration, Slot
from ..models.mail import OutboxMessage
from ..models.orgs import Membership, Organisation, OrgStatus
from ..models.voting import Topic, TopicStatus
from ..timeutil import to_local

UPCOMING_DAYS = 14
#: One MSO holding more than this share of a session's confirmed seats (and
#: at least CONCENTRATION_MIN of them) is flagged.
CONCENTRATION_SHARE = 0.5
CONCENTRATION_MIN = 3


@dataclass
class UpcomingSession:
    session_id: int
    event_id: int
    title: str
    kind: str
    starts_at: datetime
    capacity: int
    confirmed: int
    waiting: int
    top_org: str | None = None
    top_org_seats: int = 0

    @property
    def fill_rate(self) -> float:
        return self.confirmed / self.capacity if self.capacity else 0.0

    @property
    def concentrated(self) -> bool:
        return self.top_org is not None


@dataclass
class LiveSession:
    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    confirmed: int
    checked_in: int


@dataclass
class Queues:
    org_applications: int
    join_requests: int
    topic_proposals: int
    failed_mails: int


def _session_slot_join():
    return (select(EventSession.id, EventSession.event_id, EventSession.starts_at, EventSession.ends_at,
                   Event.title, Event.kind, Slot.id.label("slot_id"), Slot.capacity, Slot.confirmed_count)
            .join(Event, Event.id == EventSession.event_id)
            .join(Slot, and_(Slot.event_id == EventSession.event_id,
                             or_(Slot.session_id == EventSession.id, Slot.session_id.is_(None))))
            .where(EventSession.status == "scheduled", Event.status == "published"))


def upcoming_sessions(now: datetime | None = None, days: int = UPCOMING_DAYS) -> list[UpcomingSession]:
    """Sessions starting in the next ``days`` days (3 queries)."""
    now = now or utcnow()
    rows = db.session.execute(
        _session_slot_join().where(EventSession.starts_at >= now,
                                   EventSession.starts_at < now + timedelta(days=days))
        .order_by(EventSession.starts_at, EventSession.id)).all()
    slot_ids = {row.slot_id for row in rows}
    waiting = dict(db.session.execute(
        select(Registration.slot_id, func.count()).where(
            Registration.slot_id.in_(slot_ids), Registration.is_waitlisted)
        .group_by(Registration.slot_id)).all()) if slot_ids else {}
    # Per slot, the MSO holding the most confirmed seats, if it holds more
    # than CONCENTRATION_SHARE of them (computed in SQL).
    per_org = (select(Registration.slot_id, Registration.organisation_id, func.count().label("n"))
               .where(Registration.slot_id.in_(slot_ids), Registration.is_confirmed,
                      Registration.organisation_id.is_not(None))
               .group_by(Registration.slot_id, Registration.organisation_id).subquery())
    concentrated = {}
    if slot_ids:
        for slot_id, name, n in db.session.execute(
                select(per_org.c.slot_id, Organisation.name, per_org.c.n)
                .join(Slot, Slot.id == per_org.c.slot_id)
                .join(Organisation, Organisation.id == per_org.c.organisation_id)
                .where(per_org.c.n >= CONCENTRATION_MIN,
                       per_org.c.n > Slot.confirmed_count * CONCENTRATION_SHARE)):
            concentrated[slot_id] = (name, n)
    out = []
    for row in rows:
        top = concentrated.get(row.slot_id)
        out.append(UpcomingSession(
            session_id=row.id, event_id=row.event_id, title=row.title, kind=row.kind, starts_at=row.starts_at,
            capacity=row.capacity, confirmed=row.confirmed_count, waiting=waiting.get(row.slot_id, 0),
            top_org=top[0] if top else None, top_org_seats=top[1] if top else 0))
    return out


def recent_registrations(now: datetime | None = None, days: int = 7) -> dict[str, int]:
    """Registrations made in the last ``days`` days, by current status (1 query)."""
    now = now or utcnow()
    counts = dict(db.session.execute(
        select(Registration.status, func.count()).where(Registration.created_at >= now - timedelta(days=days))
        .group_by(Registration.status)).all())
    counts["all"] = sum(counts.values())
    return counts


@cache
def _queues_statement():
    """Built once: it has no parameters, and building it costs as much as running it."""
    return select(
        select(func.count(Organisation.id)).where(Organisation.status == OrgStatus.PENDING.value)
        .scalar_subquery(),
        select(func.count()).select_from(Membership).where(Membership.status == "requested").scalar_subquery(),
        select(func.count(Topic.id)).where(Topic.status == TopicStatus.PENDING.value).scalar_subquery(),
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "failed").scalar_subquery(),
    )


def queues() -> Queues:
    """What waits for staff (1 query)."""
    return Queues(*db.session.execute(_queues_statement()).one())


def todays_sessions(now: datetime | None = None) -> list[LiveSession]:
    """Today's sessions (local day) with their confirmed seats, without
    check-ins (1 query)."""
    now = now or utcnow()
    local = to_local(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.session.execute(
        _session_slot_join().where(EventSession.starts_at >= start,
                                   EventSession.starts_at < start + timedelta(days=1))
        .order_by(EventSession.starts_at, EventSession.id)).all()
    return [LiveSession(row.id, row.title, row.starts_at, row.ends_at, row.confirmed_count, 0) for row in rows]


def checked_in_counts(session_ids) -> dict[int, int]:
    """Confirmed people checked in, per session (1 query)."""
    return dict(db.session.execute(
        select(Attendance.session_id, func.count())
        .join(Registration, Registration.id == Attendance.registration_id)
        .where(Attendance.session_id.in_(list(session_ids)), Registration.is_confirmed)
        .group_by(Attendance.session_id)).all())


def live_sessions(now: datetime | None = None) -> list[LiveSession]:
    """Today's sessions (local day) with confirmed and checked-in counts (2 queries)."""
    sessions = todays_sessions(now)
    if not sessions:
        return []
    checked_in = checked_in_counts(s.session_id for s in sessions)
    for s in sessions:
        s.checked_in = checked_in.get(s.session_id, 0)
    return sessions
