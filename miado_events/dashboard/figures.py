"""The dashboard's figures that change only when the data does, kept per
process and per language until it changes.

The upcoming sessions (fill rate, waiting list, MSO concentration), the
registrations of the last seven days and the list of today's sessions read
only tables whose every write changes ``pagecache.current_version()``
(events, sessions, slots, registrations, MSOs). They are computed and
formatted (dates, percentages, labels in the reader's language) once, stored
with the version read *before* them — so a copy can be older than its version
but never newer — and served again while the version is unchanged, for at
most ``TTL``: the windows "next 14 days" and "last 7 days" move with the
clock, so a copy is at most that much behind it. A session that has started
is dropped from the upcoming list when the copy is served; the list of
today's sessions is built again after midnight.

What is not behind a watched table is read on every request: the queues
(applications, join requests, proposals, failed e-mails), the calendar
replies and today's check-in counts. Never a page is kept: the page carries
the reader's name, CSRF token and messages. Only the rows of the upcoming
sessions are kept as HTML (``templates/dashboard/_upcoming.html``): the same
for every staff member reading that language, and most of the page's work.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, get_template_attribute, url_for
from flask_babel import format_time, get_locale
from markupsafe import Markup

from ..models.events import EventKind
from ..pagecache import LRUStore, current_version
from ..timeutil import next_local_midnight
from . import overview

#: How long a copy may be served while nothing is written (the clock moves
#: the windows of the upcoming sessions and of the recent registrations).
TTL = timedelta(seconds=60)
_STORE = "miado_dashboard_figures"


@dataclass(frozen=True)
class UpcomingRow:
    """One upcoming session and its table row, rendered in the reader's language."""
    session: overview.UpcomingSession
    html: Markup

    @property
    def starts_at(self) -> datetime:
        return self.session.starts_at


@dataclass(frozen=True)
class TodayRow:
    """One of today's sessions; its check-in count is read on each request."""
    session_id: int
    title: str
    url: str
    times: str
    confirmed: int


@dataclass(frozen=True)
class Figures:
    upcoming: list[UpcomingRow]
    recent: dict[str, int]
    today: list[TodayRow]


@dataclass(frozen=True)
class _Entry:
    version: int
    built_at: datetime
    until: datetime
    figures: Figures


def _store() -> LRUStore:
    """This app's copies (tests build several apps in one process)."""
    return current_app.extensions.setdefault(_STORE, LRUStore(16))


def clear() -> None:
    _store().clear()


def _build(now: datetime) -> Figures:
    row = get_template_attribute("dashboard/_upcoming.html", "row")
    upcoming = [UpcomingRow(session=s, html=row(s, EventKind.label_of(s.kind))) for s in overview.upcoming_sessions(now)]
    today = [
        TodayRow(session_id=s.session_id, title=s.title, url=url_for("checkin.scanner", session_id=s.session_id),
                 times=f"{format_time(s.starts_at, 'short')}–{format_time(s.ends_at, 'short')}",
                 confirmed=s.confirmed)
        for s in overview.todays_sessions(now)]
    return Figures(upcoming=upcoming, recent=overview.recent_registrations(now), today=today)


def figures(now: datetime) -> Figures:
    """The figures as of ``now`` (or of at most ``TTL`` before it, with nothing
    written since), in the reader's language."""
    version = current_version()  # before the data: see the module's notes
    if version is None:  # nothing written yet: nothing to compare with
        return _build(now)
    key = str(get_locale())
    store = _store()
    entry = store.get(key)
    if entry is None or entry.version != version or not entry.built_at <= now < entry.until:
        entry = _Entry(version, now, min(now + TTL, next_local_midnight(now)), _build(now))
        store.put(key, entry)
    upcoming = entry.figures.upcoming
    if upcoming and upcoming[0].starts_at < now:
        upcoming = [row for row in upcoming if row.starts_at >= now]
    return Figures(upcoming=upcoming, recent=entry.figures.recent, today=entry.figures.today)


def checked_in(today: list[TodayRow]) -> dict[int, int]:
    """Check-ins per session of today, read now (1 query; none without sessions)."""
    return overview.checked_in_counts([row.session_id for row in today]) if today else {}
