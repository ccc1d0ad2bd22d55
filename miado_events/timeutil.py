"""Local time (Europe/Berlin) in forms and pages; UTC in the database."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a Berlin wall-clock time (DST-aware). A time that
    does not exist (02:30 when the clocks spring forward) is read with the
    winter offset, i.e. it lands an hour later on the wall clock (03:30); an
    ambiguous one (autumn) takes its first occurrence (summer time)."""
    return datetime.combine(day, at).replace(tzinfo=LOCAL_TZ, fold=0).astimezone(timezone.utc)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def next_local_midnight(now: datetime) -> datetime:
    """The UTC instant the next Berlin day begins (DST-aware)."""
    return local_to_utc(to_local(now).date() + timedelta(days=1), time(0, 0))
