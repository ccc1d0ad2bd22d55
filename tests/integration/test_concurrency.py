"""Seats under real concurrency: the app runs in gunicorn (a separate process,
several workers and threads) on the test database, and hundreds of people
register or cancel at the same moment over HTTP.

Acceptance criterion (on SQLite and on PostgreSQL): never overbooked. 200+
concurrent registrations from distinct people for a 20-seat event with a
seat limit of 3 per MSO give exactly 20 confirmed, no MSO above 3, everyone
else on the waiting list with unique, gap-free positions, and no 5xx.
Concurrent cancellations give each freed seat to exactly one waiting person.

The data is written straight into the database the server uses; the server
gets the same database URI, mail in memory, no rate limits and CSRF on (the
client reads tokens from the forms like a browser). The client is the
standard library (http.client): one cookie jar per person, redirects not
followed, so a 302 is the normal answer.

A stress test finds a race only when the timing happens to be bad; the last
three tests replay, step by step in threads, the interleavings that once
broke the seat counters (a waiting person leaving while being promoted; a
registration and a cancellation at the same moment).
"""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import time as clock
from datetime import timedelta
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from miado_events.accounts.passwords import hash_password
from miado_events.database import utcnow
from miado_events.events import services
from miado_events.events.registration import register_participant, waitlist_position
from miado_events.models.accounts import Role, User
from miado_events.models.events import Registration, Slot, SlotOrgSeats
from miado_events.models.mail import OutboxMessage
from miado_events.models.orgs import Membership, Organisation
from miado_events.privacy import services as privacy
from miado_events.timeutil import to_local

from ..conftest import PASSWORD

ROOT_DIR = Path(__file__).resolve().parents[2]

SEATS = 20
ORG_LIMIT = 3
ORGS = 12
REGISTRANTS = 220
STAFF_ENTRIES = 12          # taken by staff on the phone at the same moment (name only)
GUEST_ENTRIES = 12          # guests without an account, from the event page (one per MSO)

WORKERS = 4
THREADS = 4
LOGIN_POOL = 16           # parallel log-ins while preparing the browsers
HTTP_TIMEOUT = 60         # seconds, per request
BOOT_TIMEOUT = 60         # seconds until every worker has loaded the app


# --- the server: gunicorn in its own process group ---------------------------------


@dataclass
class Server:
    host: str
    port: int
    log_path: Path

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _stop(proc: subprocess.Popen) -> None:
    """Kill the whole process group (master and workers) at once: the checks
    are done, nothing needs a graceful shutdown, and it takes no seconds."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)


@contextlib.contextmanager
def running_server(app, folder: Path):
    """gunicorn serving the app on the test database (``app`` has already built
    the schema). The listening socket is bound here and handed over, so there
    is no race for a free port; waits until every worker has loaded the app,
    and stops the whole process group on exit, also on failure."""
    folder.mkdir()
    ready_dir = folder / "gunicorn-ready"
    ready_dir.mkdir()
    log_path = folder / "gunicorn.log"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    host, port = sock.getsockname()
    env = dict(
        os.environ,  # includes the cheap ARGON2_* settings of tests/conftest.py
        MIADO_CONCURRENCY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        MIADO_CONCURRENCY_READY_DIR=str(ready_dir),
        SECRET_KEY=app.config["SECRET_KEY"],
        # The server asks for the same privacy notice version the test users agreed to.
        PRIVACY_NOTICE_VERSION=app.config["PRIVACY_NOTICE_VERSION"],
        PYTHONUNBUFFERED="1",
    )
    command = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:tests.integration.concurrency_app",
        "--bind", f"fd://{sock.fileno()}",
        "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS),
        "--timeout", "120", "--graceful-timeout", "5",
        "--log-level", "info", "--error-logfile", "-",
        "tests.integration.concurrency_app:make_app()",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                pass_fds=(sock.fileno(),), start_new_session=True)
    sock.close()  # gunicorn has its own copy
    server = Server(host, port, log_path)
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while len(list(ready_dir.iterdir())) < WORKERS:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn workers not ready after {BOOT_TIMEOUT}s:\n{server.log_tail()}")
            time.sleep(0.05)
        health = Browser(server).get("/healthz")
        assert health.status == 200, health.text
        yield server
    finally:
        _stop(proc)


@pytest.fixture
def server(app, tmp_path):
    with running_server(app, tmp_path / "server") as running:
        yield running


@pytest.fixture
def two_servers(app, tmp_path):
    """Two separate gunicorn instances (two masters, separate worker pools)
    on the same database, as two app servers behind a load balancer."""
    with running_server(app, tmp_path / "server-a") as first, running_server(app, tmp_path / "server-b") as second:
        yield first, second


# --- a browser: own cookies, no redirects followed ----------------------------------


@dataclass
class Response:
    status: int
    location: str
    text: str


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Browser:
    server: Server
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Accept-Language": "en", "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=HTTP_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            for header in resp.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return Response(resp.status, resp.headers.get("Location", ""), text)
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def csrf_token(self, path: str) -> str:
        page = self.get(path)
        assert page.status == 200, (path, page.status, page.text[:500])
        match = CSRF_RE.search(page.text)
        assert match, f"no csrf_token on {path}"
        return unescape(match.group(1))

    def log_in(self, email: str) -> str:
        """Log in through the form; returns the session's CSRF token."""
        token = self.csrf_token("/login")
        response = self.post("/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        assert response.status == 302, (email, response.status, response.text[:500])
        return token


def log_in_all(server: Server, emails: list[str]) -> list[tuple[Browser, str]]:
    def one(email):
        browser = Browser(server)
        return browser, browser.log_in(email)

    with ThreadPoolExecutor(max_workers=LOGIN_POOL) as pool:
        return list(pool.map(one, emails))


def fire_together(actions) -> list[Response]:
    """Run every action in its own thread; a barrier releases them all at once."""
    barrier = threading.Barrier(len(actions))

    def run(action):
        barrier.wait(timeout=60)
        try:
            return action()
        except Exception as exc:  # a dropped connection counts as a failure
            return Response(599, "", f"client error: {exc!r}")

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def assert_no_server_errors(server: Server, responses: list[Response], expected_location: str) -> None:
    failed = [(r.status, r.text[:300]) for r in responses if r.status >= 500]
    assert not failed, f"{len(failed)} of {len(responses)} requests failed: {failed[:3]}\n" \
                       f"server log:\n{server.log_tail()}"
    unexpected = [(r.status, r.location) for r in responses
                  if r.status != 302 or not r.location.endswith(expected_location)]
    assert not unexpected, unexpected[:5]


# --- the data, written straight into the server's database --------------------------


@dataclass
class Person:
    user_id: int
    email: str
    org_id: int


@dataclass
class World:
    event_id: int
    slot_id: int
    people: list[Person]


def build_world(db, people_per_org: list[int]) -> World:
    """Listed MSOs with ``people_per_org[k]`` verified active members each, and
    one published seminar (20 seats, at most 3 per MSO, waiting list) with one
    session in a month. Every password hash is made with the suite's cheap
    Argon2 settings, which the server inherits."""
    now = utcnow()
    password_hash = hash_password(PASSWORD)
    staff = User(email="staff@example.org", name="Staff Person", role=Role.STAFF.value, locale="en",
                 password_hash=password_hash, email_verified_at=now)
    # Everyone has agreed to the current privacy notice, as at sign-up (else
    # every page sends them to /account/privacy-notice first).
    privacy.record_consent(staff, now=now)
    db.session.add(staff)
    members = []
    for k, count in enumerate(people_per_org):
        org = Organisation(name=f"MSO {k:02d}", legal_form="ev", status="listed")
        db.session.add(org)
        for i in range(count):
            user = User(email=f"m{k:02d}-{i:03d}@example.org", name=f"Member {k}-{i}",
                        role=Role.MEMBER.value, locale="en", password_hash=password_hash,
                        email_verified_at=now)
            privacy.record_consent(user, now=now)
            db.session.add(Membership(organisation=org, user=user, role="member", status="active"))
            members.append((user, org))
    db.session.flush()

    event = services.create_event(staff, services.EventData(
        kind="seminar", title="Vereinsrecht kompakt", capacity=SEATS, org_seat_limit=ORG_LIMIT,
        waitlist_enabled=True, cancellation_deadline_hours=24))
    services.add_session(staff, event, services.SessionData(
        day=to_local(now).date() + timedelta(days=30), start=clock(10, 0), end=clock(13, 0),
        online_url="https://meet.example.org/vereinsrecht"))
    services.publish_event(staff, event)
    db.session.commit()
    (slot,) = event.slots
    world = World(event.id, slot.id, [Person(u.id, u.email, o.id) for u, o in members])
    db.session.remove()
    return world


def register_in_order(db, slot_id: int, people: list[Person]) -> None:
    """Register ``people`` one after another through the service (committed)."""
    slot = db.session.get(Slot, slot_id)
    for person in people:
        user = db.session.get(User, person.user_id)
        register_participant(user, user, slot, db.session.get(Organisation, person.org_id))
    db.session.commit()
    db.session.remove()


# --- reading the outcome -------------------------------------------------------------


@dataclass
class SeatState:
    registrations: list[Registration]
    slot_counter: int
    org_counters: dict[int, int]

    def with_status(self, status: str) -> list[Registration]:
        return [r for r in self.registrations if r.status == status]

    @property
    def confirmed(self) -> list[Registration]:
        return self.with_status("confirmed")

    @property
    def waitlisted(self) -> list[Registration]:
        return self.with_status("waitlisted")

    def confirmed_per_org(self) -> Counter:
        return Counter(r.organisation_id for r in self.confirmed)


def seat_state(db, slot_id: int) -> SeatState:
    db.session.remove()  # fresh session: nothing cached from before the requests
    registrations = list(db.session.scalars(
        select(Registration).where(Registration.slot_id == slot_id).order_by(Registration.id)))
    slot = db.session.get(Slot, slot_id)
    org_counters = {row.organisation_id: row.confirmed_count for row in db.session.scalars(
        select(SlotOrgSeats).where(SlotOrgSeats.slot_id == slot_id))}
    return SeatState(registrations, slot.confirmed_count, org_counters)


def assert_counters_match(state: SeatState) -> None:
    per_org = state.confirmed_per_org()
    assert state.slot_counter == len(state.confirmed), \
        f"slot counter {state.slot_counter}, confirmed registrations {len(state.confirmed)}"
    for org_id in set(per_org) | set(state.org_counters):
        assert state.org_counters.get(org_id, 0) == per_org.get(org_id, 0), \
            f"MSO {org_id}: counter {state.org_counters.get(org_id, 0)}, confirmed {per_org.get(org_id, 0)}"
    assert max(per_org.values(), default=0) <= ORG_LIMIT, per_org


def assert_gap_free_waitlist(state: SeatState) -> None:
    positions = sorted(waitlist_position(r) for r in state.waitlisted)
    assert positions == list(range(1, len(state.waitlisted) + 1)), positions


# --- the tests -----------------------------------------------------------------------


def test_concurrent_registrations_never_overbook(app, db, server):
    """220 people from 12 MSOs register for 20 seats at the same moment, while
    staff enter 12 more by name on the phone (one per MSO, no e-mail address)
    and 12 guests without an account register from the event page (one per
    MSO; one of them sends the form twice at once)."""
    per_org = [REGISTRANTS // ORGS + (1 if k < REGISTRANTS % ORGS else 0) for k in range(ORGS)]
    world = build_world(db, per_org)
    people = world.people
    assert len(people) == REGISTRANTS

    started = time.monotonic()
    browsers = log_in_all(server, [p.email for p in people])
    staff_browser, staff_token = log_in_all(server, ["staff@example.org"])[0]
    guest_url = f"/events/{world.event_id}/slots/{world.slot_id}/guest"
    # One anonymous browser per guest; the last guest sends the form twice at
    # once from a second browser (same address: one registration).
    guest_browsers = [Browser(server) for _ in range(GUEST_ENTRIES + 1)]
    guest_tokens = [b.csrf_token(guest_url) for b in guest_browsers]
    logged_in = time.monotonic()
    register_url = f"/events/{world.event_id}/slots/{world.slot_id}/register"
    staff_url = f"/staff/events/{world.event_id}/registrations/add"
    org_ids = sorted({p.org_id for p in people})

    def registration(browser: Browser, token: str, person: Person):
        return lambda: browser.post(register_url, {"csrf_token": token,
                                                   "organisation_id": str(person.org_id)})

    def staff_entry(n: int):
        return lambda: staff_browser.post(staff_url, {
            "csrf_token": staff_token, "name": f"Phone Person {n:02d}", "slot_id": str(world.slot_id),
            "organisation_id": str(org_ids[n % len(org_ids)]), "locale": "en"})

    actions = [registration(b, t, p) for (b, t), p in zip(browsers, people)]
    actions += [staff_entry(n) for n in range(STAFF_ENTRIES)]

    def guest_entry(n: int):
        k = min(n, GUEST_ENTRIES - 1)
        return lambda: guest_browsers[n].post(guest_url, {
            "csrf_token": guest_tokens[n], "name": f"Guest {k:02d}", "email": f"guest{k:02d}@example.org",
            "organisation_id": str(org_ids[k % len(org_ids)]), "privacy_consent": "y"})

    actions += [guest_entry(n) for n in range(GUEST_ENTRIES + 1)]
    responses = fire_together(actions)
    fired = time.monotonic()
    print(f"\n{REGISTRANTS} log-ins {logged_in - started:.1f}s, "
          f"{len(actions)} concurrent registrations {fired - logged_in:.1f}s")

    assert_no_server_errors(server, responses[:REGISTRANTS], f"/events/{world.event_id}")
    staff_answers = responses[REGISTRANTS:REGISTRANTS + STAFF_ENTRIES]
    assert all(r.status == 302 and "#added" in r.location for r in staff_answers), \
        [(r.status, r.location, r.text[:200]) for r in staff_answers if r.status != 302][:3]
    # Guests: back to the event page; of the two forms with one address, one is
    # refused with a message (400), never a 5xx.
    guest_answers = responses[REGISTRANTS + STAFF_ENTRIES:]
    assert_no_server_errors(server, guest_answers[:GUEST_ENTRIES - 1], f"/events/{world.event_id}")
    assert sorted(r.status for r in guest_answers[GUEST_ENTRIES - 1:]) == [302, 400], \
        [(r.status, r.text[:200]) for r in guest_answers[GUEST_ENTRIES - 1:]]

    state = seat_state(db, world.slot_id)
    assert len(state.confirmed) == SEATS
    assert_counters_match(state)  # includes: no MSO above its limit
    # Everyone registered exactly once: a seat or a place on the waiting list;
    # the staff entries are new people, each counted against their MSO.
    org_of = {p.user_id: p.org_id for p in people}
    members = [r for r in state.registrations if r.user_id in org_of]
    by_hand = [r for r in state.registrations if r.user_id not in org_of and r.registered_by_id is not None]
    guests = [r for r in state.registrations if r.user_id not in org_of and r.registered_by_id is None]
    assert len(guests) == GUEST_ENTRIES  # one registration per address
    assert sorted(r.organisation_id for r in guests) == sorted(org_ids[k % len(org_ids)]
                                                             for k in range(GUEST_ENTRIES))
    assert sorted(r.user_id for r in members) == sorted(p.user_id for p in people)
    assert len(by_hand) == STAFF_ENTRIES and all(r.registered_by_id is not None for r in by_hand)
    assert sorted(r.organisation_id for r in by_hand) == sorted(org_ids[n % len(org_ids)]
                                                              for n in range(STAFF_ENTRIES))
    assert len(state.waitlisted) == REGISTRANTS + STAFF_ENTRIES + GUEST_ENTRIES - SEATS
    assert not state.with_status("cancelled")
    assert all(r.organisation_id == org_of[r.user_id] for r in members)
    assert_gap_free_waitlist(state)


def test_two_app_instances_never_overbook_and_queue_each_mail_once(app, db, two_servers):
    """The same rush, split over two gunicorn instances sharing the database:
    still exactly 20 seats, no MSO above its limit, and one e-mail per person,
    queued once and sent once (each instance delivers what it queued)."""
    per_org = [REGISTRANTS // ORGS + (1 if k < REGISTRANTS % ORGS else 0) for k in range(ORGS)]
    world = build_world(db, per_org)
    people = world.people
    first, second = two_servers
    halves = [people[0::2], people[1::2]]
    browsers = log_in_all(first, [p.email for p in halves[0]]) + log_in_all(second, [p.email for p in halves[1]])
    ordered = halves[0] + halves[1]
    register_url = f"/events/{world.event_id}/slots/{world.slot_id}/register"

    def registration(browser: Browser, token: str, person: Person):
        return lambda: browser.post(register_url, {"csrf_token": token,
                                                   "organisation_id": str(person.org_id)})

    responses = fire_together([registration(b, t, p) for (b, t), p in zip(browsers, ordered)])
    for server in (first, second):
        assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log_tail()
    assert_no_server_errors(first, responses, f"/events/{world.event_id}")

    state = seat_state(db, world.slot_id)
    assert len(state.confirmed) == SEATS
    assert_counters_match(state)
    assert sorted(r.user_id for r in state.registrations) == sorted(p.user_id for p in people)
    assert_gap_free_waitlist(state)

    # Mail: exactly one message per person in the outbox, each delivered once
    # (by each instance's delivery thread, after the responses: wait for it).
    deadline = time.monotonic() + 60
    while True:
        db.session.remove()
        waiting = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "queued"))
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    db.session.remove()
    rows = db.session.execute(select(OutboxMessage.to_address, OutboxMessage.status, OutboxMessage.attempts)
                              .where(OutboxMessage.template.in_(("registration_confirmed",
                                                                 "registration_waitlisted")))).all()
    assert Counter(to for to, _, _ in rows) == Counter(p.email for p in people)
    assert {(status, attempts) for _, status, attempts in rows} == {("sent", 1)}


# Who holds the seats before the cancellations: MSOs 0-5 are at their limit
# (3 each), MSO 6 has 2. The waiting list alternates between people of those
# full MSOs (they may only move up once someone of their own MSO cancels) and
# people of MSOs 6-11.
FULL_ORGS = range(6)
WAITLIST_PATTERN = [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]
WAITING = 40


def serial_outcomes(registrations: list[Registration], cancelled_ids: list[int]) -> set[frozenset]:
    """Every set of confirmed registrations that the same cancellations give
    when run one after another, in any order: a cancelled seat goes to the
    first person on the waiting list whose MSO is below its limit. The
    concurrent run must end in one of these states."""
    org_of = {r.id: r.organisation_id for r in registrations}
    queue = [r.id for r in registrations]  # waiting-list order is id order
    start_confirmed = frozenset(r.id for r in registrations if r.status == "confirmed")
    start_cancelled = frozenset(r.id for r in registrations if r.status == "cancelled")

    def cancel(reg_id, confirmed, cancelled):
        was_confirmed = reg_id in confirmed
        confirmed, cancelled = set(confirmed - {reg_id}), cancelled | {reg_id}
        if was_confirmed:
            per_org = Counter(org_of[r] for r in confirmed)
            for candidate in queue:
                if len(confirmed) >= SEATS:
                    break
                if candidate in confirmed or candidate in cancelled:
                    continue
                if per_org[org_of[candidate]] < ORG_LIMIT:
                    confirmed.add(candidate)
                    per_org[org_of[candidate]] += 1
        return frozenset(confirmed), cancelled

    outcomes, seen = set(), set()
    stack = [(frozenset(cancelled_ids), start_confirmed, start_cancelled)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        remaining, confirmed, cancelled = state
        if not remaining:
            outcomes.add(confirmed)
        for reg_id in remaining:
            stack.append((remaining - {reg_id}, *cancel(reg_id, confirmed, cancelled)))
    return outcomes


def test_concurrent_cancellations_give_each_seat_to_one_waiting_person(app, db, server):
    """A full seminar with 40 people waiting: 10 confirmed people cancel and
    the first 3 people on the waiting list leave it, all at the same moment."""
    people_per_org = [3 + 4] * 6 + [2 + 4] + [4] * 5  # confirmed + waiting per MSO
    world = build_world(db, people_per_org)
    by_org: dict[int, list[Person]] = {}
    for person in world.people:
        by_org.setdefault(person.org_id, []).append(person)
    org_ids = sorted(by_org)
    seat_holders = [p for k in FULL_ORGS for p in by_org[org_ids[k]][:3]] + by_org[org_ids[6]][:2]
    later = {k: by_org[org_ids[k]][3 if k < 6 else (2 if k == 6 else 0):] for k in range(ORGS)}
    waiting = [later[k].pop(0) for _ in range(WAITING // len(WAITLIST_PATTERN) + 1)
               for k in WAITLIST_PATTERN if later[k]][:WAITING]
    assert len(seat_holders) == SEATS and len(waiting) == WAITING

    register_in_order(db, world.slot_id, seat_holders + waiting)
    before = seat_state(db, world.slot_id)
    assert len(before.confirmed) == SEATS and len(before.waitlisted) == WAITING
    assert_counters_match(before)
    reg_of = {r.user_id: r for r in before.registrations}

    # Who cancels: one seat of each full MSO, a second of MSOs 0 and 1, both of
    # MSO 6; and the first three people waiting, who are next in line.
    cancelling = ([seat_holders[3 * k] for k in FULL_ORGS] + [seat_holders[1], seat_holders[4]]
                  + seat_holders[18:20])
    leaving = waiting[:3]
    actors = cancelling + leaving
    target_ids = [reg_of[p.user_id].id for p in actors]

    started = time.monotonic()
    browsers = [browser for browser, _ in log_in_all(server, [p.email for p in actors])]
    # Each opens the confirmation page first (as people do) and takes its token.
    tokens = [b.csrf_token(f"/registrations/{rid}/cancel") for b, rid in zip(browsers, target_ids)]

    def cancellation(browser: Browser, token: str, reg_id: int):
        return lambda: browser.post(f"/registrations/{reg_id}/cancel", {"csrf_token": token})

    responses = fire_together([cancellation(b, t, rid)
                               for b, t, rid in zip(browsers, tokens, target_ids)])
    print(f"\n{len(actors)} concurrent cancellations {time.monotonic() - started:.1f}s "
          f"(with log-ins)")

    assert_no_server_errors(server, responses, "/my/registrations")

    after = seat_state(db, world.slot_id)
    status = {r.id: r.status for r in after.registrations}
    assert all(status[rid] == "cancelled" for rid in target_ids), \
        [(rid, status[rid]) for rid in target_ids]
    # Enough eligible people wait, so every freed seat is taken again ...
    assert len(after.confirmed) == SEATS
    assert_counters_match(after)
    # ... by exactly one person each (no double promotion: counters match;
    # no one skipped unless their MSO was at its limit: a serial order of
    # the same cancellations gives exactly this result).
    promoted = {r.id for r in after.confirmed} - {r.id for r in before.confirmed}
    assert len(promoted) == len(cancelling)
    assert frozenset(r.id for r in after.confirmed) in serial_outcomes(before.registrations, target_ids)
    assert_gap_free_waitlist(after)


# --- two requests in a chosen order (in-process, deterministic) ----------------------


def _seminar(db, seated: list[int], waiting: list[int],
             spare: int = 0) -> tuple[World, list[Person], list[Person]]:
    """A seminar where MSO k holds ``seated[k]`` seats and has ``waiting[k]``
    people on the waiting list (registered in that order, committed), plus
    ``spare`` members each who have not registered."""
    world = build_world(db, [s + w + spare for s, w in zip(seated, waiting)])
    by_org: dict[int, list[Person]] = {}
    for person in world.people:
        by_org.setdefault(person.org_id, []).append(person)
    groups = [by_org[org_id] for org_id in sorted(by_org)]
    holders = [p for group, n in zip(groups, seated) for p in group[:n]]
    queue = [p for group, n, w in zip(groups, seated, waiting) for p in group[n:n + w]]
    register_in_order(db, world.slot_id, holders + queue)
    return world, holders, queue


def _registration_of(db, person: Person) -> Registration:
    return db.session.scalar(select(Registration).where(Registration.user_id == person.user_id))


def test_leaving_the_waiting_list_while_being_promoted_frees_the_seat(app, db):
    """A waiting person opens "leave the waiting list" while still waiting;
    before they confirm, a seat is cancelled and given to them. Their
    cancellation must then give that seat on, not lose it."""
    from miado_events.events.registration import cancel_registration

    world, holders, queue = _seminar(db, seated=[3] * 6 + [2, 0], waiting=[0] * 7 + [2])
    first, second = queue
    with app.app_context():  # the leaver's request: the registration is read ...
        stale = _registration_of(db, first)
        assert stale.status == "waitlisted"
        with app.app_context():  # ... meanwhile another request cancels a seat
            seat = _registration_of(db, holders[0])
            cancel_registration(db.session.get(User, holders[0].user_id), seat)
            db.session.commit()
            assert _registration_of(db, first).status == "confirmed"
        cancel_registration(db.session.get(User, first.user_id), stale)  # ... then written
        db.session.commit()

    state = seat_state(db, world.slot_id)
    assert_counters_match(state)
    assert len(state.confirmed) == SEATS
    assert _registration_of(db, first).status == "cancelled"
    assert _registration_of(db, second).status == "confirmed"


class Request(threading.Thread):
    """One request in its own thread and app context (so its own database
    session and transaction), committed at the end; errors are kept."""

    def __init__(self, app, db, name, work):
        super().__init__(name=name, daemon=True)
        self.app, self.db, self.work, self.error = app, db, work, None

    def run(self):
        with self.app.app_context():
            try:
                self.work()
                self.db.session.commit()
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def wait_until_blocked_or_done(db, request: Request, timeout: float = 10.0) -> None:
    """Until ``request`` waits for a lock held by another transaction, or has
    finished. PostgreSQL shows lock waits in pg_stat_activity; an SQLite writer
    waits invisibly in its busy handler, so there we just give it time."""
    if db.engine.dialect.name != "postgresql":
        request.join(timeout=0.5)
        return
    from sqlalchemy import text

    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while request.is_alive() and time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)


def finish(*requests: Request) -> None:
    for request in requests:
        request.join(timeout=60)
        assert not request.is_alive(), f"{request.name} still running"
    errors = {r.name: r.error for r in requests if r.error}
    assert not errors, errors


def _register(db, person: Person, slot_id: int) -> None:
    user = db.session.get(User, person.user_id)
    register_participant(user, user, db.session.get(Slot, slot_id),
                         db.session.get(Organisation, person.org_id))


def _cancel(db, person: Person) -> None:
    from miado_events.events.registration import cancel_registration

    cancel_registration(db.session.get(User, person.user_id), _registration_of(db, person))


def test_registration_and_cancellation_in_one_mso_do_not_deadlock(app, db, monkeypatch):
    """In an event with free seats, one member of an MSO cancels while another
    registers. The cancellation is held just after it has taken the slot row;
    the registration runs until it waits. Both must then finish (on
    PostgreSQL: no deadlock between the slot row and the MSO's counter row)."""
    from miado_events.events import seats

    world, holders, _ = _seminar(db, seated=[2, 0], waiting=[0, 0], spare=1)
    leaving = holders[0]
    newcomer = [p for p in world.people if p.org_id == leaving.org_id][2]

    slot_taken, go_on = threading.Event(), threading.Event()
    change_org_count = seats._change_org_count

    def held_after_slot_row(slot, organisation_id, delta):
        if threading.current_thread().name == "cancel":
            slot_taken.set()
            go_on.wait(timeout=30)
        return change_org_count(slot, organisation_id, delta)

    monkeypatch.setattr(seats, "_change_org_count", held_after_slot_row)
    cancel = Request(app, db, "cancel", lambda: _cancel(db, leaving))
    register = Request(app, db, "register", lambda: _register(db, newcomer, world.slot_id))
    cancel.start()
    assert slot_taken.wait(timeout=30)
    register.start()
    wait_until_blocked_or_done(db, register)
    go_on.set()
    finish(cancel, register)

    state = seat_state(db, world.slot_id)
    assert_counters_match(state)
    assert _registration_of(db, leaving).status == "cancelled"
    assert _registration_of(db, newcomer).status == "confirmed"


def test_registering_while_a_seat_is_cancelled_gets_the_freed_seat(app, db):
    """The seminar is full and nobody waits. A seat is cancelled; while that
    transaction is still open, someone registers. Once both are done the
    newcomer has the seat: it must not stay free while they wait."""
    world, holders, _ = _seminar(db, seated=[3] * 6 + [2], waiting=[0] * 7, spare=1)
    leaving = holders[0]
    newcomer = [p for p in world.people if p.org_id == holders[-1].org_id][2]  # MSO with 2 seats

    cancelled, go_on = threading.Event(), threading.Event()

    def cancel_and_hold():
        _cancel(db, leaving)
        cancelled.set()
        go_on.wait(timeout=30)  # not committed yet

    cancel = Request(app, db, "cancel", cancel_and_hold)
    register = Request(app, db, "register", lambda: _register(db, newcomer, world.slot_id))
    cancel.start()
    assert cancelled.wait(timeout=30)
    register.start()
    wait_until_blocked_or_done(db, register)
    go_on.set()
    finish(cancel, register)

    state = seat_state(db, world.slot_id)
    assert_counters_match(state)
    assert _registration_of(db, newcomer).status == "confirmed"
    assert len(state.confirmed) == SEATS
