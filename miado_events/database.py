"""Declarative base, naming convention and column types shared by all models."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def json_dumps(value) -> str:
    """The JSON columns' serializer: non-ASCII text as it is (a LIKE over the
    content translations finds "Yıllık" or "اجتماع"), not as \\u escapes."""
    return json.dumps(value, ensure_ascii=False)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def dialect_insert(table, bind=None):
    """``INSERT`` for the database in use, with PostgreSQL's and SQLite's
    ``on_conflict_do_nothing()`` / ``on_conflict_do_update()``. ``bind`` is
    the connection the statement runs on (default: the app's session)."""
    if bind is None:
        from .extensions import db

        bind = db.session.get_bind()
    return (postgresql if bind.dialect.name == "postgresql" else sqlite).insert(table)


def insert_or_ignore(table, *, key: list[str], **values):
    """``INSERT ... ON CONFLICT (key) DO NOTHING``: the row is there afterwards,
    whoever inserted it (two requests at the same moment both succeed)."""
    return dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=key)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored as UTC on every backend.

    SQLite keeps no zone, so values are normalised to UTC on the way in and
    marked as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware values")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def sqlite_local_month(value):
    """SQL function ``local_month`` on SQLite (PostgreSQL has time zones):
    ``YYYY-MM`` in Berlin time of a stored UTC timestamp."""
    if value is None:
        return None
    from .timeutil import to_local

    moment = datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)
    return to_local(moment).strftime("%Y-%m")


MAX_PAGE = 10_000


def paginate(query, *, per_page: int):
    """``db.paginate`` with the page number from the request, kept within
    1..MAX_PAGE (a huge number would be an OFFSET the database refuses);
    a page past the end is simply empty."""
    from flask import request

    from .extensions import db

    page = request.args.get("page", 1, type=int) or 1
    return db.paginate(query, page=min(max(page, 1), MAX_PAGE), per_page=per_page, error_out=False)
