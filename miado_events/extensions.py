"""Unbound extensions; create_app() binds them."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
import click
from flask_wtf import CSRFProtect

from .database import Base, json_dumps


class Migrate:
    """Flask-Migrate, loaded when a migration runs, not by every web worker:
    Alembic (with Mako and Pygments) is some 6 MB per process that serving
    pages never uses. ``flask db …``, ``flask_migrate.upgrade()`` and the
    migrations' env.py work as before: the first use builds the real
    extension (which then replaces these stand-ins)."""

    def init_app(self, app, db, **kwargs) -> None:
        app.extensions["migrate"] = _MigrateOnFirstUse(app, db, kwargs)
        app.cli.add_command(_MigrateCommands("db", help="Perform database migrations."))


class _MigrateOnFirstUse:
    """Stands in ``app.extensions["migrate"]`` until an attribute is read."""

    def __init__(self, app, db, kwargs: dict):
        self._args = (app, db, kwargs)

    def __getattr__(self, name: str):
        from flask_migrate import Migrate as FlaskMigrate

        app, db, kwargs = self._args
        FlaskMigrate(app, db, **kwargs)  # sets app.extensions["migrate"] and the `db` commands
        return getattr(app.extensions["migrate"], name)


class _MigrateCommands(click.Group):
    """The ``flask db`` group, handing over to Flask-Migrate's when invoked."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self._real().get_command(ctx, cmd_name)


# JSON columns keep non-ASCII text as it is (a LIKE over translations finds "Yıllık").
db = SQLAlchemy(model_class=Base, engine_options={"json_serializer": json_dumps})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def limit_from_config(config_key: str, *, methods: tuple[str, ...] | None = ("POST",),
                      deduct_when=None):
    """Rate-limit a view by the limit string in ``config[config_key]``: its
    POSTs, or the ``methods`` given (None: every method); ``deduct_when(response)``
    says which answers count (default: all)."""
    from flask import current_app

    return limiter.limit(lambda: current_app.config[config_key],
                         methods=list(methods) if methods else None, deduct_when=deduct_when)
