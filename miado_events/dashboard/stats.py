"""Statistics for the office, computed in SQL.

Definitions (the numbers on /staff/statistics):

* A session *counts* when it is scheduled, its event is published (not a
  draft, not cancelled), it has ended, and its start lies in the filter's
  date range (local dates, Europe/Berlin) and kind.
* *Expected* for a session: the registrations that cover it (its own slot,
  or the whole series) and held a seat when it ended: confirmed ones, and
  those cancelled only after it was over (someone who leaves a series half-way,
  or deletes their account then, still counts for the sessions already held).
  *Attended*: those with a check-in for it.
  Attendance rate = attended / expected; no-show rate = 1 − attendance rate.
* *MSOs reached*: listed MSOs with at least one registration (made for that
  MSO) expected at a counted session, out of all listed MSOs — in all, per
  year, per district and per region of origin (an MSO with several districts
  counts in each).
* *Participants per MSO*: distinct people with a registration expected at a
  counted session, per MSO. An anonymised registration has no person any
  more; the random ``anonymous_key`` set when it was anonymised tells which
  registrations were one person's (one key per person and anonymisation; one
  anonymised without a key counts as one person).
* *Late cancellations*: registrations whose seat was given up after the
  event's cancellation deadline (``Registration.cancelled_late``), per event
  with at least one counted session.
* *Turnout* of a topic round: MSOs whose ballot gives points / MSOs that
  could vote.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, and_, cast, distinct, func, literal, literal_column, or_, select

from ..database import utcnow
from ..extensions import db
from ..models.checkin import Attendance
from ..models.events import Event, EventSession, Registration, RegistrationStatus, Slot
from ..models.orgs import Organisation, OrganisationTag, OrgStatus
from ..models.voting import Ballot, Phase, RoundOrganisation, TopicRound
from ..timeutil import local_to_utc


@dataclass
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None


@dataclass
class Rate:
    label: str
    expected: int
    attended: int

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.expected if self.expected else None

    @property
    def no_show_rate(self) -> float | None:
        rate = self.attendance_rate
        return None if rate is None else 1 - rate


@dataclass
class Reach:
    label: str
    reached: int
    listed: int

    @property
    def share(self) -> float | None:
        return self.reached / self.listed if self.listed else None


@dataclass
class Statistics:
    filters: Filters
    sessions: int
    by_kind: list[Rate]
    by_month: list[Rate]
    total: Rate
    reached: Reach
    reached_by_year: list[Reach]
    reached_by_district: list[Reach]
    reached_by_region: list[Reach]
    participants_per_org: list[tuple[str, int]]
    turnout: list[Reach] = field(default_factory=list)
    #: (event id, title, late cancellations), most first.
    late_cancellations: list[tuple[int, str, int]] = field(default_factory=list)

    @property
    def late_cancellations_total(self) -> int:
        return sum(n for _id, _title, n in self.late_cancellations)


def local_month(column, dialect: str):
    """``YYYY-MM`` of a UTC timestamp in Berlin time, in SQL."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Europe/Berlin", column), "YYYY-MM")
    return func.local_month(column)  # registered on each SQLite connection


def _session_conditions(filters: Filters, now: datetime) -> list:
    conditions = [EventSession.status == "scheduled", Event.status == "published", EventSession.ends_at <= now]
    if filters.date_from:
        conditions.append(EventSession.starts_at >= local_to_utc(filters.date_from, time(0)))
    if filters.date_to:
        conditions.append(EventSession.starts_at < local_to_utc(filters.date_to + timedelta(days=1), time(0)))
    if filters.kind:
        conditions.append(Event.kind == filters.kind)
    return conditions


def _held_a_seat():
    """The registration had a seat when the session ended (see *Expected*)."""
    return or_(Registration.status == RegistrationStatus.CONFIRMED.value,
               and_(Registration.status == RegistrationStatus.CANCELLED.value,
                    Registration.confirmed_at.is_not(None),
                    Registration.cancelled_at >= EventSession.ends_at))


def _covering_join():
    """Sessions joined to the registrations expected at them."""
    return (select(EventSession.id.label("session_id"), Event.kind.label("kind"),
                   EventSession.starts_at.label("starts_at"), Registration.id.label("registration_id"),
                   Registration.user_id.label("user_id"), Registration.anonymous_key.label("anonymous_key"),
                   Registration.organisation_id.label("organisation_id"))
            .select_from(EventSession)
            .join(Event, Event.id == EventSession.event_id)
            .join(Slot, and_(Slot.event_id == EventSession.event_id,
                             or_(Slot.session_id == EventSession.id, Slot.session_id.is_(None))))
            .join(Registration, and_(Registration.slot_id == Slot.id, _held_a_seat())))


def _person(pairs):
    """Who a registration is, as one text value: the account while there is
    one, else the key set when it was anonymised, else the registration itself."""
    return func.coalesce(literal("u") + cast(pairs.c.user_id, String),
                         literal("a") + pairs.c.anonymous_key,
                         literal("r") + cast(pairs.c.registration_id, String))


def compute(filters: Filters | None = None, *, now: datetime | None = None) -> Statistics:
    filters = filters or Filters()
    now = now or utcnow()
    dialect = db.session.get_bind().dialect.name
    conditions = _session_conditions(filters, now)
    pairs = _covering_join().where(*conditions).subquery()
    attended = (select(pairs.c.session_id, pairs.c.registration_id, pairs.c.kind, pairs.c.starts_at)
                .join(Attendance, and_(Attendance.session_id == pairs.c.session_id,
                                       Attendance.registration_id == pairs.c.registration_id))
                .subquery())

    sessions = db.session.scalar(select(func.count(EventSession.id))
                                 .join(Event, Event.id == EventSession.event_id).where(*conditions)) or 0

    def grouped(key_expected, key_attended) -> dict:
        expected = dict(db.session.execute(select(key_expected, func.count()).group_by(key_expected)).all())
        came = dict(db.session.execute(select(key_attended, func.count()).group_by(key_attended)).all())
        return {k: (expected.get(k, 0), came.get(k, 0)) for k in sorted(set(expected) | set(came))}

    by_kind = [Rate(k, e, a) for k, (e, a) in grouped(pairs.c.kind, attended.c.kind).items()]
    month_e = local_month(pairs.c.starts_at, dialect).label("month")
    month_a = local_month(attended.c.starts_at, dialect).label("month")
    by_month = [Rate(k, e, a) for k, (e, a) in grouped(month_e, month_a).items()]
    total = Rate("all", sum(r.expected for r in by_kind), sum(r.attended for r in by_kind))

    listed = select(Organisation.id).where(Organisation.status == OrgStatus.LISTED.value).subquery()
    reached_orgs = (select(pairs.c.organisation_id)
                    .where(pairs.c.organisation_id.in_(select(listed.c.id))).distinct().subquery())
    listed_count = db.session.scalar(select(func.count()).select_from(listed)) or 0
    reached_count = db.session.scalar(select(func.count()).select_from(reached_orgs)) or 0

    year_expr = func.substr(local_month(pairs.c.starts_at, dialect), 1, 4)
    per_year = db.session.execute(
        select(year_expr, func.count(distinct(pairs.c.organisation_id)))
        .where(pairs.c.organisation_id.in_(select(listed.c.id)))
        .group_by(year_expr).order_by(year_expr)).all()

    def by_tag(kind: str) -> list[Reach]:
        totals = dict(db.session.execute(
            select(OrganisationTag.value, func.count())
            .where(OrganisationTag.kind == kind, OrganisationTag.organisation_id.in_(select(listed.c.id)))
            .group_by(OrganisationTag.value)).all())
        reached = dict(db.session.execute(
            select(OrganisationTag.value, func.count())
            .where(OrganisationTag.kind == kind,
                   OrganisationTag.organisation_id.in_(select(reached_orgs.c.organisation_id)))
            .group_by(OrganisationTag.value)).all())
        return [Reach(value, reached.get(value, 0), n) for value, n in sorted(totals.items())]

    per_org = db.session.execute(
        select(Organisation.name, func.count(distinct(_person(pairs))).label("n"))
        .join(Organisation, Organisation.id == pairs.c.organisation_id)
        .group_by(Organisation.id, Organisation.name)
        .order_by(literal_column("n").desc(), Organisation.name)).all()

    return Statistics(
        filters=filters, sessions=sessions, by_kind=by_kind, by_month=by_month, total=total,
        reached=Reach("all", reached_count, listed_count),
        reached_by_year=[Reach(year, n, listed_count) for year, n in per_year],
        reached_by_district=by_tag("district"), reached_by_region=by_tag("region"),
        participants_per_org=[(name, n) for name, n in per_org],
        turnout=round_turnout(), late_cancellations=late_cancellations(conditions))


def late_cancellations(conditions) -> list[tuple[int, str, int]]:
    """Late cancellations per event with a counted session (see the definitions)."""
    counted = (select(EventSession.event_id).join(Event, Event.id == EventSession.event_id)
               .where(*conditions).distinct())
    n = func.count(Registration.id).label("n")
    rows = db.session.execute(
        select(Event.id, Event.title, n).join(Registration, Registration.event_id == Event.id)
        .where(Registration.cancelled_late.is_(True), Event.id.in_(counted))
        .group_by(Event.id, Event.title).order_by(n.desc(), Event.title, Event.id)).all()
    return [(event_id, title, count) for event_id, title, count in rows]


def round_turnout() -> list[Reach]:
    """Turnout of every round whose voting has closed."""
    rounds = db.session.scalars(select(TopicRound).where(
        TopicRound.phase.in_((Phase.CLOSED.value, Phase.PUBLISHED.value)))
        .order_by(TopicRound.voting_closes_at)).all()
    if not rounds:
        return []
    voted = dict(db.session.execute(
        select(Ballot.round_id, func.count()).where(Ballot.total_points > 0).group_by(Ballot.round_id)).all())
    listed = db.session.scalar(select(func.count(Organisation.id))
                               .where(Organisation.status == OrgStatus.LISTED.value)) or 0
    allowed = dict(db.session.execute(
        select(RoundOrganisation.round_id, func.count())
        .join(Organisation, Organisation.id == RoundOrganisation.organisation_id)
        .where(Organisation.status == OrgStatus.LISTED.value)
        .group_by(RoundOrganisation.round_id)).all())
    return [Reach(r.title, voted.get(r.id, 0), listed if r.all_organisations else allowed.get(r.id, 0))
            for r in rounds]


def statistics_csv(stats: Statistics) -> str:
    from ..tables import csv_text

    def rate(value):
        return "" if value is None else float(value)

    rows = []
    for r in [stats.total, *stats.by_kind]:
        rows.append(["attendance_by_kind", r.label, r.expected, r.attended, rate(r.attendance_rate)])
    for r in stats.by_month:
        rows.append(["attendance_by_month", r.label, r.expected, r.attended, rate(r.attendance_rate)])
    for section, reached in (("msos_reached", [stats.reached]), ("msos_reached_by_year", stats.reached_by_year),
                             ("msos_reached_by_district", stats.reached_by_district),
                             ("msos_reached_by_region", stats.reached_by_region),
                             ("round_turnout", stats.turnout)):
        for r in reached:
            rows.append([section, r.label, r.reached, r.listed, rate(r.share)])
    for name, n in stats.participants_per_org:
        rows.append(["participants_per_mso", name, n, "", ""])
    for _event_id, title, n in stats.late_cancellations:
        rows.append(["late_cancellations", title, n, "", ""])
    return csv_text(["section", "label", "expected_or_reached", "attended_or_total", "rate"], rows)
