"""The archive of a meeting series (an event): its past sessions, newest
first, each with its published agenda and the minutes and materials the
viewer may see (``materials.can_see``), searchable by text.

The search narrows the sessions in SQL (LIKE with the wildcards of the
search text escaped, never raw SQL) over published agenda item titles,
minutes and material titles; a session is kept only if the text is found
in an item the viewer may see, so a search never reveals what they may
not read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models.events import Event, EventSession, SessionStatus
from ..models.materials import Material, SessionMinutes
from ..models.meetings import AgendaItem, MeetingAgenda
from ..models.translated import translated_texts, translations_contain
from .agenda import published_agendas
from .materials import can_see, materials_of

PER_PAGE = 10
MAX_QUERY = 200


@dataclass
class Entry:
    """One past session as the viewer may see it."""

    session: EventSession
    agenda: list = field(default_factory=list)
    minutes: SessionMinutes | None = None
    materials: list[Material] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.agenda or self.minutes or self.materials)

    def mentions(self, needle: str) -> bool:
        texts = [item.title for item in self.agenda]
        texts += [t for item in self.agenda for t in translated_texts(item.translations, "title")]
        texts += [m.title for m in self.materials] + [m.filename for m in self.materials]
        if self.minutes is not None:
            texts.append(self.minutes.body)
        return any(needle in text.casefold() for text in texts)


@dataclass
class Page:
    """What ``_macros/pagination.html`` needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def clean_query(q: str | None) -> str:
    return " ".join((q or "").split())[:MAX_QUERY]


def past_sessions(event: Event, now):
    """SELECT of the event's sessions that have ended (not cancelled), newest first."""
    return (select(EventSession)
            .where(EventSession.event_id == event.id, EventSession.ends_at <= now,
                   EventSession.status == SessionStatus.SCHEDULED.value)
            .order_by(EventSession.starts_at.desc(), EventSession.id.desc()))


def _contains(column, text: str):
    """Case-insensitive LIKE with ``%`` and ``_`` of ``text`` escaped."""
    return or_(column.contains(text, autoescape=True),
               func.lower(column).contains(text.lower(), autoescape=True))


def _matching(query, text: str):
    """``query`` narrowed to sessions where ``text`` occurs in a published
    item (whoever may see it: ``Entry.mentions`` decides that afterwards)."""
    in_agenda = (select(AgendaItem.session_id)
                 .join(MeetingAgenda, MeetingAgenda.session_id == AgendaItem.session_id)
                 .where(MeetingAgenda.published_at.is_not(None),
                        or_(_contains(AgendaItem.title, text), translations_contain(AgendaItem, text, "title"))))
    in_minutes = select(SessionMinutes.session_id).where(
        SessionMinutes.published_at.is_not(None), _contains(SessionMinutes.body, text))
    in_materials = select(Material.session_id).where(
        Material.published_at.is_not(None),
        or_(_contains(Material.title, text), _contains(Material.filename, text)))
    return query.where(or_(EventSession.id.in_(in_agenda), EventSession.id.in_(in_minutes),
                           EventSession.id.in_(in_materials)))


def entries_for(viewer, sessions) -> list[Entry]:
    """The sessions with what ``viewer`` may see of them (three statements)."""
    sessions = list(sessions)
    ids = [s.id for s in sessions]
    agendas = published_agendas(sessions)
    minutes = {m.session_id: m for m in db.session.scalars(
        select(SessionMinutes).where(SessionMinutes.session_id.in_(ids)))} if ids else {}
    materials = materials_of(ids)
    entries = []
    for session in sessions:
        shown = minutes.get(session.id)
        entries.append(Entry(session=session, agenda=agendas.get(session.id, []),
                             minutes=shown if shown is not None and can_see(viewer, shown) else None,
                             materials=[m for m in materials[session.id] if can_see(viewer, m)]))
    return entries


def archive_page(viewer, event: Event, now, *, q: str = "", page: int = 1) -> Page:
    """One page of the event's archive for ``viewer``, matching ``q``."""
    q = clean_query(q)
    page = max(page, 1)
    query = past_sessions(event, now)
    if not q:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
        sessions = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
        return Page(entries_for(viewer, sessions), page, PER_PAGE, total or 0)
    needle = q.casefold()
    found = [e for e in entries_for(viewer, db.session.scalars(_matching(query, q))) if e.mentions(needle)]
    start = (page - 1) * PER_PAGE
    return Page(found[start:start + PER_PAGE], page, PER_PAGE, len(found))
