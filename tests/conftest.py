"""Shared fixtures: an app per test on SQLite (default) or on the PostgreSQL
server named by DATABASE_URL, a client, mail capture and user factories."""
from __future__ import annotations

import contextlib
import os
import re

# Cheap password hashes for the suite (set before the app is imported).
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_COST", "1024")

import pytest  # noqa: E402
from flask import Flask, g, has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from miado_events import create_app  # noqa: E402
from miado_events.accounts.passwords import hash_password  # noqa: E402
from miado_events.database import utcnow  # noqa: E402
from miado_events.extensions import db as _db  # noqa: E402
from miado_events.extensions import limiter  # noqa: E402
from miado_events.models.accounts import Role, User  # noqa: E402

PASSWORD = "correct-horse-battery"


_worker_databases: dict[str, str] = {}


def _dialect_of_this_run() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``@pytest.mark.database("sqlite")`` (or "postgresql") test
    what only that database does (SQLite's write lock, PostgreSQL's row locks):
    the run on the other database leaves them out (deselected, not skipped —
    a skip in CI means something is missing)."""
    dialect = _dialect_of_this_run()
    keep, left_out = [], []
    for item in items:
        marker = item.get_closest_marker("database")
        (left_out if marker is not None and dialect not in marker.args else keep).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = keep


def _database_for_worker(url: str, worker: str) -> str:
    """With pytest-xdist each worker gets its own PostgreSQL database
    (``<name>_<worker>``), created on first use; SQLite files are per worker
    anyway (each worker has its own base folder)."""
    if url not in _worker_databases:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from miado_events.config import normalise_database_url

        base = make_url(normalise_database_url(url))
        name = f"{base.database}_{worker}"
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        _worker_databases[url] = base.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[url]


def database_url(tmp_path) -> str:
    """DATABASE_URL when set (the PostgreSQL run), else one SQLite file for the
    whole run, in pytest's base folder for this session (the parent of every
    ``tmp_path``)."""
    url = os.environ.get("DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        return _database_for_worker(url, worker)
    return url or f"sqlite:///{tmp_path.parent / 'test.sqlite3'}"


def app_config(tmp_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "MAIL_BACKEND": "memory",
        # Inline mail is delivered on a background thread; a committing test
        # waits for it, so it sees the outcome at once (tests/integration/
        # test_mail_worker.py tests the thread without this).
        "MAIL_INLINE_WAIT": True,
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": True,
        "WTF_CSRF_ENABLED": False,
        # The version the test users agreed to (make_user); a test of the
        # re-consent flow changes it.
        "PRIVACY_NOTICE_VERSION": "test",
        # Uploaded materials: in this run's base folder, never in the source tree's instance/.
        "MATERIALS_DIR": str(tmp_path.parent / "materials"),
    }
    config.update(overrides)
    return config


_fresh_schemas: set[str] = set()


def reset_schema(app) -> None:
    """Give ``app`` a current, empty schema. The first time a database is seen
    in this run its tables are rebuilt; after that they are only emptied,
    which is much faster than dropping and creating them for every test."""
    with app.app_context():
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri not in _fresh_schemas:
            _db.drop_all()
            with _db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            _db.create_all()
            _fresh_schemas.add(uri)
            return
        tables = _db.metadata.sorted_tables
        with _db.engine.begin() as conn:
            if _db.engine.dialect.name == "postgresql":
                # One round trip: DELETE (far faster than TRUNCATE for the few
                # rows a test leaves) and every id sequence back to 1.
                deletes = "".join(f'DELETE FROM "{t.name}"; ' for t in reversed(tables))
                conn.exec_driver_sql(
                    deletes + "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, false) "
                    "FROM pg_sequences WHERE schemaname = current_schema()")
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())
                if conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                    conn.execute(text("DELETE FROM sqlite_sequence"))


class FreshGlobalsClient(FlaskClient):
    """The fixtures keep one app context open for the whole test, so requests
    would share ``g`` (and Flask-Login's cached user). A real server starts
    every request with an empty ``g``; so does this client."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


_apps: dict[str, Flask] = {}


def shared_app(tmp_path) -> Flask:
    """One app per database for the whole run: building one costs about 80 ms
    (werkzeug compiles a URL builder for each of the ~130 routes), and the
    configuration is the same for every test that uses this fixture. Tests
    that need other settings build their own app with ``create_app``."""
    config = app_config(tmp_path)
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri not in _apps:
        _apps[uri] = create_app(config)
        _apps[uri].test_client_class = FreshGlobalsClient
    return _apps[uri]


@pytest.fixture
def app(tmp_path):
    app = shared_app(tmp_path)
    # A test may change settings; the next test starts from the same ones.
    saved_config = app.config.copy()
    app.extensions["mail_deliverer"].wait_idle()  # nothing of the last test still being sent
    reset_schema(app)
    limiter.reset()
    if "mail_outbox" in app.extensions:
        app.extensions["mail_outbox"].clear()
    for store in ("miado_pagecache", "miado_feed_bodies", "miado_vevents", "miado_mso_list"):
        app.extensions[store].clear()
    try:
        with app.app_context():
            yield app
            app.extensions["mail_deliverer"].wait_idle()
            _db.session.remove()
            _db.engine.dispose()
    finally:
        app.config.clear()
        app.config.update(saved_config)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    """A test client that asks for English pages (German is the default; tests
    that check German say so explicitly)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def outbox(app):
    """E-mails delivered (after commit) during the test."""
    box = app.extensions["mail_outbox"]
    box.clear()
    return box


@pytest.fixture
def make_user(db):
    """Factory: a verified user with PASSWORD, committed."""
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.MEMBER, *, email: str | None = None, name: str | None = None,
             verified: bool = True, locale: str = "en", password: str = PASSWORD) -> User:
        n = next(counter)
        role_value = role.value if isinstance(role, Role) else role
        user = User(
            email=email or f"{role_value}{n}@example.org",
            name=name or f"{role_value.title()} Person {n}",
            role=role_value,
            locale=locale,
            password_hash=hash_password(password),
            email_verified_at=utcnow() if verified else None,
            privacy_consent_version="test",
            privacy_consent_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Log ``user`` in through the real log-in form."""

    def do_login(user: User, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do_login


def csrf_token(client, url: str = "/login") -> str:
    """Read a CSRF token from a rendered form (for tests with CSRF switched on)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


def link_from_mail(msg, pattern: str) -> str:
    """The first URL in the plain-text part of ``msg`` whose path matches."""
    body = msg.get_body(("plain",)).get_content()
    match = re.search(r"https?://\S*" + pattern + r"\S*", body)
    assert match, f"no link matching {pattern!r} in mail: {body}"
    return match.group(0)


@contextlib.contextmanager
def count_statements(engine):
    """Collect the SQL statements ``engine`` runs inside the block."""
    from sqlalchemy import event as sa_event

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
