"""MIA-DO Events: the app factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
# In the source tree templates/ and static/ sit beside the package; a built
# package carries them inside (setup.py) and keeps its instance folder where
# Flask puts one for an installed package (<prefix>/var/miado_events-instance).
INSTALLED = (PACKAGE_DIR / "templates").is_dir()
ASSETS_DIR = PACKAGE_DIR if INSTALLED else ROOT_DIR


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ASSETS_DIR / "templates"),
        static_folder=str(ASSETS_DIR / "static"),
        instance_path=None if INSTALLED else str(ROOT_DIR / "instance"),
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from . import config

    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not (test_config and "SQLALCHEMY_ENGINE_OPTIONS" in test_config):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])

    _init_extensions(app)
    from . import unit_of_work

    unit_of_work.init_app(app)  # first: its after_request runs last
    _register_blueprints(app)
    _connect_receivers()

    from . import assets, cli, errorpages, inputs, pagecache, web

    inputs.init_app(app)
    assets.init_app(app)
    pagecache.init_app(app)
    web.init_app(app)
    errorpages.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from sqlalchemy import event

    from . import models  # noqa: F401  (register every table)
    from .database import sqlite_local_month
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(PACKAGE_DIR / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.refresh_view = "accounts.login"

    @login_manager.user_loader
    def load_user(user_id: str):
        from .accounts.services import load_user_by_session_id

        return load_user_by_session_id(user_id)

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        synchronous = app.config.get("SQLITE_SYNCHRONOUS") or "NORMAL"
        if synchronous not in SQLITE_SYNCHRONOUS_MODES:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_MODES)}, "
                             f"not {synchronous!r}")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # We open transactions ourselves (_sqlite_begin below): pysqlite's
            # own handling does not BEGIN before a SAVEPOINT, so a savepoint as
            # the first write became the transaction and its RELEASE committed
            # it (a later rollback of the request kept the row).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # A rush of registrations queues for SQLite's single writer:
            # wait up to 30 s rather than fail (PostgreSQL has row locks).
            cursor.execute("PRAGMA busy_timeout=30000")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit:
            # no corruption, a commit survives an app crash (config.py).
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()
            # SQLite's lower() folds ASCII only; searches need Ä → ä as well.
            dbapi_connection.create_function(
                "lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)
            dbapi_connection.create_function("local_month", 1, sqlite_local_month, deterministic=True)

        from .sqlite_writes import use_write_lock

        @event.listens_for(engine, "do_connect")
        def _sqlite_write_lock(_dialect, _record, _cargs, cparams):
            # Writers queue for a file lock (woken at once) instead of
            # polling SQLite's lock: see miado_events/sqlite_writes.py.
            use_write_lock(cparams, engine.url.database)

        @event.listens_for(engine, "before_cursor_execute")
        def _sqlite_begin(conn, _cursor, statement, _parameters, _context, _executemany):
            _begin_sqlite_write(conn, statement)

    from .mail import init_app as init_mail

    init_mail(app)


#: The values of SQLite's PRAGMA synchronous that SQLITE_SYNCHRONOUS may name.
SQLITE_SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")

#: Statements that write, or open a savepoint for writes (DDL stays outside, as before).
_SQLITE_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


def _begin_sqlite_write(conn, statement: str) -> None:
    """Open the SQLite transaction at its first write or savepoint, with
    ``BEGIN IMMEDIATE`` (SQLAlchemy's pysqlite recipe takes over BEGIN; this is
    its lazy variant).

    Why not a ``BEGIN`` (DEFERRED) in the engine's "begin" event, before the
    first statement: a transaction that reads, then writes, holds a read
    snapshot from its first SELECT; if another process commits meanwhile, the
    upgrade to a write lock fails at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not retry), and a rush of
    registrations would fail instead of queueing. Here the reads before the
    first write run outside a transaction (as with pysqlite's own handling,
    which BEGINs before the first INSERT/UPDATE/DELETE), and the transaction
    starts with the write lock taken (IMMEDIATE waits up to busy_timeout for
    it), so it never needs an upgrade. From then on everything up to the
    COMMIT or ROLLBACK is one transaction, savepoints included."""
    dbapi_connection = conn.connection.dbapi_connection
    if (dbapi_connection is None or dbapi_connection.in_transaction
            or dbapi_connection.isolation_level is not None
            or conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"):
        return
    if statement.lstrip()[:10].upper().startswith(_SQLITE_WRITES):
        begin_write = getattr(dbapi_connection, "begin_write", None)
        if begin_write is not None:
            begin_write()  # the file lock first, then BEGIN IMMEDIATE
        else:
            dbapi_connection.execute("BEGIN IMMEDIATE")


def _connect_receivers() -> None:
    """The higher layers listen to what the lower ones announce
    (``miado_events.signals``); connecting twice changes nothing."""
    from . import notifications
    from .voting import notifications as voting_notifications

    notifications.connect_receivers()
    from .orgs import receivers as org_receivers
    org_receivers.connect_receivers()
    voting_notifications.connect_receivers()


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in every route, limited to the range of the id columns: a
    larger number (or 0) is a 404 instead of a database error."""

    def __init__(self, map, *args, **kwargs):
        from .inputs import MAX_ID

        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    from .accounts.views import bp as accounts_bp
    from .privacy.views import bp as privacy_bp
    from .privacy.views import require_current_consent
    from .admin.views import bp as admin_bp
    from .events.staff_views import bp as staff_events_bp
    from .events.views import bp as events_bp
    from .events.offer_views import bp as event_offers_bp
    from .events.rep_views import bp as rep_events_bp
    from .calendar.views import bp as calendar_bp
    from .checkin.views import bp as checkin_bp
    from .dashboard.views import bp as dashboard_bp
    from .voting.staff_views import bp as staff_voting_bp
    from .voting.views import bp as voting_bp
    from .mail.views import bp as mail_bp
    from .orgs.views import bp as orgs_bp
    from .pages.views import bp as pages_bp
    from .outreach.views import bp as outreach_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(orgs_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(event_offers_bp)
    app.register_blueprint(staff_events_bp, url_prefix="/staff")
    app.register_blueprint(rep_events_bp)
    app.register_blueprint(mail_bp, url_prefix="/staff")
    app.register_blueprint(calendar_bp)
    app.register_blueprint(checkin_bp)
    app.register_blueprint(dashboard_bp, url_prefix="/staff")
    app.register_blueprint(voting_bp)
    app.register_blueprint(staff_voting_bp, url_prefix="/staff")
    app.register_blueprint(privacy_bp)
    app.register_blueprint(outreach_bp)
    from .events.guest_views import bp as guests_bp
    app.register_blueprint(guests_bp)
    from .privacy.manage_views import bp as manage_bp
    app.register_blueprint(manage_bp)
    from .meetings.agenda_views import bp as agenda_bp
    app.register_blueprint(agenda_bp)
    from .meetings.material_views import bp as materials_bp
    app.register_blueprint(materials_bp)
    app.before_request(require_current_consent)
