"""Statistics for the office (dashboard/stats.py) on a dataset whose every
number is known.

The world (all times Berlin, winter time = UTC+1):

MSOs, all listed unless noted, with their tags:

====  ==============  ===================  ==========================
key   name            districts            regions of origin
====  ==============  ===================  ==========================
A     Alpha e.V.      Eving, Hörde         Westafrika
B     Beta e.V.       Eving                Naher Osten
C     Gamma e.V.      Mengede              Naher Osten, Osteuropa
D     Delta e.V.      Hörde                Osteuropa
E     Epsilon e.V.    –                    –
X     Xenia e.V.      Eving                Westafrika   (taken out of the
                                                         directory later)
====  ==============  ===================  ==========================

People: a1 a2 a3 (A), b1 b2 (B), c1 c2 (C), d1 (D), e1 (E), x1 (X), and
p1 p2 without an MSO.

Counted sessions (10), with confirmed registrations → check-ins:

* networking "Vernetzungstreffen" (a slot per session):
  - 2 Dec 2026 18:00  a1 a2 b1 p1 → a1 b1 p1          (d1 registered and cancelled)
  - 16 Dec 2026 18:00 a1 c1 x1    → a1
  - 1 Jan 2027 00:30  b2 e1       → b2 e1   (UTC: 31 Dec 2026 23:30 — the
                                             local month is January, the
                                             local year 2027)
* seminar "Vereinsrecht" (capacity 2, waiting list):
  - 9 Dec 2026        a3 c2       → a3      (d1, b1 waitlisted)
  - 13 Jan 2027       a1 p2       → a1 p2   (b2 waitlisted)
  - 20 Jan 2027       c1          → –
* series "Projektmanagement" (one registration for all four sessions):
  a2 b1 c2 confirmed (e1 registered and cancelled)
  - 7 Dec 2026 → a2 b1 c2; 14 Dec 2026 → a2 b1; 11 Jan 2027 → a2; 18 Jan 2027 → –

Not counted (each would change the numbers if it were):

* a networking session on 23 Dec 2026 that was cancelled after a1 had been
  checked in (its registrations end with it);
* a series session on 4 Jan 2027 cancelled after a2 had been checked in (the
  series registrations stay confirmed);
* a cancelled event (d1 confirmed and checked in before it was cancelled);
* a draft event with a confirmed, checked-in registration of d1;
* a session still running at ``NOW`` (d1 checked in) and one in February
  (d1 and a1 confirmed).

So Delta is never reached, and Xenia (not listed any more) is not counted
among the MSOs reached.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import pytest
from flask import current_app
from sqlalchemy import select

from miado_events.checkin import services as checkin
from miado_events.dashboard import stats
from miado_events.dashboard.stats import Filters, Reach
from miado_events.events import queries
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.models.checkin import Attendance
from miado_events.models.events import Registration, Slot
from miado_events.models.orgs import Organisation, OrganisationTag
from miado_events.models.voting import Topic
from miado_events.orgs import services as org_services
from miado_events.voting import ballots
from miado_events.voting import services as voting
from miado_events.voting.services import RoundData

from .events_support import ONLINE

UTC = timezone.utc
#: When the statistics are computed: the session of 27 January is running.
NOW = datetime(2027, 1, 27, 17, 30, tzinfo=UTC)
#: When people registered (before every session).
REGISTERED_AT = datetime(2026, 11, 20, 10, tzinfo=UTC)
CREATED_AT = REGISTERED_AT - timedelta(days=10)

ORGS = {
    "A": ("Alpha e.V.", ["Eving", "Hörde"], ["Westafrika"]),
    "B": ("Beta e.V.", ["Eving"], ["Naher Osten"]),
    "C": ("Gamma e.V.", ["Mengede"], ["Naher Osten", "Osteuropa"]),
    "D": ("Delta e.V.", ["Hörde"], ["Osteuropa"]),
    "E": ("Epsilon e.V.", [], []),
    "X": ("Xenia e.V.", ["Eving"], ["Westafrika"]),
}
PEOPLE = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C",
          "d1": "D", "e1": "E", "x1": "X", "p1": None, "p2": None}

EVENING = (time(18), time(20))


@dataclass
class World:
    staff: object
    orgs: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)

    def org_of(self, person: str):
        key = PEOPLE[person]
        return self.orgs[key] if key else None


def make_event(db, staff, kind: str, title: str, capacity: int, days: list,
               *, publish: bool = True):
    """An event with sessions on (local day, start, end); returns (event, sessions)."""
    event = services.create_event(staff, EventData(kind=kind, title=title, capacity=capacity),
                                  now=CREATED_AT)
    sessions = [services.add_session(staff, event, SessionData(day=day, start=start, end=end,
                                                                online_url=ONLINE))
                for day, start, end in days]
    if publish:
        services.publish_event(staff, event, now=CREATED_AT)
    db.session.commit()
    return event, sessions


def evening(*days: date) -> list:
    return [(day, *EVENING) for day in days]


def register(db, world: World, person: str, session) -> Registration:
    outcome = reg.register_participant(world.people[person], world.people[person],
                                       queries.slot_for(session), world.org_of(person),
                                       now=REGISTERED_AT)
    return outcome.registration


def check_in(db, world: World, session, registration: Registration) -> None:
    result = checkin.check_in(world.staff, session, registration, method="manual",
                              now=session.starts_at + timedelta(minutes=5))
    assert result.ok, result.message


def seat(db, world: World, session, confirmed: str, came: str = "", waiting: str = "") -> dict:
    """Register the people named (space-separated) and check in those who came."""
    regs = {}
    for person in confirmed.split():
        regs[person] = register(db, world, person, session)
        assert regs[person].status == "confirmed", person
    for person in waiting.split():
        regs[person] = register(db, world, person, session)
        assert regs[person].status == "waitlisted", person
    db.session.commit()
    for person in came.split():
        check_in(db, world, session, regs[person])
    db.session.commit()
    return regs


@pytest.fixture
def world(db, staff, make_user, join) -> World:
    w = World(staff=staff)
    for key, (name, districts, regions) in ORGS.items():
        org = Organisation(name=name, legal_form="ev", status="listed")
        org.tags = ([OrganisationTag(kind="district", value=v) for v in districts]
                    + [OrganisationTag(kind="region", value=v) for v in regions])
        db.session.add(org)
        w.orgs[key] = org
    db.session.commit()
    for person, org_key in PEOPLE.items():
        w.people[person] = make_user(name=f"Person {person}")
        if org_key:
            join(w.people[person], w.orgs[org_key])

    # -- networking: a slot per session ----------------------------------------------
    _, net = make_event(db, staff, "networking", "Vernetzungstreffen", 10, [
        (date(2026, 12, 2), *EVENING), (date(2026, 12, 16), *EVENING),
        (date(2027, 1, 1), time(0, 30), time(1, 30)),      # just after midnight, New Year
        (date(2026, 12, 23), *EVENING),                     # cancelled afterwards
        (date(2027, 2, 10), *EVENING),                      # in the future
    ])
    w.sessions.update(net_dec2=net[0], net_dec16=net[1], net_jan1=net[2])
    regs = seat(db, w, net[0], "a1 a2 b1 p1 d1", came="a1 b1 p1")
    reg.cancel_registration(w.people["d1"], regs["d1"], now=REGISTERED_AT + timedelta(days=1))
    db.session.commit()
    seat(db, w, net[1], "a1 c1 x1", came="a1")
    seat(db, w, net[2], "b2 e1", came="b2 e1")
    seat(db, w, net[3], "a1 d1", came="a1 d1")
    services.cancel_session(staff, net[3], now=net[3].ends_at + timedelta(days=1))
    db.session.commit()
    seat(db, w, net[4], "a1 d1")

    # -- seminar: capacity 2 with a waiting list ---------------------------------------
    _, sem = make_event(db, staff, "seminar", "Vereinsrecht", 2, evening(
        date(2026, 12, 9), date(2027, 1, 13), date(2027, 1, 20), date(2027, 1, 27)))
    w.sessions.update(sem_dec9=sem[0], sem_jan13=sem[1], sem_jan20=sem[2], sem_running=sem[3])
    seat(db, w, sem[0], "a3 c2", came="a3", waiting="d1 b1")
    seat(db, w, sem[1], "a1 p2", came="a1 p2", waiting="b2")
    seat(db, w, sem[2], "c1")
    seat(db, w, sem[3], "d1", came="d1")            # running at NOW: not over yet

    # -- series: one registration covers every session -------------------------------
    series, ser = make_event(db, staff, "series", "Projektmanagement", 4, evening(
        date(2026, 12, 7), date(2026, 12, 14), date(2027, 1, 4), date(2027, 1, 11), date(2027, 1, 18)))
    w.events["series"] = series
    regs = seat(db, w, ser[0], "a2 b1 c2 e1")
    reg.cancel_registration(w.people["e1"], regs["e1"], now=REGISTERED_AT + timedelta(days=1))
    db.session.commit()
    for session, came in zip(ser, ("a2 b1 c2", "a2 b1", "a2", "a2", "")):
        for person in came.split():
            check_in(db, w, session, regs[person])
    db.session.commit()
    services.cancel_session(staff, ser[2], now=ser[2].ends_at + timedelta(hours=1))  # 4 January
    db.session.commit()

    # -- a cancelled event, after people came ------------------------------------------
    cancelled, (c_session,) = make_event(db, staff, "networking", "Abgesagt", 10,
                                         evening(date(2026, 12, 10)))
    seat(db, w, c_session, "d1 a1", came="d1 a1")
    services.cancel_event(staff, cancelled, now=c_session.ends_at + timedelta(days=1))
    db.session.commit()

    # -- a draft with a confirmed, checked-in registration (written directly) ---------
    draft, (d_session,) = make_event(db, staff, "seminar", "Entwurf", 5, evening(date(2026, 12, 11)),
                                     publish=False)
    slot = db.session.scalar(select(Slot).where(Slot.session_id == d_session.id))
    registration = Registration(slot=slot, event_id=draft.id, user=w.people["d1"], organisation=w.orgs["D"],
                                status="confirmed", created_at=REGISTERED_AT, confirmed_at=REGISTERED_AT)
    slot.confirmed_count = 1
    db.session.add(registration)
    db.session.flush()
    db.session.add(Attendance(registration_id=registration.id, session_id=d_session.id,
                              checked_in_at=d_session.starts_at, method="manual"))
    db.session.commit()

    # Xenia leaves the directory after its member came.
    org_services.set_active(staff, w.orgs["X"], False, "Verein aufgelöst", now=NOW - timedelta(days=1))
    db.session.commit()
    return w


def rates(rows) -> list[tuple]:
    return [(r.label, r.expected, r.attended) for r in rows]


def reaches(rows) -> list[tuple]:
    return [(r.label, r.reached, r.listed) for r in rows]


# --- attendance ---------------------------------------------------------------------------

def test_attendance_and_no_show_rates_per_kind_month_and_in_total(world):
    result = stats.compute(now=NOW)
    # Only ended, scheduled sessions of published events count.
    assert result.sessions == 10
    assert rates(result.by_kind) == [("networking", 9, 6), ("seminar", 5, 3), ("series", 12, 6)]
    assert (result.total.label, result.total.expected, result.total.attended) == ("all", 26, 15)
    by_kind = {r.label: r for r in result.by_kind}
    assert by_kind["networking"].attendance_rate == pytest.approx(6 / 9)
    assert by_kind["networking"].no_show_rate == pytest.approx(3 / 9)
    assert by_kind["seminar"].attendance_rate == pytest.approx(3 / 5)
    assert by_kind["seminar"].no_show_rate == pytest.approx(2 / 5)
    assert by_kind["series"].attendance_rate == pytest.approx(0.5)
    assert by_kind["series"].no_show_rate == pytest.approx(0.5)
    assert result.total.attendance_rate == pytest.approx(15 / 26)
    assert result.total.no_show_rate == pytest.approx(11 / 26)
    # Months are local: the session at 00:30 on 1 January (23:30 UTC on
    # 31 December) belongs to January.
    assert rates(result.by_month) == [("2026-12", 15, 10), ("2027-01", 11, 5)]
    assert [r.attendance_rate for r in result.by_month] == [pytest.approx(10 / 15), pytest.approx(5 / 11)]
    assert [r.no_show_rate for r in result.by_month] == [pytest.approx(5 / 15), pytest.approx(6 / 11)]


def test_a_rate_without_expected_people_is_none():
    empty = stats.Rate("x", 0, 0)
    assert empty.attendance_rate is None and empty.no_show_rate is None
    assert Reach("x", 0, 0).share is None


# --- MSOs reached --------------------------------------------------------------------------

def test_msos_reached_and_participants_per_mso(world):
    result = stats.compute(now=NOW)
    # Alpha, Beta, Gamma, Epsilon of the five listed (Delta only waited, cancelled,
    # or came to what does not count; Xenia is no longer listed).
    assert (result.reached.reached, result.reached.listed) == (4, 5)
    assert result.reached.share == pytest.approx(0.8)
    # Per local year: Epsilon came only on 1 January 2027 at 00:30 (still 2026 in UTC).
    assert reaches(result.reached_by_year) == [("2026", 3, 5), ("2027", 4, 5)]
    # Listed MSOs per tag (Xenia's Eving and Westafrika do not count): an MSO
    # with two districts or regions counts in each.
    assert reaches(result.reached_by_district) == [("Eving", 2, 2), ("Hörde", 1, 2), ("Mengede", 1, 1)]
    assert reaches(result.reached_by_region) == [("Naher Osten", 2, 2), ("Osteuropa", 1, 2),
                                                 ("Westafrika", 1, 1)]
    # Distinct people: a1 came to three counted sessions, a2 to the networking
    # meeting and the series; each person counts once per MSO.
    assert result.participants_per_org == [
        ("Alpha e.V.", 3), ("Beta e.V.", 2), ("Gamma e.V.", 2), ("Epsilon e.V.", 1), ("Xenia e.V.", 1)]


def test_a_registration_cancelled_midway_counts_for_the_sessions_already_held(db, world):
    """b1 leaves the series after the session of 11 January: the three sessions
    held while b1 had the seat (two of them attended) stay counted."""
    b1 = world.people["b1"]
    registration = db.session.scalar(select(Registration).where(
        Registration.user_id == b1.id, Registration.event_id == world.events["series"].id))
    reg.cancel_registration(world.staff, registration, now=datetime(2027, 1, 12, 10, tzinfo=UTC))
    db.session.commit()

    result = stats.compute(now=NOW)
    assert rates(result.by_kind)[2] == ("series", 12 - 1, 6)
    assert rates(result.by_month) == [("2026-12", 15, 10), ("2027-01", 11 - 1, 5)]
    assert dict(result.participants_per_org)["Beta e.V."] == 2


def test_anonymised_registrations_count_one_person_per_key(db, world):
    """a1 came to three counted sessions (three registrations for Alpha)."""
    a1 = world.people["a1"]
    ids = db.session.scalars(select(Registration.id).where(Registration.user_id == a1.id)).all()

    def anonymise(key_of):
        for i in ids:
            db.session.get(Registration, i).user_id = None
            db.session.get(Registration, i).anonymous_key = key_of(i)
        db.session.commit()
        return dict(stats.compute(now=NOW).participants_per_org)["Alpha e.V."]

    assert anonymise(lambda i: "one key for all of a1's rows") == 3
    # Anonymised without a key (before keys were kept): each registration is one person.
    assert anonymise(lambda i: None) == 2 + 3


# --- filters -------------------------------------------------------------------------------

def test_date_range_and_kind_filters(world):
    january = stats.compute(Filters(date_from=date(2027, 1, 1), date_to=date(2027, 1, 31)), now=NOW)
    assert january.sessions == 5
    assert rates(january.by_kind) == [("networking", 2, 2), ("seminar", 3, 2), ("series", 6, 1)]
    assert (january.total.expected, january.total.attended) == (11, 5)
    assert rates(january.by_month) == [("2027-01", 11, 5)]
    assert (january.reached.reached, january.reached.listed) == (4, 5)
    assert reaches(january.reached_by_year) == [("2027", 4, 5)]

    # Local dates: 31 December ends at midnight in Dortmund, before the New Year session.
    december = stats.compute(Filters(date_to=date(2026, 12, 31)), now=NOW)
    assert december.sessions == 5
    assert rates(december.by_month) == [("2026-12", 15, 10)]
    assert (december.reached.reached, december.reached.listed) == (3, 5)   # not Epsilon
    assert december.participants_per_org == [          # b2 came only on New Year's night
        ("Alpha e.V.", 3), ("Gamma e.V.", 2), ("Beta e.V.", 1), ("Xenia e.V.", 1)]

    new_year = stats.compute(Filters(date_from=date(2027, 1, 1), date_to=date(2027, 1, 1)), now=NOW)
    assert new_year.sessions == 1
    assert rates(new_year.by_kind) == [("networking", 2, 2)]
    assert new_year.participants_per_org == [("Beta e.V.", 1), ("Epsilon e.V.", 1)]

    series = stats.compute(Filters(kind="series"), now=NOW)
    assert series.sessions == 4
    assert rates(series.by_kind) == [("series", 12, 6)]
    assert rates(series.by_month) == [("2026-12", 6, 5), ("2027-01", 6, 1)]
    assert (series.reached.reached, series.reached.listed) == (3, 5)
    assert series.participants_per_org == [("Alpha e.V.", 1), ("Beta e.V.", 1), ("Gamma e.V.", 1)]

    seminars_in_january = stats.compute(
        Filters(kind="seminar", date_from=date(2027, 1, 1), date_to=date(2027, 1, 31)), now=NOW)
    assert seminars_in_january.sessions == 2
    assert (seminars_in_january.total.expected, seminars_in_january.total.attended) == (3, 2)
    assert reaches(seminars_in_january.reached_by_district) == [("Eving", 1, 2), ("Hörde", 1, 2),
                                                                ("Mengede", 1, 1)]

    # A range without sessions gives zeros, not errors.
    nothing = stats.compute(Filters(date_from=date(2030, 1, 1)), now=NOW)
    assert nothing.sessions == 0
    assert nothing.by_kind == [] and nothing.by_month == []
    assert (nothing.total.expected, nothing.total.attended, nothing.total.attendance_rate) == (0, 0, None)
    assert (nothing.reached.reached, nothing.reached.listed) == (0, 5)
    assert nothing.reached_by_year == []
    assert reaches(nothing.reached_by_district) == [("Eving", 0, 2), ("Hörde", 0, 2), ("Mengede", 0, 1)]
    assert nothing.participants_per_org == []

    # Once the 27 January seminar has ended, d1 (Delta) counts too.
    later = stats.compute(now=NOW + timedelta(hours=3))
    assert later.sessions == 11
    assert rates(later.by_kind)[1] == ("seminar", 6, 4)
    assert (later.reached.reached, later.reached.listed) == (5, 5)


# --- topic rounds -------------------------------------------------------------------------

VOTE_START = datetime(2027, 1, 5, 9, tzinfo=UTC)


def make_closed_round(db, staff, title: str, voters: dict, *, closes_in_days: int,
                      organisation_ids=None, close: bool = True):
    """A round voted on by ``voters`` ({representative: (org, points)}), closed by hand."""
    round_ = voting.create_round(staff, RoundData(
        title=title, proposals_open_at=VOTE_START, moderation_at=VOTE_START + timedelta(days=1),
        voting_opens_at=VOTE_START + timedelta(days=2),
        voting_closes_at=VOTE_START + timedelta(days=closes_in_days), organisation_ids=organisation_ids),
        now=VOTE_START - timedelta(days=1))
    db.session.flush()
    topics = [Topic(round_id=round_.id, title=f"{title} {n}", description="…", format="evening",
                    status="approved", languages=[]) for n in (1, 2)]
    db.session.add_all(topics)
    voting.set_phase(staff, round_, "voting", now=VOTE_START + timedelta(days=2))
    db.session.commit()
    for rep, (org, points) in voters.items():
        ballots.cast(rep, round_, org, {topics[0].id: points} if points else {},
                     now=VOTE_START + timedelta(days=2, hours=1))
        db.session.commit()
    if close:
        voting.set_phase(staff, round_, "closed", now=VOTE_START + timedelta(days=closes_in_days))
        db.session.commit()
    return round_


def make_orgs(db) -> dict:
    """The six MSOs of the world, tags and all (Xenia out of the directory)."""
    orgs = {}
    for key, (name, districts, regions) in ORGS.items():
        org = Organisation(name=name, legal_form="ev", status="inactive" if key == "X" else "listed")
        org.tags = ([OrganisationTag(kind="district", value=v) for v in districts]
                    + [OrganisationTag(kind="region", value=v) for v in regions])
        db.session.add(org)
        orgs[key] = org
    db.session.commit()
    return orgs


def test_round_turnout(db, staff, make_member):
    orgs = make_orgs(db)
    reps = {key: make_member(orgs[key], "representative", name=f"Rep {key}") for key in "ABCD"}
    # All listed MSOs may vote: Alpha and Gamma give points, Beta saves an empty ballot.
    make_closed_round(db, staff, "Frühjahr", {
        reps["A"]: (orgs["A"], 2), reps["B"]: (orgs["B"], 0), reps["C"]: (orgs["C"], 3)}, closes_in_days=5)
    # Only Alpha, Delta and Xenia (not listed) were invited: Delta voted.
    make_closed_round(db, staff, "Herbst", {reps["D"]: (orgs["D"], 1)}, closes_in_days=9,
                      organisation_ids=[orgs["A"].id, orgs["D"].id, orgs["X"].id])
    # Still voting: not shown yet.
    make_closed_round(db, staff, "Offen", {reps["A"]: (orgs["A"], 1)}, closes_in_days=7, close=False)

    assert reaches(stats.round_turnout()) == [("Frühjahr", 2, 5), ("Herbst", 1, 2)]
    assert [r.share for r in stats.round_turnout()] == [pytest.approx(0.4), pytest.approx(0.5)]
    assert reaches(stats.compute(now=NOW).turnout) == [("Frühjahr", 2, 5), ("Herbst", 1, 2)]


def test_no_closed_rounds_no_turnout(db):
    assert stats.round_turnout() == []


# --- the CSV ---------------------------------------------------------------------------------

def test_statistics_csv_reads_back(db, world, make_member):
    rep = make_member(world.orgs["A"], "representative", name="Rep A")
    make_closed_round(db, world.staff, "=Frühjahr", {rep: (world.orgs["A"], 2)}, closes_in_days=5)
    with current_app.test_request_context("/?sep=comma"):  # the variant for tools
        text = stats.statistics_csv(stats.compute(now=NOW))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["section", "label", "expected_or_reached", "attended_or_total", "rate"],
        ["attendance_by_kind", "all", "26", "15", "0.5769"],
        ["attendance_by_kind", "networking", "9", "6", "0.6667"],
        ["attendance_by_kind", "seminar", "5", "3", "0.6000"],
        ["attendance_by_kind", "series", "12", "6", "0.5000"],
        ["attendance_by_month", "2026-12", "15", "10", "0.6667"],
        ["attendance_by_month", "2027-01", "11", "5", "0.4545"],
        ["msos_reached", "all", "4", "5", "0.8000"],
        ["msos_reached_by_year", "2026", "3", "5", "0.6000"],
        ["msos_reached_by_year", "2027", "4", "5", "0.8000"],
        ["msos_reached_by_district", "Eving", "2", "2", "1.0000"],
        ["msos_reached_by_district", "Hörde", "1", "2", "0.5000"],
        ["msos_reached_by_district", "Mengede", "1", "1", "1.0000"],
        ["msos_reached_by_region", "Naher Osten", "2", "2", "1.0000"],
        ["msos_reached_by_region", "Osteuropa", "1", "2", "0.5000"],
        ["msos_reached_by_region", "Westafrika", "1", "1", "1.0000"],
        # A label that looks like a formula is defused for spreadsheets.
        ["round_turnout", "'=Frühjahr", "1", "5", "0.2000"],
        ["participants_per_mso", "Alpha e.V.", "3", "", ""],
        ["participants_per_mso", "Beta e.V.", "2", "", ""],
        ["participants_per_mso", "Gamma e.V.", "2", "", ""],
        ["participants_per_mso", "Epsilon e.V.", "1", "", ""],
        ["participants_per_mso", "Xenia e.V.", "1", "", ""],
    ]

    # Nothing in the range: empty rates where nothing was expected.
    with current_app.test_request_context("/?sep=comma"):  # the variant for tools
        text = stats.statistics_csv(stats.compute(Filters(date_from=date(2030, 1, 1)), now=NOW))
    rows = list(csv.reader(io.StringIO(text)))
    assert ["attendance_by_kind", "all", "0", "0", ""] in rows
    assert ["msos_reached", "all", "0", "5", "0.0000"] in rows
    assert not [r for r in rows if r[0] in ("participants_per_mso", "attendance_by_month")]
