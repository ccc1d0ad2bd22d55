"""Shared set-up for the check-in unit tests: frozen times around the first
session (Wednesday 10 March 2027, 18:00–20:00 in Dortmund = 17:00–19:00 UTC),
a few helpers; QR codes are read back with ``tests.qr``.

The services answer in the current language: German, the app's default,
unless a test says otherwise (``english``)."""
from __future__ import annotations

import contextlib
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import func, select

from miado_events.checkin import services as checkin
from miado_events.models.accounts import Role, User
from miado_events.models.checkin import Attendance
from miado_events.models.events import Registration

from ..qr import decode_qr  # noqa: F401  (re-exported for the check-in tests)
from .events_support import SESSION_START, register, slot_of

SESSION_END = SESSION_START + timedelta(hours=2)
# Check-in opens 60 minutes before the start and closes 30 minutes after the end.
WINDOW_OPENS = SESSION_START - timedelta(minutes=60)
WINDOW_CLOSES = SESSION_END + timedelta(minutes=30)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def seat(db, person: User, event, index: int = 0, org=None) -> Registration:
    """Register ``person`` for the ``index``-th session's slot (committed)."""
    return register(db, person, slot_of(event, index), org).registration


def door_staff_for(db, make_user, staff: User, event) -> User:
    """A door staff account assigned to ``event``."""
    door = make_user(Role.DOOR)
    checkin.assign_door_staff(staff, event, door)
    db.session.commit()
    return door


def attendances(db, registration: Registration | None = None) -> list[Attendance]:
    query = select(Attendance).order_by(Attendance.session_id)
    if registration is not None:
        query = query.where(Attendance.registration_id == registration.id)
    return list(db.session.scalars(query))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@contextlib.contextmanager
def english():
    with force_locale("en"):
        yield
