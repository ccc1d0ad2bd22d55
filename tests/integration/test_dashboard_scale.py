"""The dashboard stays a fixed number of SQL statements however much data
there is (overview.py: "A fixed number of SQL queries, whatever the size of
the data; every aggregate is computed by the database"; the statistics are
computed in SQL too).

Each test renders the pages on a small dataset, then adds a large one —
100 MSOs, 2,000 members, 1,000 sessions (some today, some in the next
14 days), 20,000 registrations and their check-ins — written with bulk
INSERTs, and renders them again: the number of statements must not change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from miado_events.database import utcnow
from miado_events.dashboard import figures, overview, stats
from miado_events.models.accounts import Role, User
from miado_events.models.checkin import Attendance
from miado_events.models.events import Event, EventSession, Registration, Slot
from miado_events.models.mail import OutboxMessage
from miado_events.models.orgs import Membership, Organisation, OrganisationTag
from miado_events.models.voting import Ballot, RoundOrganisation, Topic, TopicRound
from miado_events.timeutil import to_local

from ..conftest import count_statements

N_ORGS = 100
N_MEMBERS = 2_000
N_SESSIONS = 1_000
N_REGISTRATIONS = 20_000
SESSIONS_PER_EVENT = 5
DISTRICTS = ("Eving", "Hörde", "Mengede", "Brackel", "Hombruch")
REGIONS = ("Westafrika", "Naher Osten", "Osteuropa", "Südasien")

#: The one bulk session the page is checked for: 17 of 20 seats, 10 of them Bulk-MSO 0.
SAMPLE_TITLE = "Bulk-Seminar Stichprobe"
SAMPLE_CONFIRMED, SAMPLE_CAPACITY, SAMPLE_TOP_ORG_SEATS = 17, 20, 10


#: Bulk rows get ids from here on, clear of the small dataset and of rows the
#: app adds later (PostgreSQL's sequences do not see explicit ids).
FIRST_BULK_ID = 100_000


def ids(db, model, rows: list[dict]) -> list[int]:
    """Bulk INSERT ``rows`` (one executemany) with ids of our own; returns them."""
    new_ids = list(range(FIRST_BULK_ID, FIRST_BULK_ID + len(rows)))
    db.session.execute(insert(model), [{"id": i, **row} for i, row in zip(new_ids, rows)])
    return new_ids


def today_start(now: datetime) -> datetime:
    return to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Bulk:
    sessions: int
    registrations: int
    attendances: int
    today: int
    next_14_days: int


def build_bulk(db, now: datetime) -> Bulk:
    """The large dataset, straight into the tables (no services, no e-mails)."""
    # -- MSOs (95 listed, 5 waiting for review) with a district and a region each ------
    org_ids = ids(db, Organisation, [
        {"name": f"Bulk-MSO {i}", "legal_form": "ev", "status": "pending" if i >= 95 else "listed",
         "published_fields": [], "created_at": now, "updated_at": now, "submitted_at": now}
        for i in range(N_ORGS)])
    db.session.execute(insert(OrganisationTag), [
        {"organisation_id": org_id, "kind": kind, "value": value}
        for i, org_id in enumerate(org_ids)
        for kind, value in (("district", DISTRICTS[i % len(DISTRICTS)]), ("region", REGIONS[i % len(REGIONS)]))])

    # -- members: each in one listed MSO; every 50th asks to join a second one --------
    user_ids = ids(db, User, [
        {"email": f"bulk{i}@example.org", "name": f"Bulk Person {i:04d}", "role": "member", "locale": "de",
         "is_enabled": True, "email_verified_at": now, "auth_version": 1, "created_at": now}
        for i in range(N_MEMBERS)])
    org_of_user = [org_ids[i % 95] for i in range(N_MEMBERS)]
    db.session.execute(insert(Membership), [
        {"organisation_id": org_of_user[i], "user_id": user_id, "role": "member", "status": "active",
         "created_at": now} for i, user_id in enumerate(user_ids)]
        + [{"organisation_id": org_ids[(i + 1) % 95], "user_id": user_id, "role": "member",
            "status": "requested", "created_at": now} for i, user_id in enumerate(user_ids) if i % 50 == 0])

    # -- sessions: 800 past, 150 in the next 14 days, 49 today, and the sample --------
    starts = []
    for k in range(800):
        starts.append(now - timedelta(days=2 + k * 330 / 800))
    for k in range(150):
        starts.append(now + timedelta(hours=2 + k * 2))            # within 12.5 days
    midnight = today_start(now)
    for k in range(N_SESSIONS - 1 - len(starts)):
        starts.append(midnight + timedelta(minutes=10 + k * 20))   # today, local
    n_events = len(starts) // SESSIONS_PER_EVENT
    kinds = ("networking", "seminar", "series")
    event_rows = [{"kind": kinds[e % 3], "title": f"Bulk event {e}", "status": "published",
                   "visibility": "public", "capacity": 40, "cancellation_deadline_hours": 24,
                   "waitlist_enabled": True, "languages": [], "created_at": now, "updated_at": now}
                  for e in range(n_events)]
    event_rows.append({**event_rows[1], "title": SAMPLE_TITLE, "kind": "seminar"})
    event_ids = ids(db, Event, event_rows)
    starts.append(now + timedelta(days=3))                            # the sample's one session
    session_event = [event_ids[k // SESSIONS_PER_EVENT] for k in range(N_SESSIONS - 1)] + [event_ids[-1]]
    session_ids = ids(db, EventSession, [
        {"event_id": session_event[k], "starts_at": start, "ends_at": start + timedelta(hours=2),
         "status": "scheduled", "online_url": "https://meet.example.org/bulk", "sequence": 0}
        for k, start in enumerate(starts)])
    assert len(session_ids) == N_SESSIONS

    # -- slots: one per series, one per session otherwise ------------------------------
    slot_specs = []   # (event_id, session_id or None, [covered session indexes])
    for e, event_id in enumerate(event_ids[:-1]):
        covered = list(range(e * SESSIONS_PER_EVENT, (e + 1) * SESSIONS_PER_EVENT))
        if kinds[e % 3] == "series":
            slot_specs.append((event_id, None, covered))
        else:
            slot_specs.extend((event_id, session_ids[k], [k]) for k in covered)
    slot_specs.append((event_ids[-1], session_ids[-1], [N_SESSIONS - 1]))

    # -- registrations: the sample's 19, the rest spread over the other slots ---------
    n_slots = len(slot_specs)
    sample = n_slots - 1
    per_slot = [0] * n_slots
    per_slot[sample] = SAMPLE_CONFIRMED + 2
    rest = N_REGISTRATIONS - per_slot[sample]
    for s in range(n_slots - 1):
        per_slot[s] = rest // (n_slots - 1) + (1 if s < rest % (n_slots - 1) else 0)
    registrations, confirmed, capacity = [], [0] * n_slots, [0] * n_slots
    for s, n in enumerate(per_slot):
        full = s % 3 == 0
        for j in range(n):
            if s == sample:
                user = j * 95 if j < SAMPLE_TOP_ORG_SEATS else j        # 10 of Bulk-MSO 0
                status = "cancelled" if j >= SAMPLE_CONFIRMED else "confirmed"
            else:
                user = (s * 37 + j) % N_MEMBERS
                status = ("cancelled" if j % 9 == 8 else
                          "waitlisted" if full and j >= n - 2 else "confirmed")
            i = len(registrations)
            confirmed[s] += status == "confirmed"
            registrations.append({
                "slot_id": None, "event_id": slot_specs[s][0], "user_id": user_ids[user],
                "organisation_id": org_of_user[user], "status": status,
                "created_at": now - timedelta(hours=1 + i % (24 * 30)),
                "confirmed_at": now if status == "confirmed" else None,
                "cancelled_at": now if status == "cancelled" else None,
                "ticket_token": f"t{i:031d}", "ticket_code": f"B{i:07d}", "_slot": s, "_j": j})
        capacity[s] = SAMPLE_CAPACITY if s == sample else confirmed[s] + (0 if full else 10)
    assert len(registrations) == N_REGISTRATIONS
    slot_ids = ids(db, Slot, [
        {"event_id": event_id, "session_id": session_id, "capacity": max(capacity[s], 1),
         "confirmed_count": confirmed[s]} for s, (event_id, session_id, _) in enumerate(slot_specs)])
    for row in registrations:
        row["slot_id"] = slot_ids[row["_slot"]]
    registration_ids = ids(db, Registration, [
        {k: v for k, v in row.items() if not k.startswith("_")} for row in registrations])

    # -- check-ins: 7 in 10 confirmed people come to each past or running session -----
    attendances = []
    for row, registration_id in zip(registrations, registration_ids):
        if row["status"] != "confirmed" or row["_j"] % 10 >= 7:
            continue
        for k in slot_specs[row["_slot"]][2]:
            if starts[k] <= now:
                attendances.append({"registration_id": registration_id, "session_id": session_ids[k],
                                    "checked_in_at": starts[k], "recorded_at": starts[k], "method": "scan"})
    db.session.execute(insert(Attendance), attendances)

    # -- a few failed e-mails and topic proposals waiting for moderation --------------
    db.session.execute(insert(OutboxMessage), [
        {"to_address": f"bulk{i}@example.org", "subject": "x", "template": "x", "raw": b"x",
         "status": "failed", "attempts": 5, "next_attempt_at": now, "created_at": now} for i in range(30)])
    round_id = ids(db, TopicRound, [round_row("Bulk-Runde", now, phase="moderation")])[0]
    db.session.execute(insert(Topic), [
        {"round_id": round_id, "organisation_id": org_ids[i], "title": f"Bulk-Thema {i}", "description": "…",
         "languages": [], "format": "evening", "status": "pending", "created_at": now} for i in range(40)])
    db.session.commit()
    return Bulk(sessions=len(session_ids), registrations=len(registration_ids), attendances=len(attendances),
                today=sum(1 for s in starts if today_start(now) <= s < today_start(now) + timedelta(days=1)),
                next_14_days=sum(1 for s in starts if now <= s < now + timedelta(days=14)))


def round_row(title: str, now: datetime, *, phase: str = "closed", all_organisations: bool = True) -> dict:
    return {"title": title, "phase": phase, "proposals_open_at": now - timedelta(days=40),
            "moderation_at": now - timedelta(days=30), "voting_opens_at": now - timedelta(days=20),
            "voting_closes_at": now - timedelta(days=10), "points_budget": 5, "max_per_topic": 3,
            "live_totals": False, "results_public": True, "all_organisations": all_organisations,
            "created_at": now}


# --- the small dataset ------------------------------------------------------------------------

def build_small(db, now: datetime, staff: User) -> dict:
    """Two MSOs, a seminar in three days (3 of 8 seats taken), a meeting today
    with one of two people checked in, a past series, a closed topic round open
    to two MSOs: every query of the pages has something to find."""
    orgs = [Organisation(name=name, legal_form="ev", status="listed") for name in ("Klein A e.V.", "Klein B e.V.")]
    orgs[0].tags = [OrganisationTag(kind="district", value="Eving"), OrganisationTag(kind="region", value="Westafrika")]
    db.session.add_all(orgs)
    db.session.add(Organisation(name="Klein Neu e.V.", legal_form="ev", status="pending"))
    people = [User(email=f"klein{i}@example.org", name=f"Klein Person {i}", role="member", email_verified_at=now)
              for i in range(4)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all([Membership(organisation=orgs[i % 2], user=p) for i, p in enumerate(people)])
    db.session.add(Membership(organisation=orgs[1], user=people[0], status="requested"))

    def event(title, kind, start, capacity):
        ev = Event(kind=kind, title=title, capacity=capacity, status="published", created_by_id=staff.id)
        session = EventSession(event=ev, starts_at=start, ends_at=start + timedelta(hours=2))
        slot = Slot(event=ev, session=None if kind == "series" else session, capacity=capacity,
                    confirmed_count=0)
        db.session.add_all([ev, session, slot])
        return ev, session, slot

    def seat(slot, person, org, status="confirmed"):
        r = Registration(slot=slot, event=slot.event, user=person, organisation=org, status=status,
                         created_at=now - timedelta(days=1))
        if status == "confirmed":
            slot.confirmed_count += 1
        db.session.add(r)
        return r

    _, _, seminar = event("Kleines Seminar", "seminar", now + timedelta(days=3), 8)
    for i in range(3):
        seat(seminar, people[i], orgs[i % 2])
    _, meeting_session, meeting = event("Heute-Treffen", "networking", today_start(now) + timedelta(minutes=5), 10)
    came = seat(meeting, people[0], orgs[0])
    seat(meeting, people[1], orgs[1])
    _, past_session, series = event("Alte Reihe", "series", now - timedelta(days=20), 5)
    past = seat(series, people[2], orgs[0])
    seat(series, people[3], orgs[1], status="waitlisted")
    db.session.flush()
    db.session.add_all([
        Attendance(registration_id=came.id, session_id=meeting_session.id, checked_in_at=now, method="scan"),
        Attendance(registration_id=past.id, session_id=past_session.id, checked_in_at=past_session.starts_at,
                   method="scan")])
    round_ = TopicRound(**round_row("Kleine Runde", now, all_organisations=False))
    round_.allowed_organisations = list(orgs)
    db.session.add(round_)
    db.session.flush()
    db.session.add(Ballot(round_id=round_.id, organisation_id=orgs[0].id, budget=5, total_points=3))
    db.session.commit()
    return {"meeting_session": meeting_session}


# --- helpers ------------------------------------------------------------------------------------

def statements_for(db, client, url: str) -> int:
    db.session.expire_all()
    with count_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def dashboard_statements(db, client) -> tuple[int, int]:
    """Statements of GET /staff/ building its figures, and served from the kept ones."""
    with client.application.test_request_context():
        figures.clear()
    return statements_for(db, client, "/staff/"), statements_for(db, client, "/staff/")


def overview_statements(db, now: datetime) -> dict[str, int]:
    counts = {}
    for name, call in (("upcoming", lambda: overview.upcoming_sessions(now)),
                       ("recent", lambda: overview.recent_registrations(now)),
                       ("queues", overview.queues), ("live", lambda: overview.live_sessions(now))):
        db.session.expire_all()
        with count_statements(db.engine) as statements:
            call()
        counts[name] = len(statements)
    return counts


def row_of(html: str, title: str) -> str:
    match = re.search(r"<tr>\s*<th scope=\"row\"><a [^>]*>" + re.escape(title) + r"</a>.*?</tr>", html, re.S)
    assert match, f"no row for {title!r}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


@pytest.fixture
def staff_client(client, make_user, login):
    staff = make_user(Role.STAFF)
    login(staff)
    return client, staff


# --- the tests ----------------------------------------------------------------------------------

def test_dashboard_and_statistics_run_a_fixed_number_of_statements(db, staff_client):
    client, staff = staff_client
    now = utcnow()
    build_small(db, now, staff)
    client.get("/staff/")                      # warm-up: whatever is loaded once per process
    client.get("/staff/statistics")
    small_page = dashboard_statements(db, client)
    small_stats = statements_for(db, client, "/staff/statistics")
    small_overview = overview_statements(db, now)
    small_live = statements_for(db, client, "/staff/dashboard/live.json")

    bulk = build_bulk(db, now)
    assert (bulk.sessions, bulk.registrations) == (N_SESSIONS, N_REGISTRATIONS)
    assert bulk.today >= 40 and bulk.next_14_days >= 150 and bulk.attendances > 5_000

    assert overview_statements(db, now) == small_overview
    # As documented: 3 queries for the upcoming sessions, 1 for the recent
    # registrations, 1 for the queues, at most 2 for today's check-ins.
    assert small_overview["upcoming"] == 3 and small_overview["recent"] == 1 and small_overview["queues"] == 1
    assert small_overview["live"] <= 2
    assert dashboard_statements(db, client) == small_page
    assert statements_for(db, client, "/staff/dashboard/live.json") == small_live
    assert statements_for(db, client, "/staff/statistics") == small_stats


def test_dashboard_shows_fill_rates_waiting_lists_and_live_counts_at_scale(db, staff_client):
    client, staff = staff_client
    now = utcnow()
    small = build_small(db, now, staff)
    build_bulk(db, now)
    html = client.get("/staff/").get_data(as_text=True)

    assert "3 / 8 (38%)" in row_of(html, "Kleines Seminar")
    sample = row_of(html, SAMPLE_TITLE)
    assert f"{SAMPLE_CONFIRMED} / {SAMPLE_CAPACITY} (85%)" in sample
    assert f"Bulk-MSO 0 holds {SAMPLE_TOP_ORG_SEATS} of {SAMPLE_CONFIRMED} seats" in sample
    # Queues: 5 + 1 applications, 40 + 1 join requests, 40 proposals, 30 failed e-mails.
    assert "6 MSO applications to review" in html
    assert "41 requests to join an MSO" in html
    assert "40 topic proposals to moderate" in html
    assert "30 e-mails failed" in html

    by_id = {s.session_id: s for s in overview.live_sessions(now)}
    meeting = by_id[small["meeting_session"].id]
    assert (meeting.checked_in, meeting.confirmed) == (1, 2)
    live = client.get("/staff/dashboard/live.json").get_json()["sessions"]
    assert {"id": meeting.session_id, "checked_in": 1, "confirmed": 2} in live
    assert len(live) == len(by_id) >= 40

    upcoming = {s.title: s for s in overview.upcoming_sessions(now)}
    assert (upcoming[SAMPLE_TITLE].confirmed, upcoming[SAMPLE_TITLE].capacity,
            upcoming[SAMPLE_TITLE].waiting) == (SAMPLE_CONFIRMED, SAMPLE_CAPACITY, 0)
    assert upcoming[SAMPLE_TITLE].fill_rate == pytest.approx(0.85)


def test_statistics_query_count_does_not_grow_with_topic_rounds(db, staff_client):
    """Every closed round open to some MSOs only must not cost its own query
    (the statistics page lists the turnout of all of them)."""
    client, staff = staff_client
    now = utcnow()
    build_small(db, now, staff)
    client.get("/staff/statistics")
    small = statements_for(db, client, "/staff/statistics")
    with count_statements(db.engine) as one_round:
        stats.round_turnout()

    org_ids = db.session.scalars(select(Organisation.id)).all()
    round_ids = ids(db, TopicRound, [round_row(f"Runde {i}", now - timedelta(days=i), all_organisations=False)
                                     for i in range(30)])
    db.session.execute(insert(RoundOrganisation), [
        {"round_id": round_id, "organisation_id": org_id} for round_id in round_ids for org_id in org_ids])
    db.session.commit()

    db.session.expire_all()
    with count_statements(db.engine) as many_rounds:
        turnout = stats.round_turnout()
    assert len(turnout) == 31
    assert len(many_rounds) == len(one_round)
    assert statements_for(db, client, "/staff/statistics") == small
