"""The benchmark's dataset, written with bulk INSERTs (not through the services).

Everything is invented and deterministic for a given seed, except the times,
which are relative to the moment of the build (so that "today's" sessions are
in their check-in window while the benchmark runs) and the random ticket
tokens. The rows respect every rule the app relies on:

* seat counters: ``registration_slots.confirmed_count`` and
  ``slot_org_seats.confirmed_count`` equal the number of confirmed rows;
  nobody is over capacity or over the MSO's seat limit; people wait only for
  full slots (or when their MSO has used its seats);
* one active registration per person and slot; cancelled rows on top;
* unique ``ticket_token`` (22 characters, like ``new_ticket_token``) and
  ``ticket_code`` (8 characters from ``TICKET_CODE_ALPHABET``);
* a training series has one whole-event slot, the other kinds one slot per
  session.

``build(app)`` writes it into the (freshly migrated) database of ``app`` and
returns a ``Fixture``: the ids and tokens the load generator needs.
"""
from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, insert, select, text

from miado_events.database import utcnow
from miado_events.extensions import db
from miado_events.models import (
    Attendance,
    DoorAssignment,
    Event,
    EventSession,
    Membership,
    Organisation,
    OrganisationTag,
    Registration,
    Slot,
    SlotOrgSeats,
    User,
    Venue,
)
from miado_events.models.events import TICKET_CODE_ALPHABET, TICKET_CODE_LENGTH
from miado_events.models.orgs import DISTRICTS, FIELDS_OF_WORK, PUBLISHABLE_FIELDS
from miado_events.timeutil import local_to_utc, to_local

DOMAIN = "bench.example.org"
PRIVACY_VERSION = "2026-11"
# Nobody logs in with a password: the harness signs session cookies itself.
NO_PASSWORD = "!bench-no-password-login"

REGIONS = ("Türkei", "Syrien", "Polen", "Ukraine", "Russland", "Griechenland", "Italien", "Ghana",
           "Nigeria", "Eritrea", "Afghanistan", "Irak", "Iran", "Vietnam", "Marokko", "Bosnien",
           "Kosovo", "Rumänien", "Bulgarien", "Kurdistan", "Sri Lanka", "Lateinamerika")
ORG_LANGUAGES = ("tr", "ar", "pl", "uk", "ru", "el", "it", "en", "fr", "ti", "fa", "ps", "vi",
                 "bs", "sr", "ro", "bg", "ku", "ta", "es", "pt")
FIRST = ("Ayşe", "Mehmet", "Olena", "Piotr", "Fatima", "Kwame", "Nadia", "Yusuf", "Elena", "Dimitri",
         "Amina", "Tarek", "Maria", "Jonas", "Leyla", "Hamid", "Irina", "Chidi", "Sofia", "Ali")
LAST = ("Yılmaz", "Kowalska", "Haddad", "Mensah", "Petrenko", "Nguyen", "Papadopoulos", "Rahimi",
        "Okafor", "Demir", "Ivanova", "Berisha", "Popescu", "Schmidt", "Kaya", "Tesfaye")
TOPICS = ("Vereinsfinanzen", "Fördermittel beantragen", "Öffentlichkeitsarbeit", "Datenschutz im Verein",
          "Ehrenamt gewinnen", "Projektmanagement", "Social Media", "Moderation", "Buchhaltung",
          "Antidiskriminierung", "Elternarbeit", "Jugendarbeit", "Interkulturelle Öffnung")


@dataclass
class Sizes:
    orgs: int = 100
    members: int = 2000
    representatives_per_org: int = 2
    venues: int = 24
    events: int = 300
    series: int = 60            # training series among the events (one whole-event slot each)
    series_sessions: int = 5
    sessions: int = 1000
    registrations: int = 20000
    today_sessions: int = 10    # running now, in their check-in window
    today_series: int = 2       # of which belong to a training series
    today_capacity: int = 700
    today_confirmed: int = 600  # per session today: the tickets the check-in load scans
    past_days: int = 180
    future_days: int = 180


@dataclass
class Fixture:
    """What the load generator needs, read back from the rows just written."""

    staff: tuple[int, int]                       # (user id, auth_version)
    door: tuple[int, int]
    members: list[tuple[int, int, int]]           # (user id, auth_version, organisation id)
    event_ids: list[int]
    today_session_ids: list[int]
    #: (user id, organisation id, event id, slot id): a member not yet registered for the slot
    register_pairs: list[tuple[int, int, int, int]]
    #: (session id, ticket token) of confirmed registrations covering today's sessions
    tickets: list[tuple[int, str]]
    feed_tokens: list[str]
    counts: dict = field(default_factory=dict)


def _code(rng: random.Random, taken: set) -> str:
    while True:
        code = "".join(rng.choice(TICKET_CODE_ALPHABET) for _ in range(TICKET_CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def _token(taken: set) -> str:
    while True:
        token = secrets.token_urlsafe(16)  # 22 characters, as new_ticket_token()
        if token not in taken:
            taken.add(token)
            return token


def _bulk(model, rows: list[dict], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        db.session.execute(insert(model), rows[i:i + chunk])


def _session_counts(rng: random.Random, sizes: Sizes, kinds: list[str]) -> list[int]:
    """Sessions per event: fixed for a series, 1–6 for the others, summing to sizes.sessions."""
    counts = [sizes.series_sessions if k == "series" else 1 for k in kinds]
    others = [i for i, k in enumerate(kinds) if k != "series"]
    remaining = sizes.sessions - sum(counts)
    if remaining < 0 or not others:
        raise ValueError("not enough sessions for the events and series asked for")
    while remaining:
        i = rng.choice(others)
        if counts[i] < 6:
            counts[i] += 1
            remaining -= 1
    return counts


def build(app, *, sizes: Sizes | None = None, seed: int = 20261129, now: datetime | None = None,
          register_pairs: int = 6000) -> Fixture:
    sizes = sizes or Sizes()
    rng = random.Random(seed)
    now = (now or utcnow()).replace(microsecond=0)
    today = to_local(now).date()
    with app.app_context():
        fixture = _build(rng, sizes, now, today, register_pairs)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            _bump_sequences()
            db.session.commit()
            # Fresh tables have no statistics yet; autovacuum would gather them
            # in the middle of the run. Production databases have them.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        fixture.counts = _counts()
        _check_counters()
        db.session.remove()
        db.engine.dispose()
    return fixture


def _bump_sequences() -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement in (True, "auto"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"))


def _counts() -> dict:
    out = {}
    for model in (Organisation, User, Membership, Venue, Event, EventSession, Slot, Registration,
                  SlotOrgSeats, Attendance, DoorAssignment):
        out[model.__tablename__] = db.session.scalar(select(func.count()).select_from(model))
    out["registrations_confirmed"] = db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.status == "confirmed"))
    out["registrations_waitlisted"] = db.session.scalar(
        select(func.count()).select_from(Registration).where(Registration.status == "waitlisted"))
    return out


def _check_counters() -> None:
    """The seat counters agree with the rows (as the app's own code keeps them)."""
    wrong = db.session.execute(text(
        "SELECT s.id FROM registration_slots s LEFT JOIN (SELECT slot_id, COUNT(*) AS n "
        "FROM registrations WHERE status = 'confirmed' GROUP BY slot_id) r ON r.slot_id = s.id "
        "WHERE s.confirmed_count <> COALESCE(r.n, 0)")).all()
    wrong_org = db.session.execute(text(
        "SELECT o.slot_id FROM slot_org_seats o LEFT JOIN (SELECT slot_id, organisation_id, "
        "COUNT(*) AS n FROM registrations WHERE status = 'confirmed' "
        "GROUP BY slot_id, organisation_id) r ON r.slot_id = o.slot_id "
        "AND r.organisation_id = o.organisation_id WHERE o.confirmed_count <> COALESCE(r.n, 0)")).all()
    if wrong or wrong_org:
        raise AssertionError(f"seat counters disagree with the rows: slots {wrong[:5]}, "
                             f"per MSO {wrong_org[:5]}")


def _build(rng: random.Random, sizes: Sizes, now: datetime, today: date, n_pairs: int) -> Fixture:
    long_ago = now - timedelta(days=sizes.past_days + 120)

    # --- people ---------------------------------------------------------------------
    users, staff_id, door_id = [], 1, 2
    for uid, local, name, role in ((staff_id, "staff", "Sami Staff (Bench)", "staff"),
                                   (door_id, "door", "Derya Einlass (Bench)", "door")):
        users.append(dict(id=uid, email=f"{local}@{DOMAIN}", name=name, password_hash=NO_PASSWORD,
                          role=role, locale="de", is_enabled=True, email_verified_at=long_ago,
                          privacy_consent_version=PRIVACY_VERSION, privacy_consent_at=long_ago,
                          auth_version=1, created_at=long_ago, feed_token=secrets.token_urlsafe(32)))
    member_ids = list(range(3, 3 + sizes.members))
    for n, uid in enumerate(member_ids):
        created = long_ago + timedelta(days=rng.randint(0, 250), minutes=rng.randint(0, 1440))
        users.append(dict(
            id=uid, email=f"member{n + 1:04d}@{DOMAIN}",
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {n + 1:04d}", password_hash=NO_PASSWORD,
            role="member", locale="en" if rng.random() < 0.2 else "de", is_enabled=True,
            email_verified_at=created + timedelta(minutes=10), privacy_consent_version=PRIVACY_VERSION,
            privacy_consent_at=created, auth_version=1, created_at=created,
            feed_token=secrets.token_urlsafe(32)))
    _bulk(User, users)

    # --- MSOs, their tags and members ------------------------------------------------------
    orgs, tags = [], []
    org_ids = list(range(1, sizes.orgs + 1))
    for oid in org_ids:
        founded = rng.randint(1965, 2024)
        decided = long_ago + timedelta(days=rng.randint(0, 200))
        orgs.append(dict(
            id=oid, name=f"Bench-Verein {oid:03d} {rng.choice(REGIONS)} e.V.", short_name=f"BV{oid:03d}",
            legal_form=rng.choice(("ev", "ev", "ev", "initiative", "ggmbh")), founding_year=founded,
            description=f"Erfundener Verein Nr. {oid} für den Lasttest von MIA-DO Events.",
            address=f"Beispielstraße {oid}, 44137 Dortmund", email=f"kontakt{oid}@{DOMAIN}",
            phone=f"0231 000 {oid:04d}", website=f"https://verein{oid}.example.org",
            internal_contact="Vorstand (Bench)", published_fields=list(PUBLISHABLE_FIELDS),
            members_see_member_list=oid % 2 == 0, status="listed", decided_by_id=staff_id,
            decided_at=decided, submitted_at=decided - timedelta(days=3), created_at=decided - timedelta(days=3),
            updated_at=decided))
        values = {("district", d) for d in rng.sample(DISTRICTS, rng.randint(1, 2))}
        values |= {("region", r) for r in rng.sample(REGIONS, rng.randint(1, 2))}
        values |= {("language", lang) for lang in ["de", *rng.sample(ORG_LANGUAGES, rng.randint(1, 2))]}
        values |= {("field", f) for f in rng.sample(FIELDS_OF_WORK, rng.randint(1, 3))}
        tags += [dict(organisation_id=oid, kind=k, value=v) for k, v in sorted(values)]
    _bulk(Organisation, orgs)
    _bulk(OrganisationTag, tags)

    org_of = {}
    memberships = []
    per_org: dict[int, int] = {}
    for n, uid in enumerate(member_ids):
        oid = org_ids[n % len(org_ids)]
        org_of[uid] = oid
        per_org[oid] = per_org.get(oid, 0) + 1
        role = "representative" if per_org[oid] <= sizes.representatives_per_org else "member"
        memberships.append(dict(id=n + 1, organisation_id=oid, user_id=uid, role=role, status="active",
                                created_at=long_ago + timedelta(days=rng.randint(0, 200))))
    _bulk(Membership, memberships)

    # --- venues, events, sessions, slots ------------------------------------------------
    venues = [dict(id=v, name=f"Begegnungszentrum {v:02d}", address=f"Hauptstraße {v * 7}, 44139 Dortmund",
                   district=DISTRICTS[(v - 1) % len(DISTRICTS)], room=f"Raum {rng.randint(1, 12)}",
                   accessibility_notes="Stufenloser Zugang, barrierefreies WC." if v % 3 else None,
                   directions="U-Bahn bis Stadtgarten, dann 5 Minuten zu Fuß." if v % 2 else None,
                   created_at=long_ago) for v in range(1, sizes.venues + 1)]
    _bulk(Venue, venues)

    kinds = ["series"] * sizes.series
    others = sizes.events - sizes.series
    kinds += ["networking"] * (others // 2) + ["seminar"] * (others - others // 2)
    rng.shuffle(kinds)
    n_sessions = _session_counts(rng, sizes, kinds)
    event_ids = list(range(1, sizes.events + 1))
    series_idx = [i for i, k in enumerate(kinds) if k == "series"]
    other_idx = [i for i, k in enumerate(kinds) if k != "series"]
    today_idx = (rng.sample(series_idx, sizes.today_series)
                 + rng.sample(other_idx, sizes.today_sessions - sizes.today_series))

    events, sessions, slots = [], [], []
    session_id = slot_id = 0
    slot_info = {}      # slot id -> dict(event, start, end, capacity, limit, sessions, today, kind)
    interval = {"networking": timedelta(days=28), "seminar": timedelta(days=1), "series": timedelta(days=7)}
    hours = {"networking": (time(18, 0), timedelta(hours=2)), "seminar": (time(10, 0), timedelta(hours=6)),
             "series": (time(17, 0), timedelta(hours=2, minutes=30))}
    for i, (kind, count) in enumerate(zip(kinds, n_sessions)):
        eid = event_ids[i]
        is_today = i in today_idx
        at, length = hours[kind]
        if is_today:
            # One session of this event runs now: started a few minutes ago,
            # so that the whole benchmark falls in its check-in window.
            j = rng.randrange(count)
            first_day = today - interval[kind] * j
        else:
            j = None
            first_day = today + timedelta(days=rng.randint(-sizes.past_days, sizes.future_days))
            if first_day == today:
                first_day += timedelta(days=1)
        starts = []
        for k in range(count):
            if k == j:
                start = now - timedelta(minutes=5 + today_idx.index(i))
                start = max(start, local_to_utc(today, time(0, 1)))
                starts.append((start, start + timedelta(hours=2, minutes=30)))
            else:
                day = first_day + interval[kind] * k
                if day == today:  # only the chosen sessions run today
                    day += timedelta(days=1)
                start = local_to_utc(day, at)
                starts.append((start, start + length))
        capacity = sizes.today_capacity if is_today else {
            "networking": rng.randint(40, 80), "seminar": rng.randint(20, 40), "series": rng.randint(15, 25)}[kind]
        limit = None if is_today or rng.random() < 0.7 else rng.randint(3, 6)
        created = min(starts[0][0], now) - timedelta(days=rng.randint(30, 90))
        title_topic = rng.choice(TOPICS)
        title = {"networking": f"Vernetzungstreffen {title_topic}",
                 "seminar": f"Seminar: {title_topic}",
                 "series": f"Weiterbildungsreihe {title_topic}"}[kind] + f" ({eid})"
        opens = None
        if starts[0][0] > now + timedelta(days=60) and rng.random() < 0.2:
            opens = now + timedelta(days=rng.randint(5, 30))  # registration not open yet
        events.append(dict(
            id=eid, kind=kind, title=title,
            description=("Austausch, Input und Zeit für Fragen. " * rng.randint(2, 6)).strip(),
            languages=["de"] + rng.sample(["en", "tr", "ar", "uk", "ru"], rng.randint(0, 2)),
            audience_note="Für Vorstände und Aktive aus MSOs" if rng.random() < 0.5 else None,
            visibility="members" if rng.random() < 0.2 else "public", status="published",
            capacity=capacity, org_seat_limit=limit, registration_opens_at=opens, registration_closes_at=None,
            cancellation_deadline_hours=24, waitlist_enabled=rng.random() < 0.9,
            certificate_threshold=75 if kind == "series" else None, created_by_id=staff_id,
            created_at=created, updated_at=created + timedelta(days=1)))
        recurrence = str(uuid.UUID(int=rng.getrandbits(128))) if count > 1 and kind != "seminar" else None
        own_sessions = []
        for k, (start, end) in enumerate(starts):
            session_id += 1
            venue = None if rng.random() < 0.1 else rng.choice(venues)["id"]
            sessions.append(dict(id=session_id, event_id=eid, starts_at=start, ends_at=end, venue_id=venue,
                                 online_url=None if venue else "https://meet.example.org/bench",
                                 status="scheduled", sequence=0, recurrence_id=recurrence))
            own_sessions.append((session_id, start, end, k == j))
            if kind != "series":
                slot_id += 1
                slots.append(dict(id=slot_id, event_id=eid, session_id=session_id, capacity=capacity,
                                  confirmed_count=0))
                slot_info[slot_id] = dict(event=eid, start=start, capacity=capacity, limit=limit,
                                          sessions=[own_sessions[-1]], today=k == j, opens=opens,
                                          waitlist=events[-1]["waitlist_enabled"])
        if kind == "series":
            slot_id += 1
            slots.append(dict(id=slot_id, event_id=eid, session_id=None, capacity=capacity, confirmed_count=0))
            slot_info[slot_id] = dict(event=eid, start=starts[0][0], capacity=capacity, limit=limit,
                                      sessions=own_sessions, today=is_today, opens=opens,
                                      waitlist=events[-1]["waitlist_enabled"])
    _bulk(Event, events)
    _bulk(EventSession, sessions)

    # --- registrations ------------------------------------------------------------------
    today_slots = [s for s, info in slot_info.items() if info["today"]]
    other_slots = [s for s in slot_info if s not in today_slots]
    plan = {}  # slot id -> [confirmed, waitlisted, cancelled]
    for s in today_slots:
        plan[s] = [min(sizes.today_confirmed, slot_info[s]["capacity"]), 0, 3]
    for s in other_slots:
        cap = slot_info[s]["capacity"]
        if rng.random() < 0.1 and slot_info[s]["waitlist"]:
            plan[s] = [cap, rng.randint(2, 6), rng.randint(0, 2)]
        else:
            plan[s] = [int(cap * rng.uniform(0.15, 0.85)), 0, 1 if rng.random() < 0.3 else 0]
    total = sum(sum(p) for p in plan.values())
    adjustable = [s for s in other_slots if plan[s][1] == 0]
    while total != sizes.registrations:
        s = rng.choice(adjustable)
        if total < sizes.registrations and plan[s][0] < slot_info[s]["capacity"] - 1:
            plan[s][0] += 1
            total += 1
        elif total > sizes.registrations and plan[s][0] > 1:
            plan[s][0] -= 1
            total -= 1

    tokens, codes = set(), set()
    registrations, org_seats, attendances = [], [], []
    active = set()            # (slot id, user id)
    org_count = {}            # (slot id, org id) -> confirmed
    reg_id = att_id = 0
    tickets = []              # (session id, token) for today's sessions
    reps = {m["user_id"] for m in memberships if m["role"] == "representative"}
    rep_of_org = {}
    for m in memberships:
        if m["role"] == "representative":
            rep_of_org.setdefault(m["organisation_id"], m["user_id"])
    for s in sorted(plan):
        info = slot_info[s]
        confirmed, waiting, cancelled = plan[s]
        start = info["start"]
        people = rng.sample(member_ids, min(len(member_ids), confirmed + waiting + cancelled + 80))
        chosen = []  # (user, status)
        wanted = {"confirmed": confirmed, "waitlisted": waiting, "cancelled": cancelled}
        for uid in people:
            status = next((st for st in ("confirmed", "waitlisted", "cancelled") if wanted[st]), None)
            if status is None:
                break
            key = (s, org_of[uid])
            if status == "confirmed" and info["limit"] and org_count.get(key, 0) >= info["limit"]:
                continue  # this MSO has used its seats in this slot: take someone else
            chosen.append((uid, status))
            wanted[status] -= 1
            if status == "confirmed":
                org_count[key] = org_count.get(key, 0) + 1
        for uid, status in chosen:
            reg_id += 1
            latest = min(start, now) - timedelta(minutes=30)
            created = latest - timedelta(days=rng.uniform(0, 40))
            by_rep = rep_of_org.get(org_of[uid]) if rng.random() < 0.05 and uid not in reps else None
            row = dict(id=reg_id, slot_id=s, event_id=info["event"], user_id=uid, organisation_id=org_of[uid],
                       status=status, registered_by_id=by_rep, created_at=created,
                       confirmed_at=created if status != "waitlisted" else None,
                       cancelled_at=None, cancelled_by_id=None,
                       ticket_token=_token(tokens), ticket_code=_code(rng, codes))
            if status == "cancelled":
                row["cancelled_at"] = min(created + timedelta(hours=rng.randint(1, 72)), now)
                row["cancelled_by_id"] = uid
            else:
                active.add((s, uid))
            registrations.append(row)
            if status != "confirmed":
                continue
            for sid, s_start, s_end, is_today in info["sessions"]:
                if is_today:
                    tickets.append((sid, row["ticket_token"]))
                elif s_end < now and rng.random() < 0.75:
                    att_id += 1
                    at = s_start + timedelta(minutes=rng.randint(-10, 25))
                    attendances.append(dict(id=att_id, registration_id=reg_id, session_id=sid, checked_in_at=at,
                                            recorded_at=at, checked_in_by_id=door_id, method="scan",
                                            client_ref=None))
    confirmed_per_slot = {}
    for r in registrations:
        if r["status"] == "confirmed":
            confirmed_per_slot[r["slot_id"]] = confirmed_per_slot.get(r["slot_id"], 0) + 1
    for row in slots:
        row["confirmed_count"] = confirmed_per_slot.get(row["id"], 0)
    _bulk(Slot, slots)
    for (s, oid), n in sorted(org_count.items()):
        if slot_info[s]["limit"]:
            org_seats.append(dict(slot_id=s, organisation_id=oid, seat_limit=slot_info[s]["limit"],
                                  confirmed_count=n))
    _bulk(Registration, registrations)
    _bulk(SlotOrgSeats, org_seats)
    _bulk(Attendance, attendances)

    # --- door staff: the door account for the events of the next two weeks, staff for today's
    soon = {info["event"] for info in slot_info.values()
            if now - timedelta(days=1) <= info["start"] <= now + timedelta(days=14) or info["today"]}
    door_rows = [dict(event_id=e, user_id=door_id, created_at=now - timedelta(days=2)) for e in sorted(soon)]
    door_rows += [dict(event_id=event_ids[i], user_id=staff_id, created_at=now - timedelta(days=2))
                  for i in sorted(today_idx)]
    _bulk(DoorAssignment, door_rows)

    # --- what the load generator will send ------------------------------------------------
    pairs = _register_pairs(rng, slot_info, plan, active, org_count, member_ids, org_of, now, n_pairs)
    rng.shuffle(tickets)
    # Interleave today's sessions, so that consecutive scans go to different doors.
    by_session: dict[int, list[str]] = {}
    for sid, token in tickets:
        by_session.setdefault(sid, []).append(token)
    interleaved = []
    while any(by_session.values()):
        for sid in sorted(by_session):
            if by_session[sid]:
                interleaved.append((sid, by_session[sid].pop()))
    with_regs = sorted({r["user_id"] for r in registrations if r["status"] == "confirmed"})
    feed_users = {u["id"]: u["feed_token"] for u in users}
    rng.shuffle(with_regs)
    ids = list(event_ids)
    rng.shuffle(ids)
    today_sessions = sorted({sid for sid, _t in tickets})
    return Fixture(
        staff=(staff_id, 1), door=(door_id, 1),
        members=[(uid, 1, org_of[uid]) for uid in member_ids], event_ids=ids,
        today_session_ids=today_sessions, register_pairs=pairs, tickets=interleaved,
        feed_tokens=[feed_users[u] for u in with_regs])


def _register_pairs(rng, slot_info, plan, active, org_count, member_ids, org_of, now, n_pairs):
    """(user, org, event, slot) for registration requests: future slots open for
    registration, each person not yet registered there; consecutive entries
    are different people. Mostly slots with a free seat (they confirm), and
    where none is left the waiting list, as in real life."""
    open_slots = [s for s, info in slot_info.items()
                  if info["start"] > now + timedelta(days=2) and not info["today"]
                  and (info["opens"] is None or info["opens"] <= now)]
    free = {s: slot_info[s]["capacity"] - plan[s][0] for s in open_slots}
    orgs = dict(org_count)
    taken = set(active)
    pairs = []
    users = list(member_ids)
    while len(pairs) < n_pairs:
        rng.shuffle(users)
        progress = False
        for uid in users:
            if len(pairs) >= n_pairs:
                break
            oid = org_of[uid]
            choice = None
            for _ in range(12):
                s = rng.choice(open_slots)
                if (s, uid) in taken:
                    continue
                limit = slot_info[s]["limit"]
                if free[s] > 0 and not (limit and orgs.get((s, oid), 0) >= limit):
                    choice = s
                    break
                if choice is None and slot_info[s]["waitlist"]:
                    choice = s  # full: keep as a fallback (waiting list)
            if choice is None:
                continue
            taken.add((choice, uid))
            limit = slot_info[choice]["limit"]
            if free[choice] > 0 and not (limit and orgs.get((choice, oid), 0) >= limit):
                free[choice] -= 1
                if limit:
                    orgs[(choice, oid)] = orgs.get((choice, oid), 0) + 1
            pairs.append((uid, oid, slot_info[choice]["event"], choice))
            progress = True
        if not progress:
            break
    return pairs
