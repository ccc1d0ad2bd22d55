"""Profile one request of a benchmarked endpoint in-process, against a
database the benchmark built (``bench/run.py --keep`` keeps the SQLite file;
the PostgreSQL database ``miado_bench`` stays until the next run).

    python bench/profile_request.py --db sqlite:////tmp/miado-bench-…/sqlite/bench.sqlite3 calendar
    python bench/profile_request.py --db "$(PG_TEST_DB=miado_bench bash .ci/postgres url)" event --top 30

For each endpoint: the number of SQL statements and their total time, the
slowest statements, and cProfile's top functions (by own time or by
cumulative time) of one request, after three requests that warm the caches,
then the median time of a few more requests without the profiler.
Writes change the database (a registration, a check-in), as the benchmark does.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import run as bench

ENDPOINTS = ["calendar", "event", "register", "checkin", "feed", "dashboard"]
WARM = 3  # requests before the profiled one
# Door-sync refs unique to this run: a ref seen before is answered from the
# door ledger (a replay), which would profile the replay instead of a check-in.
RUN = f"{int(time.time())}-{os.getpid()}"


def _pick(app):
    """Ids for one request of each kind, read from the benchmark's database."""
    from datetime import datetime, timedelta

    from sqlalchemy import bindparam, text

    from miado_events.database import UTCDateTime, utcnow
    from miado_events.extensions import db

    def q(sql, **params):
        stmt = text(sql).bindparams(*(bindparam(k, type_=UTCDateTime()) for k, v in params.items()
                                      if isinstance(v, datetime)))
        return db.session.execute(stmt, params).all()

    with app.app_context():
        staff = q("SELECT id, auth_version FROM users WHERE role = 'staff' ORDER BY id LIMIT 1")[0]
        event_ids = [r[0] for r in q("SELECT id FROM events WHERE status = 'published' ORDER BY id LIMIT 50")]
        feed = q("SELECT u.feed_token FROM users u JOIN registrations r ON r.user_id = u.id "
                 "WHERE r.status = 'confirmed' GROUP BY u.id, u.feed_token ORDER BY COUNT(*) DESC LIMIT 50")
        now = utcnow()
        # Members and future slots of their MSO-compatible events they are not registered for.
        candidates = q(
            "SELECT m.user_id, m.organisation_id, s.event_id, s.id FROM memberships m "
            "JOIN registration_slots s ON s.confirmed_count < s.capacity "
            "JOIN events e ON e.id = s.event_id AND e.registration_opens_at IS NULL "
            "LEFT JOIN event_sessions es ON es.id = s.session_id "
            "WHERE (es.starts_at > :now OR (s.session_id IS NULL AND (SELECT MIN(starts_at) FROM event_sessions "
            "x WHERE x.event_id = s.event_id) > :now)) AND NOT EXISTS (SELECT 1 FROM registrations r "
            "WHERE r.slot_id = s.id AND r.user_id = m.user_id AND r.status IN ('confirmed', 'waitlisted')) "
            "AND (e.org_seat_limit IS NULL) ORDER BY (m.user_id * 31 + s.id * 17) % 997, m.user_id LIMIT 400",
            now=now)
        # each request a different person and a different slot
        people, places = set(), set()
        candidates = [c for c in candidates
                      if not (c[0] in people or c[3] in places or people.add(c[0]) or places.add(c[3]))]
        tickets = q(
            "SELECT es.id, r.ticket_token FROM registrations r JOIN registration_slots s ON s.id = r.slot_id "
            "JOIN event_sessions es ON es.event_id = s.event_id AND (s.session_id IS NULL OR s.session_id = es.id) "
            "WHERE r.status = 'confirmed' AND es.starts_at <= :soon AND es.ends_at >= :now "
            "AND NOT EXISTS (SELECT 1 FROM attendances a WHERE a.registration_id = r.id AND a.session_id = es.id) "
            "ORDER BY r.id DESC LIMIT 60", now=now, soon=now + timedelta(minutes=60))
    return staff, event_ids, feed, candidates, tickets


def _headers(client, kw: dict) -> dict:
    """The test client keeps cookies in its own jar: move the Cookie header there."""
    headers = {"User-Agent": bench.USER_AGENT, **kw.pop("headers", {})}
    client._cookies.clear()
    cookie = headers.pop("Cookie", None)
    if cookie:
        name, value = cookie.split("=", 1)
        client.set_cookie(name, value)
    return headers


class SqlCounter:
    def __init__(self, engine):
        from sqlalchemy import event

        self.statements = []
        self._start = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info.setdefault("t0", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, params, context, executemany):
        t0 = conn.info["t0"].pop()
        self.statements.append((time.perf_counter() - t0, " ".join(statement.split())))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="the benchmark database's URL")
    parser.add_argument("endpoints", nargs="*", default=ENDPOINTS, help=", ".join(ENDPOINTS))
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--sort", default="tottime", help="cProfile sort key (tottime, cumulative)")
    parser.add_argument("--statements", action="store_true",
                        help="print every SQL statement of the profiled request, in order")
    parser.add_argument("--repeat", type=int, default=15,
                        help="time this many further requests without the profiler (median, fastest)")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    env = bench.app_env(args.db, 5000)
    app = bench.make_app(env)
    creds = bench.Credentials(app)
    staff, event_ids, feed, candidates, tickets = _pick(app)
    staff_cookie, staff_csrf = creds.for_user(*staff)
    from miado_events.checkin import tickets as signing
    from miado_events.extensions import db

    with app.app_context():
        counter = SqlCounter(db.engine)
        urls = [f"http://127.0.0.1:5000/t/{tok}.{signing.sign(tok)}" for _sid, tok in tickets]

    def request_for(endpoint: str, n: int):
        """(method, path, kwargs) of the n-th request (0: warm-up, 1: profiled)."""
        if endpoint == "calendar":
            return "GET", "/calendar", {}
        if endpoint == "event":
            return "GET", f"/events/{event_ids[n]}", {}
        if endpoint == "feed":
            return "GET", f"/feeds/me/{feed[n][0]}.ics", {}
        if endpoint == "dashboard":
            return "GET", "/staff/", {"headers": {"Cookie": staff_cookie}}
        if endpoint == "register":
            uid, org, event_id, slot_id = candidates[n]
            cookie, csrf = creds.for_user(uid, 1)
            return "POST", f"/events/{event_id}/slots/{slot_id}/register", {
                "headers": {"Cookie": cookie}, "data": {"csrf_token": csrf, "organisation_id": str(org)}}
        if endpoint == "checkin":
            sid = tickets[n][0]
            return "POST", f"/door/api/sessions/{sid}/sync", {
                "headers": {"Cookie": staff_cookie, "X-CSRFToken": staff_csrf},
                "data": json.dumps({"items": [{"ref": f"profile-{RUN}-{n}", "scan": urls[n]}]}),
                "content_type": "application/json"}
        raise SystemExit(f"unknown endpoint {endpoint}")

    client = app.test_client()
    for endpoint in args.endpoints:
        if endpoint == "register" and len(candidates) <= WARM or endpoint == "checkin" and len(tickets) <= WARM:
            print(f"\n== {endpoint}: nothing left to use in this database; skipped")
            continue
        for n in range(WARM):  # fill the statement cache, load templates and translations
            method, path, kw = request_for(endpoint, n)
            headers = _headers(client, kw)
            client.open(path, method=method, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}, **kw)
        method, path, kw = request_for(endpoint, WARM)
        headers = _headers(client, kw)
        counter.statements.clear()
        profiler = cProfile.Profile()
        t0 = time.perf_counter()
        profiler.enable()
        response = client.open(path, method=method, headers=headers,
                               environ_base={"REMOTE_ADDR": "127.0.0.1"}, **kw)
        profiler.disable()
        wall = (time.perf_counter() - t0) * 1000
        sql_ms = sum(t for t, _s in counter.statements) * 1000
        print(f"\n== {endpoint}: {method} {path} -> {response.status_code}, {len(response.data)} bytes, "
              f"{wall:.1f} ms under the profiler; {len(counter.statements)} SQL statements, {sql_ms:.1f} ms in SQL")
        if response.status_code >= 400 or (endpoint == "checkin" and b"checked_in" not in response.data):
            print(response.data[:500])
        if args.statements:
            for t, stmt in counter.statements:
                print(f"   {t * 1000:7.2f} ms  {stmt[:160]}")
            print()
        slowest = sorted(counter.statements, reverse=True)[:5]
        for t, stmt in slowest:
            print(f"   {t * 1000:7.2f} ms  {stmt[:160]}")
        repeated = {}
        for _t, stmt in counter.statements:
            repeated[stmt] = repeated.get(stmt, 0) + 1
        for stmt, n in sorted(repeated.items(), key=lambda kv: -kv[1])[:3]:
            if n > 1:
                print(f"   {n:4d}×  {stmt[:160]}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        print("\n".join(out.getvalue().splitlines()[4:]))
        times = []
        for n in range(WARM + 1, WARM + 1 + args.repeat):
            try:
                method, path, kw = request_for(endpoint, n)
            except IndexError:
                break
            headers = _headers(client, kw)
            t0 = time.perf_counter()
            client.open(path, method=method, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}, **kw)
            times.append((time.perf_counter() - t0) * 1000)
        if times:
            times.sort()
            print(f"   without the profiler, {len(times)} requests: median {times[len(times) // 2]:.1f} ms, "
                  f"fastest {times[0]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
