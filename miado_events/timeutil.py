"""Local time (Europe/Berlin) in forms and pages; UTC in the database."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Berlin")


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a Berlin wall-clock time (DST-aware). A time that
    does not exist (spring forward) moves forward; an ambiguous one (autumn)
    takes the first occurrence."""
    local = datetime.combine(day, at).replace(tzinfo=LOCAL_TZ, fold=0)
    as_utc = local.astimezone(timezone.utc)
    # Round-trip check: a non-existent wall time does not survive it.
    if as_utc.astimezone(LOCAL_TZ).replace(tzinfo=None) != local.replace(tzinfo=None):
        return datetime.combine(day, at).replace(tzinfo=LOCAL_TZ, fold=1).astimezone(timezone.utc)
    return as_utc


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)
