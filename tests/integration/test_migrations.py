"""The Alembic migrations build exactly the schema the models describe, on
SQLite and on PostgreSQL, and can be undone."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from miado_events import create_app
from miado_events.extensions import db

from .. import conftest


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(tmp_path):
    app = create_app(conftest.app_config(tmp_path))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with app.app_context():
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            upgrade()
            with db.engine.connect() as conn:
                assert _diff(conn) == []
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "organisations", "events", "registrations"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        # The next test rebuilds its schema with create_all.
        conftest._fresh_schemas.discard(uri)
        with app.app_context():
            db.engine.dispose()
