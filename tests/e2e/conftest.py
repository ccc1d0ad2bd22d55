"""End-to-end fixtures: an SMTP sink, the app served on a real port, headless
Chromium through Playwright, and a page that may only talk to the app.

Without Chromium or the Playwright package the tests are skipped locally; with
CI=true (or 1) they fail instead, because nothing may be skipped in CI.
"""
from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ..conftest import PASSWORD, app_config, link_from_mail, reset_schema

CHROMIUM = os.environ.get("MIADO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
TIMEOUT_MS = 5_000  # Playwright actions and expect() assertions


def pytest_collection_modifyitems(config, items):
    """Every test below tests/e2e carries the ``e2e`` marker."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1"}


def missing(reason: str):
    """Skip locally; fail in CI (nothing may be skipped there)."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


# --- SMTP sink ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    link_from_mail: object = None

    def wait_for(self, to: str, timeout: float = 10.0) -> EmailMessage:
        """The first message to ``to``; polls until ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            for msg in list(self.messages):
                if to.lower() in str(msg["To"]).lower():
                    return msg
            if time.monotonic() > deadline:
                got = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                raise AssertionError(f"no mail to {to} within {timeout}s; received: {got}")
            time.sleep(0.05)

    def link(self, msg: EmailMessage, pattern: str) -> str:
        return self.link_from_mail(msg, pattern)


class _CollectingHandler:
    def __init__(self, messages: list[EmailMessage]):
        self.messages = messages

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        self.messages.append(msg)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    messages: list[EmailMessage] = []
    controller = None
    for attempt in range(5):  # the free port may be taken between probe and bind
        port = _free_port()
        controller = Controller(_CollectingHandler(messages), hostname="127.0.0.1", port=port)
        try:
            controller.start()
            break
        except Exception:
            controller = None
            if attempt == 4:
                raise
    sink = SmtpSink("127.0.0.1", port, messages, link_from_mail)
    try:
        yield sink
    finally:
        controller.stop()


# --- the app on a real port --------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object
    host: str
    port: int

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"


def _serve(app, name: str):
    """Serve ``app`` on a free port in a thread (for a yield fixture); links
    in e-mails point at it. Stops the server and closes the database after."""
    from werkzeug.serving import make_server

    from miado_events.extensions import db

    server = make_server("127.0.0.1", 0, app, threaded=True)
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, host=host, port=port)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_server(tmp_path, smtp_sink):
    from miado_events import create_app
    from miado_events.extensions import limiter

    app = create_app(app_config(
        tmp_path,
        WTF_CSRF_ENABLED=True,
        MAIL_BACKEND="smtp",
        MAIL_SERVER=smtp_sink.host,
        MAIL_PORT=smtp_sink.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME="",
        BASE_URL="http://127.0.0.1",  # the real port is set by _serve
    ))
    reset_schema(app)
    limiter.reset()

    yield from _serve(app, "live-server")


# --- the browser -------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        missing(f"the playwright package is not installed: {err}")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        missing(f"Chromium not found at {CHROMIUM} (set MIADO_CHROMIUM)")

    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Traffic:
    """What the page asked for and what it got back."""
    requests: list[str] = field(default_factory=list)
    responses: list = field(default_factory=list)  # playwright Response objects

    def documents(self) -> list:
        return [r for r in self.responses if r.request.resource_type == "document"]


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


def _recorded_page(browser, traffic):
    """A new German-language browser context and page whose requests and
    responses go into ``traffic``."""
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("request", lambda request: traffic.requests.append(request.url))
    page.on("response", lambda response: traffic.responses.append(response))
    return context, page


@pytest.fixture
def page(browser, live_server, traffic):
    """A fresh German-language context; at teardown the test fails if the page
    contacted any host but the live server."""
    context, page = _recorded_page(browser, traffic)
    try:
        yield page
    finally:
        context.close()
    foreign = [
        url for url in traffic.requests
        if urlsplit(url).scheme not in {"data", "about", "blob"}
        and urlsplit(url).netloc != live_server.netloc
    ]
    if foreign:
        pytest.fail(f"the page contacted other hosts than {live_server.netloc}: {foreign}",
                    pytrace=False)


@pytest.fixture
def make_live_user(live_server):
    """Factory: a verified user in the live server's database."""

    def make(email: str, name: str, password: str = PASSWORD, locale: str = "de"):
        from miado_events.accounts.passwords import hash_password
        from miado_events.database import utcnow
        from miado_events.extensions import db
        from miado_events.models.accounts import Role, User

        with live_server.app.app_context():
            user = User(email=email, name=name, role=Role.MEMBER.value, locale=locale,
                        password_hash=hash_password(password), email_verified_at=utcnow(),
                        privacy_consent_version="test", privacy_consent_at=utcnow())
            db.session.add(user)
            db.session.commit()
            db.session.remove()
        return {"email": email, "name": name, "password": password}

    return make


@pytest.fixture
def second_page(browser, page, traffic):
    """A second, separate browser (another person), recorded in the same
    ``traffic`` as ``page``: ``page``'s teardown checks for foreign hosts
    (run after this context is closed) and the CSP checks cover it too."""
    context, second = _recorded_page(browser, traffic)
    try:
        yield second
    finally:
        context.close()


# --- the demo data on a real port (read-mostly page checks) ------------------


DEMO_PASSWORD = "demo-passwort"


def demo_email(local: str) -> str:
    return f"{local}@demo.example.org"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The app on a real port with ``load_demo_data()`` (every role: admin,
    staff, door, member, member2, rep1… at demo.example.org, password
    ``demo-passwort``), built once per test module: for tests that look at
    many pages and change little. CSRF is on; e-mail goes to the in-memory
    outbox. Tests that log in call ``limiter.reset()`` first (the log-in limit
    counts per address, and every browser here is 127.0.0.1)."""
    from miado_events import create_app
    from miado_events.demo import load_demo_data
    from miado_events.extensions import db, limiter

    app = create_app(app_config(
        tmp_path_factory.mktemp("demo"),
        WTF_CSRF_ENABLED=True,
        BASE_URL="http://127.0.0.1",  # the real port is set by _serve
    ))
    reset_schema(app)
    limiter.reset()
    with app.app_context():
        load_demo_data()
        db.session.remove()

    yield from _serve(app, "demo-server")


def new_recorded_context(browser, server: LiveServer, *, lang: str | None = None, **options):
    """A fresh browser context (empty cache, no cookies) whose requests are
    collected in ``context.foreign_requests`` when they go to any host but
    ``server``; with ``lang`` the language switcher's cookie is set."""
    options.setdefault("locale", "de-DE")
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    if lang:
        context.add_cookies([{"name": "lang", "value": lang, "url": server.url}])
    foreign: list[str] = []
    context.foreign_requests = foreign

    def record(request):
        parts = urlsplit(request.url)
        if parts.scheme not in {"data", "about", "blob"} and parts.netloc != server.netloc:
            foreign.append(request.url)

    context.on("request", record)
    return context


def log_in_as(page, server: LiveServer, email: str, password: str) -> None:
    """Log in through the form (by input names, whatever the language)."""
    from playwright.sync_api import expect

    page.goto(f"{server.url}/login")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(password)
    page.locator("main form.form button[type=submit]").click()
    expect(page.locator('header form[action="/logout"]')).to_have_count(1)
