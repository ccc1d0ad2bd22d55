"""Shared set-up for the check-in unit tests: frozen times around the first
session (Wednesday 10 March 2027, 18:00–20:00 in Dortmund = 17:00–19:00 UTC),
a few helpers, and reading QR codes back from PNG images with OpenCV.

The services answer in the current language: German, the app's default,
unless a test says otherwise (``english``)."""
from __future__ import annotations

import contextlib
from datetime import timedelta

import cv2
import numpy as np
from flask_babel import force_locale
from sqlalchemy import func, select

from miado_events.checkin import services as checkin
from miado_events.models.accounts import Role, User
from miado_events.models.checkin import Attendance
from miado_events.models.events import Registration

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


def decode_qr(image: bytes) -> str:
    """The text of the QR code in an encoded image (PNG, JPEG), '' if none.

    OpenCV's classic detector misses about one clean, computer-drawn code in
    twenty (a weakness of its finder-pattern search, not of the codes: its
    ArUco-based detector reads every one of them), so that one is asked
    second."""
    pixels = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
    assert pixels is not None, "not an image"
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        text, _points, _straight = detector.detectAndDecode(pixels)
        if text:
            return text
    return ""
