"""MIA-DO Events benchmark: ``make bench`` (or ``.venv/bin/python bench/run.py``).

For SQLite and for PostgreSQL in turn: build a realistic dataset with bulk
inserts, serve the app with the repository's production gunicorn settings,
drive eight endpoints with wrk, and compare each with the floor (a minimal
Flask app under the same gunicorn settings, measured in the same run).
Prints a table and writes it to bench/last-run.md. See bench/README.md.
"""
from __future__ import annotations

import argparse
import atexit
import hashlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"          # logs and raw figures (git-ignored)
LUA = BENCH / "wrk" / "requests.lua"
sys.path.insert(0, str(REPO))

# Fixed secrets: this is a benchmark database, never a real one.
SECRET_KEY = "bench-secret-key-not-for-production-0123456789abcdef"
TICKET_SIGNING_KEY = "YmVuY2gtdGlja2V0LWtleS1ub3QtZm9yLXByb2QhISE="  # base64url of 32 bytes
USER_AGENT = "miado-bench/1 (wrk)"
ACCEPT_LANGUAGE = "de-DE,de;q=0.9,en;q=0.8"
PG_DB = "miado_bench"


@dataclass
class Endpoint:
    key: str
    label: str
    ratio_target: float | None
    p99_target_ms: float | None = 100.0


ENDPOINTS = [
    Endpoint("calendar", "GET /calendar", 0.5),
    Endpoint("event", "GET /events/<id>", 0.5),
    Endpoint("register", "POST /events/<id>/slots/<slot>/register", 0.3),
    Endpoint("checkin", "POST /door/api/sessions/<id>/sync", 0.5),
    Endpoint("feed", "GET /feeds/me/<token>.ics", 0.5),
    Endpoint("mso_pdf", "GET /orgs/list.pdf", 0.5),
    Endpoint("mso_csv", "GET /orgs/list.csv", 0.5),
    Endpoint("dashboard", "GET /staff/", None, None),
]
BY_KEY = {e.key: e for e in ENDPOINTS}
# Reads first, then the writes (which add rows).
RUN_ORDER = ["calendar", "event", "feed", "mso_pdf", "mso_csv", "dashboard", "register", "checkin"]
MEMORY_TARGET_MB = 100   # issue #21: every worker ≤ 100 MB RSS after the run


# --- processes ----------------------------------------------------------------------

class Processes:
    """Every process the harness starts, each in its own process group, so
    that all of them (gunicorn masters and their workers, wrk) are ended on
    any exit: normal, failure, Ctrl-C or SIGTERM."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 15) -> None:
        t0 = time.monotonic()
        if proc.poll() is None:
            try:
                # gunicorn: INT is the quick shutdown (TERM waits for graceful_timeout);
                # the master passes it on to its workers.
                os.kill(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Workers that outlived their master, if any.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if proc.poll() is None:
            proc.wait(timeout=5)
        if proc in self.procs:
            self.procs.remove(proc)
        if os.environ.get("BENCH_DEBUG"):
            print(f"stopped {proc.args[-1]} in {time.monotonic() - t0:.1f} s", file=sys.stderr)

    def stop_all(self) -> None:
        for proc in list(reversed(self.procs)):
            try:
                self.stop(proc, timeout=8)
            except Exception as exc:  # keep cleaning up the others
                print(f"warning: could not stop process {proc.pid}: {exc}", file=sys.stderr)


PROCS = Processes()
atexit.register(PROCS.stop_all)


def _terminate(signum, _frame):
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C must not stop the clean-up
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"\ninterrupted ({signal.Signals(signum).name}): stopping every process the benchmark started",
          file=sys.stderr, flush=True)
    raise KeyboardInterrupt


# --- small helpers ------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_package(what: str, package: str) -> None:
    """Stop with one line: the benchmark installs nothing itself."""
    sys.exit(f"bench: {what} is not installed; install it with: sudo apt-get install -y {package}")


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        missing_package("wrk (the load generator)", "wrk")
    return wrk


def postgres_installed() -> bool:
    """What .ci/postgres needs to start the local cluster."""
    clusters = Path("/etc/postgresql")
    return clusters.is_dir() and any(clusters.iterdir()) and shutil.which("pg_ctlcluster") is not None


def http_request(port: int, method: str, path: str, *, headers: dict | None = None,
                 body: str | None = None, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body.encode() if body is not None else None,
                     headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def memory_mb(pid: int) -> dict | None:
    """RSS (shared pages counted in full), PSS (shared pages split between
    the processes sharing them) and USS (pages of this process alone) in MB,
    from /proc/<pid>/smaps_rollup."""
    fields = {}
    try:
        for row in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = row.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1]) / 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    if "Rss" not in fields:
        return None
    return {"rss": fields["Rss"], "pss": fields.get("Pss", 0.0),
            "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0)}


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("PPid:"):
                    if int(line.split()[1]) == pid:
                        out.append(int(entry.name))
                    break
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return sorted(out)


def git_description() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def gunicorn_version() -> str:
    try:
        import gunicorn
        return gunicorn.__version__
    except ImportError:
        return "?"


# --- servers --------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen
    log_path: Path

    @property
    def workers(self) -> list[int]:
        return children(self.proc.pid)

    @property
    def access_path(self) -> Path:
        return self.log_path.with_name(f"{self.name}-access.log")

    def access_statuses(self, marker: str) -> list[int]:
        """Statuses of the requests served whose request line contains ``marker``, in order."""
        out = []
        try:
            text = self.access_path.read_text(errors="replace")
        except FileNotFoundError:
            return out
        for row in text.splitlines():
            if marker in row:
                try:
                    out.append(int(row.split('" ', 1)[1].split()[0]))
                except (IndexError, ValueError):
                    continue
        return out

    def access_size(self) -> int:
        try:
            return self.access_path.stat().st_size
        except FileNotFoundError:
            return 0

    def wait_access_quiet(self, quiet: float = 0.3, timeout: float = 10) -> int:
        """Until the access log has not grown for ``quiet`` seconds (the
        requests still in the workers when wrk stopped are logged); its size."""
        deadline = time.monotonic() + timeout
        size, since = self.access_size(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now_size = self.access_size()
            if now_size != size:
                size, since = now_size, time.monotonic()
            elif time.monotonic() - since >= quiet:
                break
        return size

    def access_times(self, start: int, end: int) -> list[int]:
        """The server's own time per request in milliseconds (gunicorn's
        ``%(M)s``, the last field of each access-log line: from the request
        read to the response written, in the worker) of the lines logged
        between the byte offsets ``start`` and ``end``."""
        try:
            with open(self.access_path, "rb") as f:
                f.seek(start)
                data = f.read(max(0, end - start))
        except FileNotFoundError:
            return []
        out = []
        for row in data.decode(errors="replace").splitlines():
            last = row.rsplit(" ", 1)[-1]
            if last.endswith("ms") and last[:-2].isdigit():
                out.append(int(last[:-2]))
        return out

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def base_env() -> dict:
    """A clean environment: nothing inherited may change the app's settings."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ") if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_gunicorn(name: str, app_spec: str, port: int, env: dict, workers: int, log_dir: Path,
                   extra_args: list[str] | None = None) -> Server:
    env = dict(env, GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers),
               GUNICORN_ACCESSLOG=str(log_dir / f"{name}-access.log"))
    log_path = log_dir / f"{name}-gunicorn.log"
    (log_dir / f"{name}-access.log").unlink(missing_ok=True)
    out = open(log_path, "w")
    proc = PROCS.start([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *(extra_args or []), app_spec],
                       cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    out.close()
    server = Server(name, port, proc, log_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name}: gunicorn exited with {proc.returncode}\n{server.log_tail()}")
        try:
            status, _h, _b = http_request(port, "GET", "/healthz" if name != "floor" else "/", timeout=5)
            if status == 200 and len(server.workers) >= workers:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name}: no answer on port {port}\n{server.log_tail()}")


# --- wrk ------------------------------------------------------------------------------

def write_list(path: Path, lines: list[str], threads: int) -> Path:
    """A request list for requests.lua; at least one line per wrk thread."""
    if not lines:
        raise ValueError(f"empty request list {path.name}")
    while len(lines) < threads:
        lines = lines + lines
    path.write_text("\n".join(lines) + "\n")
    return path


def line(method: str, path: str, body: str = "", headers: dict | None = None) -> str:
    headers = {"User-Agent": USER_AGENT, "Accept-Language": ACCEPT_LANGUAGE, **(headers or {})}
    for value in (path, body, *headers.values()):
        if "\t" in value or "\n" in value:
            raise ValueError("tabs and newlines cannot go into a request list")
    return "\t".join([method, path, body, *(f"{k}: {v}" for k, v in headers.items())])


def run_wrk(wrk: str, port: int, list_file: Path, seconds: float, args) -> dict:
    cmd = [wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
           "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(list_file), str(args.threads)]
    proc = PROCS.start(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=seconds + 120)
    finally:
        PROCS.stop(proc, timeout=5)
    for row in out.splitlines():
        if row.startswith("WRK_JSON "):
            return json.loads(row[len("WRK_JSON "):])
    raise RuntimeError(f"wrk gave no figures (exit {proc.returncode}):\n{out}\n{err}")


def percentile(values: list, q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def server_figures(times: list[int]) -> dict:
    """p50/p99/max of the server's own per-request times (access log)."""
    if not times:
        return {"requests": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {"requests": len(times), "p50_ms": float(percentile(times, 0.5)),
            "p99_ms": float(percentile(times, 0.99)), "max_ms": float(max(times))}


def measure(wrk: str, server: "Server", list_file: Path, seconds: float, args) -> dict:
    """A measured wrk run, with the server's own times of the requests it
    sent (the access-log lines written meanwhile, including those still in
    the workers when wrk stopped) as ``result["server"]``."""
    start = server.wait_access_quiet()
    result = run_wrk(wrk, server.port, list_file, seconds, args)
    result["server"] = server_figures(server.access_times(start, server.wait_access_quiet()))
    return result


def error_count(result: dict) -> dict:
    statuses = {int(k): v for k, v in result["statuses"].items()}
    e = result["errors"]
    return {
        "4xx": sum(v for k, v in statuses.items() if 400 <= k < 500),
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
        "other": sum(v for k, v in statuses.items() if k < 200),
        "socket": e["connect"] + e["read"] + e["write"] + e["timeout"],
    }


# --- one database ---------------------------------------------------------------------

@dataclass
class DbRun:
    name: str
    url: str = ""
    build_seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    floor: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)      # endpoint key -> wrk figures
    rss_after: list = field(default_factory=list)     # MB per worker after the load
    rss_max_seen: float = 0.0
    memory_after: list = field(default_factory=list)  # {"rss", "pss", "uss"} MB per worker after the load
    recycling: list = field(default_factory=list)     # --recycling: one row per (settings, endpoint)
    worker_pids_seen: set = field(default_factory=set)
    checks: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def prepare_database(name: str, workdir: Path) -> str:
    if name == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite3'}"
    if not postgres_installed():
        missing_package("PostgreSQL", "postgresql")
    env = dict(os.environ, PG_TEST_DB=PG_DB)
    subprocess.run(["bash", ".ci/postgres", "start"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    url = subprocess.run(["bash", ".ci/postgres", "url"], cwd=REPO, env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    # A fresh schema: the database's owner drops everything of the last run.
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def app_env(url: str, port: int) -> dict:
    return dict(base_env(), DATABASE_URL=url, SECRET_KEY=SECRET_KEY, TICKET_SIGNING_KEY=TICKET_SIGNING_KEY,
                BASE_URL=f"http://127.0.0.1:{port}", MAIL_SEND_INLINE="false", RATELIMIT_ENABLED="false",
                CHECKIN_OPENS_MINUTES="60", CHECKIN_CLOSES_MINUTES="30")


def make_app(env: dict):
    """The app, in this process, with exactly the server's settings (for the
    bulk inserts, the signed cookies and the ticket signatures)."""
    saved = dict(os.environ)
    try:
        for key in ("DATABASE_URL", "SECRET_KEY", "TICKET_SIGNING_KEY", "BASE_URL", "MAIL_SEND_INLINE",
                    "RATELIMIT_ENABLED", "CHECKIN_OPENS_MINUTES", "CHECKIN_CLOSES_MINUTES", "MAIL_SERVER"):
            os.environ.pop(key, None)
        os.environ.update({k: v for k, v in env.items() if k not in ("PATH", "HOME", "LANG")})
        from miado_events import create_app

        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Credentials:
    """Signed Flask session cookies, made offline with the app's own machinery:
    what a browser holds after logging in (Flask-Login's ``_user_id``,
    ``_fresh`` and ``_id``) plus a CSRF secret and the matching form token."""

    def __init__(self, app):
        from itsdangerous import URLSafeTimedSerializer

        self.cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.csrf = URLSafeTimedSerializer(app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key,
                                           salt="wtf-csrf-token")
        # Flask-Login's session protection compares this with each request's
        # address and User-Agent; a mismatch would rewrite the cookie each time.
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                      headers={"User-Agent": USER_AGENT}):
            self.identifier = app.login_manager._session_identifier_generator()
        self.app = app

    def _login_key(self, user_id: int) -> str:
        from miado_events.accounts.services import start_session
        from miado_events.extensions import db
        from miado_events.models.accounts import User

        with self.app.app_context():
            key = start_session(db.session.get(User, user_id))
            db.session.commit()
        return key

    def for_user(self, user_id: int, auth_version: int) -> tuple[str, str]:
        """(Cookie header value, CSRF token for forms and X-CSRFToken). The
        cookie carries the key of a login session opened here, as at log-in."""
        raw = hashlib.sha1(f"bench-csrf-{user_id}-{os.urandom(8).hex()}".encode()).hexdigest()
        cookie = self.serializer.dumps({"_user_id": self._login_key(user_id), "_fresh": True,
                                        "_id": self.identifier, "csrf_token": raw})
        return f"{self.cookie_name}={cookie}", self.csrf.dumps(raw)


def build_lists(app, fixture, creds: Credentials, port: int, workdir: Path, args) -> tuple[dict, dict]:
    """The request list files per endpoint (``<key>_warm`` where the warm-up
    must not use up the measured run's items), and the items kept back for
    the pre-flight checks."""
    from miado_events.checkin import tickets as ticket_signing

    t = args.threads
    lists, reserved = {}, {}

    lists["calendar"] = [line("GET", "/calendar")]
    lists["event"] = [line("GET", f"/events/{eid}") for eid in fixture.event_ids]
    lists["feed"] = [line("GET", f"/feeds/me/{token}.ics") for token in fixture.feed_tokens]
    # The list of all listed MSOs, anonymous, without If-None-Match: a full download each time.
    lists["mso_pdf"] = [line("GET", "/orgs/list.pdf")]
    lists["mso_csv"] = [line("GET", "/orgs/list.csv")]
    staff_cookie, staff_csrf = creds.for_user(*fixture.staff)
    lists["dashboard"] = [line("GET", "/staff/", headers={"Cookie": staff_cookie})]

    member_creds = {uid: creds.for_user(uid, version) for uid, version, _org in fixture.members}
    pairs = list(fixture.register_pairs)
    reserved["register"] = pairs.pop(0)
    reserved["member"] = fixture.members[0]
    register = []
    for uid, org, event_id, slot_id in pairs:
        cookie, csrf = member_creds[uid]
        register.append(line("POST", f"/events/{event_id}/slots/{slot_id}/register",
                             f"csrf_token={csrf}&organisation_id={org}",
                             {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}))
    warm = max(t, len(register) // 4)
    lists["register_warm"], lists["register"] = register[:warm], register[warm:]

    with app.app_context():
        tickets = [(sid, f"http://127.0.0.1:{port}/t/{token}.{ticket_signing.sign(token)}")
                   for sid, token in fixture.tickets]
    reserved["checkin"] = tickets.pop(0)
    checkin = []
    for n, (sid, url) in enumerate(tickets):
        body = json.dumps({"items": [{"ref": f"bench-{n}", "scan": url}]}, separators=(",", ":"))
        checkin.append(line("POST", f"/door/api/sessions/{sid}/sync", body,
                            {"Cookie": staff_cookie, "X-CSRFToken": staff_csrf,
                             "Content-Type": "application/json"}))
    # The warm-up scans the first quarter; their check-ins are deleted before
    # the measured run, which then goes through every ticket once.
    lists["checkin_warm"], lists["checkin"] = checkin[:max(t, len(checkin) // 4)], checkin

    files = {}
    for key, lines in lists.items():
        files[key] = write_list(workdir / f"{key}.txt", lines, t)
    reserved.update(staff=(staff_cookie, staff_csrf), member_creds=member_creds[reserved["member"][0]],
                    sizes={k: len(v) for k, v in lists.items()})
    return files, reserved


def preflight(port: int, fixture, reserved: dict, engine) -> None:
    """One request of each kind, checked by its effect, before any load."""
    from sqlalchemy import text

    cookie, _csrf = reserved["member_creds"]
    status, headers, _body = http_request(port, "GET", "/my/registrations", headers={"Cookie": cookie})
    if status != 200:
        raise RuntimeError(f"the signed member cookie is not accepted: GET /my/registrations answered "
                           f"{status} {headers.get('Location', '')}")
    if "Set-Cookie" in headers:
        log("note: the app rewrote the member's session cookie on a plain GET")
    staff_cookie, staff_csrf = reserved["staff"]
    status, headers, _ = http_request(port, "GET", "/staff/", headers={"Cookie": staff_cookie})
    if status != 200:
        raise RuntimeError(f"the staff cookie is not accepted: GET /staff/ answered {status} "
                           f"{headers.get('Location', '')}")
    for path in ("/calendar", f"/events/{fixture.event_ids[0]}", f"/feeds/me/{fixture.feed_tokens[0]}.ics",
                 "/orgs/list.pdf", "/orgs/list.csv"):
        status, _h, _b = http_request(port, "GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")

    uid, org, event_id, slot_id = reserved["register"]
    status, headers, body = http_request(
        port, "POST", f"/events/{event_id}/slots/{slot_id}/register",
        body=f"csrf_token={reserved['register_csrf']}&organisation_id={org}",
        headers={"Cookie": reserved["register_cookie"], "Content-Type": "application/x-www-form-urlencoded"})
    with engine.connect() as conn:
        found = conn.execute(text("SELECT status FROM registrations WHERE user_id = :u AND slot_id = :s "
                                  "AND status IN ('confirmed', 'waitlisted')"), {"u": uid, "s": slot_id}).all()
    if status != 302 or not found:
        raise RuntimeError(f"the registration POST did not register: {status} {headers.get('Location', '')} "
                           f"{body[:300]!r}")

    sid, url = reserved["checkin"]
    status, _h, body = http_request(
        port, "POST", f"/door/api/sessions/{sid}/sync",
        body=json.dumps({"items": [{"ref": "bench-preflight", "scan": url}]}),
        headers={"Cookie": staff_cookie, "X-CSRFToken": staff_csrf, "Content-Type": "application/json"})
    outcome = json.loads(body)["results"][0]["outcome"] if status == 200 else None
    if outcome != "checked_in":
        raise RuntimeError(f"the check-in API did not check in: {status} {body[:300]!r}")


def prime_feeds(name: str, port: int, fixture) -> None:
    """Every personal feed of the list fetched once before it is measured, as
    the first poll of each calendar app would: the copies exist (feed_copies),
    so the run measures what a fetch costs when nothing changed."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        statuses = set(pool.map(lambda token: http_request(port, "GET", f"/feeds/me/{token}.ics")[0],
                                fixture.feed_tokens))
    if statuses != {200}:
        raise RuntimeError(f"priming the personal feeds: GET /feeds/me/<token>.ics answered {sorted(statuses)}")
    log(f"{name}: {len(fixture.feed_tokens)} personal feeds fetched once (primed)")


def max_id(engine, table: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar()


def run_database(name: str, args, wrk: str, floor: Server, workdir: Path) -> DbRun:
    from sqlalchemy import create_engine, text

    run = DbRun(name)
    dbdir = workdir / name
    dbdir.mkdir()
    log(f"{name}: preparing the database")
    run.url = prepare_database(name, dbdir)
    port = free_port()
    env = app_env(run.url, port)
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], cwd=REPO, env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    import dataset

    app = make_app(env)
    log(f"{name}: building the dataset (bulk inserts)")
    started = time.monotonic()
    n_pairs = max(3000, int(args.register_rate_guess * (args.duration + args.warmup) * 1.5))
    fixture = dataset.build(app, register_pairs=n_pairs)
    run.build_seconds = time.monotonic() - started
    run.counts = fixture.counts
    log(f"{name}: dataset ready in {run.build_seconds:.1f} s: " + ", ".join(
        f"{k} {v}" for k, v in fixture.counts.items()))

    creds = Credentials(app)
    files, reserved = build_lists(app, fixture, creds, port, dbdir, args)
    uid = reserved["register"][0]
    reserved["register_cookie"], reserved["register_csrf"] = creds.for_user(uid, 1)

    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    log(f"{name}: starting the app (gunicorn -c gunicorn.conf.py app:app, {args.workers} workers)")
    server = start_gunicorn(f"app-{name}", "app:app", port, env, args.workers, RESULTS)
    try:
        preflight(port, fixture, reserved, engine)
        log(f"{name}: pre-flight passed (signed cookies accepted, a registration and a check-in went through)")

        log(f"{name}: floor ({args.warmup:g} s warm-up, {args.duration:g} s)")
        run_wrk(wrk, floor.port, files_floor(workdir, args), args.warmup, args)
        run.floor = measure(wrk, floor, files_floor(workdir, args), args.duration, args)
        log(f"{name}: floor {run.floor['rps']:.0f} req/s, p50 {run.floor['p50_ms']:.1f} ms, "
            f"p99 {run.floor['p99_ms']:.1f} ms (server's own p99 {run.floor['server']['p99_ms']:.0f} ms)")

        for key in [k for k in RUN_ORDER if k in args.endpoints]:
            if key == "feed":
                prime_feeds(name, port, fixture)
            warm_file = files.get(f"{key}_warm", files[key])
            write = key in ACCESS_MARKERS
            if write:
                logged = len(server.access_statuses(ACCESS_MARKERS[key]))
            warm = run_wrk(wrk, port, warm_file, args.warmup, args)
            before = {}
            if write:
                # Requests of the warm-up still in the workers must finish first.
                settle(server, ACCESS_MARKERS[key], logged + warm["sent"] - args.threads, _quiet(warm))
            if key == "checkin":
                # The warm-up's check-ins and their door-ledger rows: the
                # measured run scans the same tickets under the same refs, and
                # a ref already in the ledger is answered as a replay (nothing
                # written), which would measure replays instead of check-ins.
                with engine.begin() as conn:
                    for table in ("attendances", "checkin_scans"):
                        conn.execute(text(f"DELETE FROM {table} WHERE client_ref LIKE 'bench-%' "
                                          "AND client_ref <> 'bench-preflight'"))
            if write:
                before = {t: max_id(engine, t) for t in ("registrations", "attendances", "mail_outbox")}
                logged = len(server.access_statuses(ACCESS_MARKERS[key]))
            start = server.wait_access_quiet()
            result = run_wrk(wrk, port, files[key], args.duration, args)
            if write:
                settle(server, ACCESS_MARKERS[key], logged + result["sent"] - args.threads, _quiet(result))
                served = server.access_statuses(ACCESS_MARKERS[key])[logged:]
                result["served"] = {str(code): served.count(code) for code in sorted(set(served))}
            result["server"] = server_figures(server.access_times(start, server.wait_access_quiet()))
            run.results[key] = result
            errs = error_count(result)
            log(f"{name}: {BY_KEY[key].label}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms (server's own p99 {result['server']['p99_ms']:.0f} ms), "
                f"statuses {result['statuses']}"
                + (f", socket errors {result['errors']}" if errs["socket"] else ""))
            if errs["5xx"]:
                problem = (f"{errs['5xx']} responses with status 5xx on {BY_KEY[key].label} ({name}); "
                           f"see {server.log_path.relative_to(REPO)}")
                run.problems.append(problem)
                print(f"\n!!!!! {problem}\n{server.log_tail(30)}\n", file=sys.stderr, flush=True)
            if key in ("register", "checkin"):
                run.checks.append(_effect_check(key, run, result, before, engine, args))
            for pid in server.workers:
                run.worker_pids_seen.add(pid)
                rss = rss_mb(pid)
                if rss:
                    run.rss_max_seen = max(run.rss_max_seen, rss)
            if result["reused"] and key in ("register", "checkin"):
                run.problems.append(
                    f"{BY_KEY[key].label} ({name}): the prepared list ran out, {result['reused']} of "
                    f"{result['sent']} requests repeated an earlier one (already registered / already "
                    "checked in); the figure is optimistic. Prepare more with --register-rate-guess "
                    "or shorten --duration.")
        run.rss_after = [round(rss_mb(pid) or 0, 1) for pid in server.workers]
        run.rss_max_seen = max([run.rss_max_seen, *run.rss_after])
        run.memory_after = [m for m in (memory_mb(pid) for pid in server.workers) if m]
    finally:
        PROCS.stop(server.proc)
        engine.dispose()
    if args.recycling is not None:
        run.recycling = recycling_comparison(name, args, wrk, env, files, run.floor)
    return run


RECYCLING_ENDPOINTS = ("event", "calendar")


def recycling_comparison(name: str, args, wrk: str, env: dict, files: dict, floor: dict) -> list[dict]:
    """``--recycling [N]``: the event page and the calendar, each on a fresh
    app server, measured twice in the same run: once with the settings of
    gunicorn.conf.py, then with workers recycled after N ± N/8 requests (the
    old ``max_requests`` 5000 ± 500, made low enough to happen within the
    measured seconds; without N: a third of the requests each worker served
    in the first measurement, so that each is replaced about three times).
    Worker processes are counted while wrk runs."""
    import threading

    rows = []
    for key in RECYCLING_ENDPOINTS:
        n = args.recycling
        for extra in (False, True):
            if extra:
                if not n:
                    n = max(10, int(rows[-1]["server"]["requests"] / args.workers / 3))
                label = f"max_requests {n} ± {n // 8}"
                extra = ["--max-requests", str(n), "--max-requests-jitter", str(n // 8)]
            else:
                label, extra = "gunicorn.conf.py as it is", []
            server_name = f"app-{name}-{'recycled' if extra else 'kept'}-{key}"
            log(f"{name}: recycling comparison, {BY_KEY[key].label} with {label}")
            server = start_gunicorn(server_name, "app:app", free_port(), env, args.workers, RESULTS, extra)
            try:
                run_wrk(wrk, server.port, files.get(f"{key}_warm", files[key]), args.warmup, args)
                seen: set[int] = set(server.workers)
                done = threading.Event()

                def watch(done=done, seen=seen, server=server):
                    while not done.wait(0.1):
                        seen.update(server.workers)

                watcher = threading.Thread(target=watch, daemon=True)
                restarts_before = server.log_tail(100000).count("Autorestarting worker")
                watcher.start()
                try:
                    result = measure(wrk, server, files[key], args.duration, args)
                finally:
                    done.set()
                    watcher.join()
                restarts = server.log_tail(100000).count("Autorestarting worker") - restarts_before
            finally:
                PROCS.stop(server.proc)
            rows.append({"settings": label, "endpoint": key, "rps": result["rps"],
                         "ratio": result["rps"] / floor["rps"] if floor.get("rps") else 0.0,
                         "p99_ms": result["p99_ms"], "server": result["server"],
                         "workers_seen": len(seen), "restarts": restarts, "errors": sum(error_count(result).values())})
            log(f"{name}: {BY_KEY[key].label} with {label}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms "
                f"(server's own p99 {result['server']['p99_ms']:.0f} ms), {len(seen)} worker processes seen, "
                f"{restarts} restarts logged")
    return rows


# Lines of the access log that belong to the POST endpoints (one line per request served).
ACCESS_MARKERS = {"register": "/register HTTP/", "checkin": "/sync HTTP/"}


def settle(server: "Server", marker: str, expected: int, quiet: float, timeout: float = 90) -> None:
    """Wait until the requests wrk left in the workers (up to one per
    connection) have been served: until the access log holds about as many
    lines for the endpoint as wrk sent (wrk may prepare a last request per
    thread that it never sends), then until no new line has come for
    ``quiet`` seconds (the slowest request's time)."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        served = len(server.access_statuses(marker))
        if served != last:
            last, last_change = served, time.monotonic()
        elif served >= expected and time.monotonic() - last_change >= quiet:
            return
        elif time.monotonic() - last_change > max(15.0, quiet):
            return  # nothing more is coming
        time.sleep(0.2)


def _quiet(result: dict) -> float:
    return min(15.0, max(1.0, 1.2 * result["max_ms"] / 1000))


def _effect_check(key: str, run: DbRun, result: dict, before: dict, engine, args) -> str:
    """What the POSTs did in the database, against the requests the server
    answered with 2xx/3xx (from its access log, so that the requests still in
    flight when wrk stopped count too): one row per request, exactly. A
    redirect after "already registered" or a sync answering "invalid" would
    count as a success in wrk's figures; here it shows."""
    from sqlalchemy import text

    ok = sum(n for status, n in result.get("served", {}).items() if 200 <= int(status) < 400)
    with engine.connect() as conn:
        if key == "register":
            rows = dict(conn.execute(text(
                "SELECT status, COUNT(*) FROM registrations WHERE id > :i GROUP BY status"),
                {"i": before["registrations"]}).all())
            mails = conn.execute(text("SELECT COUNT(*) FROM mail_outbox WHERE id > :i"),
                                 {"i": before["mail_outbox"]}).scalar()
            made = sum(rows.values())
            text_ = (f"{run.name}: registration POSTs served with 2xx/3xx: {ok} ({result['requests']} within "
                     f"wrk's window, the rest in flight when it stopped); registrations created: {made} "
                     f"({rows.get('confirmed', 0)} confirmed, {rows.get('waitlisted', 0)} waiting list); "
                     f"e-mails queued: {mails}")
        else:
            made = conn.execute(text("SELECT COUNT(*) FROM attendances WHERE id > :i"),
                                {"i": before["attendances"]}).scalar()
            text_ = (f"{run.name}: check-in POSTs served with 2xx/3xx: {ok} ({result['requests']} within wrk's "
                     f"window); check-ins recorded: {made}")
    if made != ok:
        run.problems.append(f"{BY_KEY[key].label} ({run.name}): {ok} requests served with 2xx/3xx but {made} "
                            "rows written: some requests did not do what they were meant to")
    return text_


_FLOOR_LIST = None


def files_floor(workdir: Path, args) -> Path:
    global _FLOOR_LIST
    if _FLOOR_LIST is None:
        _FLOOR_LIST = write_list(workdir / "floor.txt", [line("GET", "/")], args.threads)
    return _FLOOR_LIST


# --- the report ------------------------------------------------------------------------

def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", " ")


def report(runs: list[DbRun], args, started_wall: datetime, seconds: float) -> str:
    out = []
    out.append("# MIA-DO Events — benchmark run")
    out.append("")
    out.append(f"{started_wall:%Y-%m-%d %H:%M} UTC · commit {git_description()} · {os.cpu_count()} CPUs · "
               f"Python {platform.python_version()} · gunicorn {gunicorn_version()} with the repo's "
               f"gunicorn.conf.py, {args.workers} sync workers × 1 thread, access log to a file · "
               f"wrk {args.connections} connections, {args.threads} threads, {args.duration:g} s per "
               f"endpoint after {args.warmup:g} s warm-up · total runtime {seconds / 60:.1f} min")
    out.append("")
    out.append(f"Load average (1, 5, 15 min) before the run: {', '.join(f'{x:.2f}' for x in args.load_before)}; "
               f"after: {', '.join(f'{x:.2f}' for x in args.load_after)} — on a busy machine all figures drop; "
               "the ratios to the floor, measured in the same run, are the figures to compare.")
    out.append("")
    out.append("**Rate limiting is OFF** (`RATELIMIT_ENABLED=false`): the limiter would stop the load "
               "generator. Mail goes to the outbox table only (`MAIL_SEND_INLINE=false`, no SMTP). "
               "CSRF is on; the load generator sends valid tokens.")
    out.append("")
    if "feed" in args.endpoints:
        out.append("The personal feeds are each fetched once before their measurement (primed, as by the first "
                   "poll of each calendar app): the feed row measures what a fetch costs when nothing changed.")
        out.append("")
    out.append("Ratio = the endpoint's requests/s ÷ the floor's requests/s measured in the same run "
               "(bench/floor_app.py: one SQLite query, one small template, same gunicorn settings).")
    out.append("")
    out.append("Latency twice: as **wrk** saw it (from the request sent to the response read: the wait for a "
               "free worker included — 16 connections share the workers — and wrk 4.1 pads rare stalls into "
               "its percentiles) and as the **server** measured it (gunicorn's access log, the time per "
               "request in the worker, whole milliseconds). The p99 target is judged on the server's own p99; "
               "wrk's verdict is shown beside it in brackets.")
    out.append("")
    out.append("| endpoint | db | req/s | p50 ms wrk | p99 ms wrk | p50 ms server | p99 ms server | errors "
               "| ratio to floor | ratio target | p99 target (server; wrk's) |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for run in runs:
        floor_rps = run.floor.get("rps") or 0
        for endpoint in ENDPOINTS:
            result = run.results.get(endpoint.key)
            if result is None:
                continue
            errs = error_count(result)
            n_err = sum(errs.values())
            err_text = str(n_err) + (f" (**{errs['5xx']}× 5xx**)" if errs["5xx"] else "")
            ratio = result["rps"] / floor_rps if floor_rps else 0
            if endpoint.ratio_target is None:
                ratio_t = "—"
            else:
                ratio_t = f"≥ {endpoint.ratio_target:g} " + ("met" if ratio >= endpoint.ratio_target
                                                             else "**NOT met**")
            server = result.get("server") or server_figures([])
            if endpoint.p99_target_ms is None:
                p99_t = "—"
            else:
                p99_t = (f"< {endpoint.p99_target_ms:g} ms: "
                         + ("met" if server["p99_ms"] < endpoint.p99_target_ms else "**NOT met**")
                         + f" (wrk: {'met' if result['p99_ms'] < endpoint.p99_target_ms else 'not met'})")
            out.append(f"| {endpoint.label} | {run.name} | {fmt(result['rps'])} | {fmt(result['p50_ms'])} | "
                       f"{fmt(result['p99_ms'])} | {fmt(server['p50_ms'], 0)} | {fmt(server['p99_ms'], 0)} | "
                       f"{err_text} | {ratio:.2f} | {ratio_t} | {p99_t} |")
        floor_server = run.floor.get("server") or server_figures([])
        out.append(f"| *floor* | {run.name} | {fmt(floor_rps)} | {fmt(run.floor.get('p50_ms', 0))} | "
                   f"{fmt(run.floor.get('p99_ms', 0))} | {fmt(floor_server['p50_ms'], 0)} | "
                   f"{fmt(floor_server['p99_ms'], 0)} | "
                   f"{sum(error_count(run.floor).values()) if run.floor else '—'} | 1.00 | | |")
    out.append("")
    out.append(f"Memory: VmRSS of each gunicorn worker of the app (target ≤ {MEMORY_TARGET_MB} MB per worker). "
               "RSS counts the pages a worker shares with the master and the other workers in full; PSS "
               "splits them between the sharers, USS (private) is what the worker alone holds.")
    out.append("")
    out.append("| db | workers after the load (MB) | max after the load | max seen during the run | target "
               "| PSS after (MB) | USS after (MB) |")
    out.append("|---|---|---:|---:|---|---|---|")
    for run in runs:
        if not run.rss_after:
            continue
        top = max(run.rss_after)
        worst = max(top, run.rss_max_seen)
        out.append(f"| {run.name} | {', '.join(fmt(v) for v in run.rss_after)} | {fmt(top)} | "
                   f"{fmt(run.rss_max_seen)} | ≤ {MEMORY_TARGET_MB} MB "
                   + ("met" if worst <= MEMORY_TARGET_MB else "**NOT met**") + " | "
                   + ", ".join(fmt(m["pss"]) for m in run.memory_after) + " | "
                   + ", ".join(fmt(m["uss"]) for m in run.memory_after) + " |")
    recycled = [r for r in runs if len(r.worker_pids_seen) > args.workers]
    if recycled:
        out.append("")
        out.append("Workers were replaced during the run: "
                   + ", ".join(f"{r.name} {len(r.worker_pids_seen)} worker processes seen" for r in recycled)
                   + "; the figures after the load may come from young workers, hence the max seen during the run.")
    recycling = [(run, row) for run in runs for row in run.recycling]
    if recycling:
        out.append("")
        out.append("Worker recycling (`--recycling`): each row on a fresh app server, warmed up and measured "
                   "like the table above; worker processes seen while wrk ran (the starting workers "
                   "included) and the restarts gunicorn logged.")
        out.append("")
        out.append("| endpoint | db | workers | req/s | ratio to floor | p99 ms wrk | p99 ms server "
                   "| max ms server | worker processes seen | restarts | errors |")
        out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for run, row in recycling:
            out.append(f"| {BY_KEY[row['endpoint']].label} | {run.name} | {row['settings']} | {fmt(row['rps'])} | "
                       f"{row['ratio']:.2f} | {fmt(row['p99_ms'])} | {fmt(row['server']['p99_ms'], 0)} | "
                       f"{fmt(row['server']['max_ms'], 0)} | {row['workers_seen']} | {row['restarts']} | "
                       f"{row['errors']} |")
    out.append("")
    out.append("Checks (what the POSTs did in the database):")
    out.append("")
    for run in runs:
        for check in run.checks:
            out.append(f"- {check}")
    out.append("")
    out.append("Dataset per database (bulk inserts; build time without the migrations):")
    out.append("")
    for run in runs:
        c = run.counts
        out.append(f"- {run.name}: {run.build_seconds:.1f} s — {c.get('organisations')} MSOs, {c.get('users')} users, "
                   f"{c.get('events')} events, {c.get('event_sessions')} sessions, "
                   f"{c.get('registration_slots')} slots, {c.get('registrations')} registrations "
                   f"({c.get('registrations_confirmed')} confirmed, {c.get('registrations_waitlisted')} waiting), "
                   f"{c.get('attendances')} past check-ins")
    problems = [p for run in runs for p in run.problems]
    if problems:
        out.append("")
        out.append("**Problems:**")
        out.append("")
        out += [f"- {p}" for p in problems]
    out.append("")
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=["sqlite", "postgres"],
                        help="run one database only (default: both)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per endpoint (default 10)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per endpoint (default 3)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers, app and floor (WEB_CONCURRENCY)")
    parser.add_argument("--endpoints", default=",".join(RUN_ORDER),
                        help="comma-separated subset of: " + ", ".join(RUN_ORDER))
    parser.add_argument("--register-rate-guess", type=float, default=300,
                        help="registrations per second to prepare distinct (user, slot) pairs for")
    parser.add_argument("--recycling", type=int, nargs="?", const=0, default=None, metavar="N",
                        help="also measure the event page and the calendar on fresh servers with "
                             "gunicorn.conf.py as it is and with workers recycled after N ± N/8 requests "
                             "(the old max_requests 5000 ± 500 made to happen within the measured seconds; "
                             "without N: each worker is replaced about three times): p99 (wrk's and the "
                             "server's own) and worker processes seen")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (SQLite file, request lists)")
    parser.add_argument("--output", default=str(BENCH / "last-run.md"))
    parser.add_argument("--writers", type=int, nargs="?", const=16, default=0, metavar="N",
                        help="instead of the endpoints: N writers (default 16) on PostgreSQL, each registering "
                             "for its own event, while pg_locks is sampled every 10 ms (bench/writers.py; "
                             "writes bench/results/writers.md)")
    parser.add_argument("--writers-seconds", type=float, default=10, help="seconds of the --writers run")
    args = parser.parse_args(argv)
    args.databases = args.only or ["sqlite", "postgres"]
    args.endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    unknown = set(args.endpoints) - set(RUN_ORDER)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # Ctrl-C even when started in the background of a script (which ignores SIGINT).
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    os.chdir(REPO)
    sys.path.insert(0, str(BENCH))
    if args.writers:  # the many-writers run alone (bench/writers.py)
        import writers

        return writers.from_run(args, prepare_database("postgres", Path(tempfile.gettempdir())))
    started, started_wall = time.monotonic(), datetime.now(UTC)
    args.load_before = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    wrk = ensure_wrk()
    if "postgres" in args.databases and not postgres_installed():
        missing_package("PostgreSQL (for --only postgres, or both databases)", "postgresql")
    workdir = Path(tempfile.mkdtemp(prefix="miado-bench-"))
    runs: list[DbRun] = []
    try:
        import floor_app

        floor_app.create_database(str(workdir / "floor.sqlite3"))
        floor = start_gunicorn("floor", "bench.floor_app:app", free_port(),
                               dict(base_env(), FLOOR_DB=str(workdir / "floor.sqlite3")), args.workers, RESULTS)
        for name in args.databases:
            try:
                runs.append(run_database(name, args, wrk, floor, workdir))
            except Exception as exc:  # report it, and still run the other database
                traceback.print_exc()
                failed = DbRun(name)
                failed.problems.append(f"the {name} run failed: {type(exc).__name__}: {exc}".splitlines()[0])
                runs.append(failed)
    except KeyboardInterrupt:
        PROCS.stop_all()
        log("stopped")
        return 130
    finally:
        PROCS.stop_all()
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.monotonic() - started
    args.load_after = os.getloadavg()
    text = report(runs, args, started_wall, seconds)
    Path(args.output).write_text(text)
    (RESULTS / "last-run.json").write_text(json.dumps(
        [{"db": r.name, "floor": r.floor, "results": r.results, "rss_after_mb": r.rss_after,
          "rss_max_seen_mb": r.rss_max_seen, "memory_after_mb": r.memory_after,
          "recycling": r.recycling, "counts": r.counts, "build_seconds": r.build_seconds,
          "checks": r.checks, "problems": r.problems} for r in runs], indent=2))
    print()
    print(text)
    log(f"written to {Path(args.output).relative_to(REPO) if Path(args.output).is_relative_to(REPO) else args.output}"
        f" in {seconds / 60:.1f} min")
    if any(r.problems for r in runs):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
