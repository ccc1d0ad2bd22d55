"""Many writers on PostgreSQL: do writes to different events wait on each other?

``.venv/bin/python bench/run.py --writers`` (or this file directly, see
``--help``). N writer processes (default 16) each register a person for
their *own* event and cancel again, as fast as they can, through the app's
services (register_participant / cancel_registration, one commit each, as
the request would). Meanwhile a sampler polls ``pg_locks`` joined with
``pg_stat_activity`` every 10 ms and counts the writers waiting for a row
lock (a transactionid or tuple lock) while running a statement on
``data_versions``: the page cache's version rows. Before #21 every write
transaction raised the one row ``data_versions('public')``, so unrelated
writers queued on it; with one row per event they should not.

Prints: writes committed, samples taken, samples with a writer waiting on a
``data_versions`` row, the longest convoy (most writers waiting in one
sample), and for comparison the samples with a writer waiting on any lock.

``--app-path DIR`` imports the app from another checkout (e.g. the code
before the change: ``git worktree add /tmp/old <commit>``), so both can be
measured with the same harness. ``--fresh`` empties the database's public
schema first and builds the schema of that app (``create_all``): use a
database of its own, never one that holds data.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
TICKET_SIGNING_KEY = "YmVuY2gtdGlja2V0LWtleS1ub3QtZm9yLXByb2QhISE="

#: Waiting for a row lock while running a statement on the version rows.
WAITING = """
SELECT a.query ILIKE '%%data_versions%%' AS on_versions, count(DISTINCT l.pid)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE NOT l.granted AND a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND l.locktype IN ('transactionid', 'tuple')
GROUP BY 1
"""


def _app(url: str, app_path: str):
    sys.path.insert(0, app_path)
    os.environ.update(SECRET_KEY=SECRET_KEY, TICKET_SIGNING_KEY=TICKET_SIGNING_KEY, DATABASE_URL=url,
                      MAIL_SEND_INLINE="false", RATELIMIT_ENABLED="false")
    from miado_events import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_SEND_INLINE": False, "RATELIMIT_ENABLED": False})


def prepare(url: str, app_path: str, writers: int, fresh: bool) -> list[tuple[int, int]]:
    """One event (one session, one slot) and one person per writer: [(slot id, user id)]."""
    from datetime import timedelta

    app = _app(url, app_path)
    from sqlalchemy import text

    from miado_events.database import utcnow
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Event, EventSession, Slot, Venue

    with app.app_context():
        if fresh:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            db.create_all()
        run = uuid.uuid4().hex[:8]
        start = (utcnow() + timedelta(days=30)).replace(microsecond=0)
        venue = Venue(name=f"Bench venue {run}", address="Leopoldstraße 50-58, 44147 Dortmund")
        db.session.add(venue)
        pairs = []
        for n in range(writers):
            event = Event(kind="seminar", title=f"Bench writers {run} {n}", capacity=1000, status="published",
                          languages=["de"])
            session = EventSession(event=event, starts_at=start, ends_at=start + timedelta(hours=2), venue=venue)
            slot = Slot(event=event, session=session, capacity=1000)
            user = User(email=f"writer-{run}-{n}@example.org", name=f"Writer {n}", role="member", locale="de",
                        password_hash="!", email_verified_at=utcnow(), privacy_consent_version="bench",
                        privacy_consent_at=utcnow())
            db.session.add_all([event, session, slot, user])
            pairs.append((slot, user))
        db.session.commit()
        result = [(slot.id, user.id) for slot, user in pairs]
        db.engine.dispose()
    return result


def writer(url: str, app_path: str, slot_id: int, user_id: int, ready, go, stop, results, one_row) -> None:
    app = _app(url, app_path)
    if one_row:  # the control: every write raises the one 'site' row, as before #21
        from miado_events import pagecache

        pagecache.event_scope = lambda _event_id: pagecache.SITE
    from miado_events.events import registration as reg
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Slot

    done = errors = 0
    with app.app_context():
        ready.put(slot_id)
        go.wait()
        while not stop.is_set():
            try:
                user, slot = db.session.get(User, user_id), db.session.get(Slot, slot_id)
                registration = reg.register_participant(user, user, slot).registration
                db.session.commit()
                reg.cancel_registration(user, registration)
                db.session.commit()
                done += 2
            except Exception as error:  # counted and shown; the run goes on
                db.session.rollback()
                errors += 1
                if errors == 1:
                    print(f"writer {slot_id}: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        db.engine.dispose()
    results.put((done, errors))


def sample(url: str, stop: threading.Event, figures: dict) -> None:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while not stop.is_set():
            rows = dict(conn.execute(WAITING).fetchall())
            on_versions, anything = rows.get(True, 0), sum(rows.values())
            figures["samples"] += 1
            figures["waiting_versions"] += on_versions > 0
            figures["waiting_any"] += anything > 0
            figures["convoy"] = max(figures["convoy"], on_versions)
            time.sleep(0.010)


def run(url: str, *, writers: int = 16, seconds: float = 10, app_path: str = str(REPO),
        fresh: bool = False, one_row: bool = False) -> dict:
    if not url.startswith("postgresql"):
        raise SystemExit("the many-writers run needs PostgreSQL (a postgresql+psycopg:// URL)")
    pairs = prepare(url, app_path, writers, fresh)
    context = multiprocessing.get_context("spawn")  # each writer its own app and connections
    ready, go, stop, results = context.Queue(), context.Event(), context.Event(), context.Queue()
    processes = [context.Process(target=writer, args=(url, app_path, slot_id, user_id, ready, go, stop, results,
                                                           one_row))
                 for slot_id, user_id in pairs]
    for process in processes:
        process.start()
    for _ in processes:  # every app started (imports) before the clock does
        ready.get(timeout=300)
    figures = {"samples": 0, "waiting_versions": 0, "waiting_any": 0, "convoy": 0}
    sampling = threading.Event()
    sampler = threading.Thread(target=sample, args=(url, sampling, figures))
    sampler.start()
    go.set()
    time.sleep(seconds)
    stop.set()
    sampling.set()
    sampler.join()
    done = errors = 0
    for _ in processes:
        d, e = results.get(timeout=60)
        done, errors = done + d, errors + e
    for process in processes:
        process.join(30)
    figures.update(writers=writers, seconds=seconds, commits=done, errors=errors,
                   code=app_path + (" (--one-row)" if one_row else ""))
    return figures


def describe(f: dict) -> str:
    share = f["waiting_versions"] / f["samples"] if f["samples"] else 0
    return "\n".join([
        f"## Many writers on PostgreSQL ({f['writers']} writers, each its own event, {f['seconds']:g} s)",
        "",
        f"- code: `{f['code']}`",
        f"- writes committed: {f['commits']} ({f['commits'] / f['seconds']:.0f}/s), errors: {f['errors']}",
        f"- samples taken (every 10 ms): {f['samples']}",
        f"- samples with a writer waiting on a `data_versions` row: {f['waiting_versions']} ({share:.1%})",
        f"- longest convoy on `data_versions` (writers waiting in one sample): {f['convoy']}",
        f"- samples with a writer waiting on any row lock: {f['waiting_any']}",
        "",
    ])


def from_run(args, url: str) -> int:
    """``bench/run.py --writers [N]``: on run.py's PostgreSQL database (emptied)."""
    figures = run(url, writers=args.writers, seconds=args.writers_seconds, fresh=True)
    text = describe(figures)
    print(text)
    out = REPO / "bench" / "results" / "writers.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(f"written to {out.relative_to(REPO)}")
    return 1 if figures["errors"] else 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://... (a database of its own)")
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--app-path", default=str(REPO), help="the checkout whose app is measured")
    parser.add_argument("--fresh", action="store_true", help="empty the database's public schema first")
    parser.add_argument("--one-row", action="store_true",
                        help="the control: this code, but every write raises the one 'site' row (as before #21)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    figures = run(args.database_url, writers=args.writers, seconds=args.seconds, app_path=args.app_path,
                  fresh=args.fresh, one_row=args.one_row)
    print(describe(figures))
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
