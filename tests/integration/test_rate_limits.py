"""Rate limits that hold in production: with a shared store (Redis) every app
process counts the same attempts, and gunicorn warns loudly at start when
several workers would each count alone (the default in-memory store).

The servers are the production set-up itself: gunicorn with gunicorn.conf.py
serving app:app, configured by environment variables. The fixture starts its
own redis-server on a free port (like the SMTP tests start aiosmtpd); where
redis-server is missing the tests are skipped, except on CI (CI=true), where
they fail."""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from miado_events.config import rate_limit_warning

ROOT_DIR = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 60
WARNING = "RATE LIMITS DO NOT HOLD"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A private redis-server on a free port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server; .ci/system-deps does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start (exit code {proc.poll()})")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def redis_url(redis_server):
    """The shared store, emptied for each test."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


# --- gunicorn with the production configuration --------------------------------------

class Server:
    def __init__(self, proc: subprocess.Popen, port: int, log_path: Path):
        self.proc, self.port, self.log_path = proc, port, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.contextmanager
def production_server(app, folder: Path, **env):
    """``gunicorn -c gunicorn.conf.py app:app`` on the test database, configured
    by ``env`` (e.g. WEB_CONCURRENCY, RATELIMIT_STORAGE_URI); waits until it
    answers /healthz, kills the process group on exit."""
    folder.mkdir(parents=True)
    log_path = folder / "gunicorn.log"
    port = _free_port()
    environment = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app.config["SECRET_KEY"],
        PRIVACY_NOTICE_VERSION=app.config["PRIVACY_NOTICE_VERSION"],
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESSLOG="-",
        PYTHONUNBUFFERED="1",
        **env,
    )
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                                cwd=ROOT_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Server(proc, port, log_path)
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}:\n{server.log()}")
            with contextlib.suppress(OSError):
                if _request(server, "GET", "/healthz")[0] == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer within {BOOT_TIMEOUT}s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _request(server: Server, method: str, path: str, body: dict | None = None, cookie: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        headers = {"Accept-Language": "en"}
        if cookie:
            headers["Cookie"] = cookie
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read().decode()
    finally:
        conn.close()


def _login_form(server: Server) -> tuple[str, str]:
    """(session cookie, CSRF token) of the log-in form, as a browser gets them."""
    status, set_cookie, html = _request(server, "GET", "/login")
    assert status == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return set_cookie.split(";", 1)[0], token


# --- the tests ----------------------------------------------------------------------------

def test_two_app_servers_with_redis_share_one_count_of_password_resets(app, tmp_path, redis_url):
    """Reset requests alternate between two separate gunicorn instances (as
    behind a load balancer): the fifth is refused, although each server saw
    only two or three. With memory:// each would let 4 through. (Failed
    log-ins are counted in the database: see test_login_limits.)"""
    settings = dict(WEB_CONCURRENCY="1", RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_RESET="4 per minute")
    with production_server(app, tmp_path / "a", **settings) as first, \
            production_server(app, tmp_path / "b", **settings) as second:
        cookie, token = _login_form(first)
        form = {"csrf_token": token, "email": "someone@example.org"}
        statuses = [_request(server, "POST", "/forgot-password", form, cookie)[0]
                    for server in (first, second, first, second, first, second)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_two_app_servers_without_a_shared_store_share_the_count_of_failed_log_ins(app, tmp_path):
    """Failed log-ins are rows in the app's database: two servers with
    memory:// still lock the account after four failures between them."""
    settings = dict(WEB_CONCURRENCY="1", RATELIMIT_STORAGE_URI="memory://", LOGIN_MAX_FAILURES="4")
    with production_server(app, tmp_path / "a", **settings) as first, \
            production_server(app, tmp_path / "b", **settings) as second:
        cookie, token = _login_form(first)
        form = {"csrf_token": token, "email": "someone@example.org", "password": "wrong-password"}
        statuses = [_request(server, "POST", "/login", form, cookie)[0]
                    for server in (first, second, first, second, first, second)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_gunicorn_warns_loudly_when_several_workers_count_alone(app, tmp_path):
    with production_server(app, tmp_path / "memory", WEB_CONCURRENCY="2",
                           RATELIMIT_STORAGE_URI="memory://") as server:
        log = server.log()
    assert WARNING in log
    assert "2 worker processes" in log
    assert "redis://" in log  # it says what to do


def test_gunicorn_is_quiet_with_a_shared_store(app, tmp_path, redis_url):
    with production_server(app, tmp_path / "redis", WEB_CONCURRENCY="2",
                           RATELIMIT_STORAGE_URI=redis_url) as server:
        log = server.log()
    assert "Booting worker" in log
    assert WARNING not in log


@pytest.mark.parametrize("workers,environ,warns", [
    (1, {}, False),
    (2, {}, True),
    (4, {"RATELIMIT_STORAGE_URI": "memory://"}, True),
    (4, {"RATELIMIT_STORAGE_URI": "redis://cache:6379/0"}, False),
    (4, {"RATELIMIT_ENABLED": "false"}, False),
])
def test_warning_only_when_several_processes_would_count_alone(workers, environ, warns):
    assert (rate_limit_warning(workers, environ) is not None) is warns


def test_a_shared_store_that_does_not_answer_neither_fails_log_ins_nor_lifts_the_limit(app, tmp_path):
    """Redis down: each process counts in memory meanwhile (no 500, still a limit)."""
    dead = f"redis://127.0.0.1:{_free_port()}/0"
    with production_server(app, tmp_path / "down", WEB_CONCURRENCY="1", RATELIMIT_STORAGE_URI=dead,
                           RATELIMIT_RESET="4 per minute") as server:
        cookie, token = _login_form(server)
        form = {"csrf_token": token, "email": "someone@example.org"}
        statuses = [_request(server, "POST", "/forgot-password", form, cookie)[0] for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
