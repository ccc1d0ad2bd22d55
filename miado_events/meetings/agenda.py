"""The agenda of a session: ordered items that staff add, edit, move and
delete, then publish. Services take the acting user and never commit.

Only a published agenda is shown to anyone but staff (pages, feeds, invites,
the MSO page). Publishing it, withdrawing it or changing a published agenda
raises the session's SEQUENCE (calendar apps refresh the invite's
DESCRIPTION) and, for a published session that has not ended, announces
``signals.session_changed`` with ``changes=["agenda"]``: the notifications
layer sends each registered person one update in their language.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit, signals
from ..database import insert_or_ignore, utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import with_formats
from ..models.accounts import User
from ..models.events import Event, EventSession, EventStatus
from ..models.meetings import MAX_ITEM_MINUTES, AgendaItem, AgendaKind, MeetingAgenda
from ..models.orgs import LANGUAGE_CODES, Organisation
from ..models import translated
from ..models.translated import localized
from ..permissions import ensure, is_staff


def _require_staff(actor: User) -> None:
    ensure(is_staff, actor)


def _invalid(message) -> DomainError:
    return DomainError("agenda_invalid", message)


def _gone() -> DomainError:
    return DomainError("item_gone", _l("This item has just been deleted by someone else."))


# --- reading ---------------------------------------------------------------------------------

def agenda_of(session: EventSession) -> MeetingAgenda | None:
    return db.session.get(MeetingAgenda, session.id)


def _agenda_row(session: EventSession) -> MeetingAgenda:
    agenda = agenda_of(session)
    if agenda is None:
        agenda = MeetingAgenda(session_id=session.id, session=session)
        db.session.add(agenda)
    return agenda


def lock_agenda(session: EventSession) -> MeetingAgenda:
    """Every change to a session's agenda (its items, publishing, the deadline,
    deciding a proposal) first locks its agenda row (created if missing), so
    two staff members at the same moment take turns instead of colliding on
    the items' positions (on SQLite the write transaction already does)."""
    db.session.execute(insert_or_ignore(MeetingAgenda, key=["session_id"], session_id=session.id,
                                        updated_at=utcnow()))
    return db.session.scalar(select(MeetingAgenda).where(MeetingAgenda.session_id == session.id)
                             .with_for_update().execution_options(populate_existing=True))


def is_published(session: EventSession) -> bool:
    agenda = agenda_of(session)
    return agenda is not None and agenda.is_published


def items_of(session: EventSession, *, fresh: bool = False) -> list[AgendaItem]:
    """All items in their order (staff); ``fresh``: as the database has them
    now (after ``lock_agenda``), not as this request loaded them before."""
    query = (select(AgendaItem).where(AgendaItem.session_id == session.id)
             .options(joinedload(AgendaItem.presenter_org)).order_by(AgendaItem.position))
    if fresh:
        query = query.execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def published_agendas(sessions) -> dict[int, list[AgendaItem]]:
    """``{session id: items}`` of the sessions whose agenda is published, in
    one query however many sessions (the event page)."""
    ids = [s.id for s in sessions]
    if not ids:
        return {}
    items = db.session.scalars(
        select(AgendaItem).join(MeetingAgenda, MeetingAgenda.session_id == AgendaItem.session_id)
        .where(AgendaItem.session_id.in_(ids), MeetingAgenda.published_at.is_not(None))
        .options(joinedload(AgendaItem.presenter_org))
        .order_by(AgendaItem.session_id, AgendaItem.position))
    result: dict[int, list[AgendaItem]] = {}
    for item in items:
        result.setdefault(item.session_id, []).append(item)
    return result


def visible_items(viewer, session: EventSession) -> list[AgendaItem]:
    """What ``viewer`` may see of the agenda: everything for staff, the
    published agenda for everyone else (nothing before it is published)."""
    if is_staff(viewer):
        return items_of(session)
    return published_agendas([session]).get(session.id, [])


def agenda_text(session: EventSession, locale: str) -> str:
    """The published agenda as plain text in ``locale`` (the invite's and the
    feeds' DESCRIPTION, the update mail); empty when nothing is published."""
    return agenda_texts([session], locale).get(session.id, "")


def agenda_texts(sessions, locale: str) -> dict[int, str]:
    """``{session id: agenda_text}`` of the sessions with a published agenda,
    in one query however many sessions (a feed)."""
    agendas = published_agendas(sessions)
    if not agendas:
        return {}
    with force_locale(with_formats(locale)):
        return {session_id: _as_text(items, locale) for session_id, items in agendas.items()}


def _as_text(items: list[AgendaItem], locale: str) -> str:
    """Each item's title and description in ``locale`` where translated, else in German."""
    lines = [_("Agenda")]
    for number, item in enumerate(items, start=1):
        line = _("%(number)d. %(title)s (%(kind)s, %(minutes)d min.)", number=number,
                 title=localized(item, "title", locale).text, kind=item.kind_label, minutes=item.minutes)
        if item.presenter:
            line += " – " + item.presenter
        lines.append(line)
        description = localized(item, "description", locale).text
        if description:
            lines.append("   " + " ".join(description.split()))
    return "\n".join(lines)


def items_presented_by(org: Organisation) -> list[AgendaItem]:
    """The published agenda items ``org`` presents, in events that are not
    drafts, newest session first (the MSO page)."""
    return list(db.session.scalars(
        select(AgendaItem)
        .join(MeetingAgenda, MeetingAgenda.session_id == AgendaItem.session_id)
        .join(EventSession, EventSession.id == AgendaItem.session_id)
        .join(Event, Event.id == EventSession.event_id)
        .where(AgendaItem.presenter_org_id == org.id, MeetingAgenda.published_at.is_not(None),
               Event.status != EventStatus.DRAFT.value)
        .options(joinedload(AgendaItem.session).joinedload(EventSession.event))
        .order_by(EventSession.starts_at.desc(), AgendaItem.position)))


# --- the announcement -------------------------------------------------------------------------

def _registered(session: EventSession):
    # The same people a change of time or place reaches.
    from ..events.services import _affected_by_session

    return _affected_by_session(session)


def _changed(session: EventSession, now: datetime, *, visible: bool) -> None:
    """After a change to the agenda: ``visible`` when people outside the
    office can see the change (the agenda is or was published)."""
    agenda = _agenda_row(session)
    agenda.updated_at = now
    if not visible:
        db.session.flush()
        return
    session.sequence += 1
    session.event.updated_at = now  # feeds' Last-Modified and ETag
    db.session.flush()
    if session.event.is_published and session.is_scheduled and session.ends_at > now:
        signals.session_changed.send(session, registrations=_registered(session), changes=["agenda"])


# --- editing ----------------------------------------------------------------------------------

@dataclass
class ItemData:
    title: str
    kind: str
    minutes: int
    presenter_name: str = ""
    presenter_org_id: int | None = None
    languages: list[str] = field(default_factory=list)
    description: str = ""


def _clean(data: ItemData) -> ItemData:
    data.title = " ".join((data.title or "").split())
    if not data.title:
        raise _invalid(_l("Please enter a title."))
    if len(data.title) > 200:
        raise _invalid(_l("The title can have at most %(n)d characters.", n=200))
    if data.kind not in AgendaKind.values():
        raise _invalid(_l("Please choose the kind of item."))
    if not isinstance(data.minutes, int) or not 1 <= data.minutes <= MAX_ITEM_MINUTES:
        raise _invalid(_l("The planned duration must be between 1 and %(n)d minutes.", n=MAX_ITEM_MINUTES))
    data.presenter_name = " ".join((data.presenter_name or "").split())[:200]
    if data.presenter_org_id is not None and db.session.get(Organisation, data.presenter_org_id) is None:
        raise _invalid(_l("Please choose an organisation from the list."))
    if any(code not in LANGUAGE_CODES for code in data.languages):
        raise _invalid(_l("Please choose languages from the list."))
    data.languages = list(dict.fromkeys(data.languages))
    data.description = (data.description or "").strip()[:2000]
    return data


def _check_session(session: EventSession) -> None:
    if session.event.is_cancelled or not session.is_scheduled:
        raise DomainError("session_cancelled", _l("This session has been cancelled."))


def _apply(item: AgendaItem, data: ItemData) -> None:
    item.title, item.kind, item.minutes = data.title, data.kind, data.minutes
    item.presenter_name = data.presenter_name or None
    item.presenter_org_id = data.presenter_org_id
    item.languages = data.languages
    item.description = data.description or None


def _next_position(session: EventSession) -> int:
    positions = db.session.scalars(select(AgendaItem.position).where(AgendaItem.session_id == session.id))
    return max(positions, default=0) + 1


def add_item(actor: User, session: EventSession, data: ItemData, *,
             now: datetime | None = None) -> AgendaItem:
    """A new item at the end of the agenda."""
    now = now or utcnow()
    _require_staff(actor)
    _check_session(session)
    data = _clean(data)
    lock_agenda(session)
    item = AgendaItem(session_id=session.id, position=_next_position(session), created_at=now)
    _apply(item, data)
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "agenda.change", item, item.title, now=now, change="add", session_id=session.id)
    _changed(session, now, visible=is_published(session))
    return item


def save_item_translations(actor: User, item: AgendaItem, sent: dict) -> bool:
    """Staff store the translations of an item's title and description
    (``translated.translations_from_form``), after its German text."""
    _require_staff(actor)
    return translated.save_translations(item, sent)


def update_item(actor: User, item: AgendaItem, data: ItemData, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    _require_staff(actor)
    _check_session(item.session)
    data = _clean(data)
    lock_agenda(item.session)
    before = (item.title, item.kind, item.minutes, item.presenter_name, item.presenter_org_id,
              list(item.languages or []), item.description)
    _apply(item, data)
    after = (item.title, item.kind, item.minutes, item.presenter_name, item.presenter_org_id,
             list(item.languages or []), item.description)
    if before == after:
        return
    audit.record(actor, "agenda.change", item, item.title, now=now, change="update")
    _changed(item.session, now, visible=is_published(item.session))


def move_item(actor: User, item: AgendaItem, direction: str, *, now: datetime | None = None) -> bool:
    """One place up or down; False when it already is first or last."""
    now = now or utcnow()
    _require_staff(actor)
    _check_session(item.session)
    if direction not in ("up", "down"):
        raise _invalid(_l("Please choose up or down."))
    lock_agenda(item.session)
    items = items_of(item.session, fresh=True)  # the places as they are now
    index = next((i for i, other in enumerate(items) if other.id == item.id), None)
    if index is None:
        raise _gone()
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(items):
        return False
    other = items[target]
    mine, theirs = item.position, other.position
    # Swap through a free position: (session_id, position) is unique at every step.
    item.position = _next_position(item.session)
    db.session.flush()
    other.position = mine
    db.session.flush()
    item.position = theirs
    db.session.flush()
    audit.record(actor, "agenda.change", item, item.title, now=now, change=direction)
    _changed(item.session, now, visible=is_published(item.session))
    return True


def delete_item(actor: User, item: AgendaItem, *, now: datetime | None = None) -> None:
    """Delete an item; those after it move up (no gap in the numbering)."""
    now = now or utcnow()
    _require_staff(actor)
    session = item.session
    _check_session(session)
    lock_agenda(session)
    if item.id not in {i.id for i in items_of(session, fresh=True)}:  # the places as they are now
        raise _gone()
    position = item.position
    audit.record(actor, "agenda.change", item, item.title, now=now, change="delete", session_id=session.id)
    db.session.delete(item)
    db.session.flush()
    for later in items_of(session, fresh=True):  # in order, so each moves into a free place
        if later.position > position:
            later.position -= 1
            db.session.flush()
    _changed(session, now, visible=is_published(session))


def publish_agenda(actor: User, session: EventSession, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    _require_staff(actor)
    _check_session(session)
    agenda = lock_agenda(session)
    if agenda.is_published:
        raise DomainError("agenda_published", _l("The agenda is already published."))
    if not items_of(session):
        raise DomainError("agenda_empty", _l("Add at least one item before publishing the agenda."))
    agenda.published_at = now
    audit.record(actor, "agenda.publish", session, session.event.title, now=now)
    _changed(session, now, visible=True)


def unpublish_agenda(actor: User, session: EventSession, *, now: datetime | None = None) -> None:
    """Withdraw a published agenda (it disappears from pages, feeds and invites)."""
    now = now or utcnow()
    _require_staff(actor)
    agenda = lock_agenda(session)
    if not agenda.is_published:
        raise DomainError("agenda_not_published", _l("The agenda is not published."))
    agenda.published_at = None
    audit.record(actor, "agenda.publish", session, session.event.title, now=now, withdrawn=True)
    _changed(session, now, visible=True)


def set_proposal_deadline(actor: User, session: EventSession, until: datetime | None, *,
                          now: datetime | None = None) -> None:
    """Until when members may propose items (None: no proposals)."""
    now = now or utcnow()
    _require_staff(actor)
    _check_session(session)
    if until is not None and until > session.starts_at:
        raise _invalid(_l("Proposals must close before the session starts."))
    agenda = lock_agenda(session)
    agenda.proposals_until = until
    agenda.updated_at = now
    db.session.flush()
    audit.record(actor, "agenda.deadline", session, session.event.title, now=now,
                 until=until.isoformat() if until else None)
