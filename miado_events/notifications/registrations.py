"""One function per change people must hear about, each with the matching
calendar part: an invite (REQUEST) for a seat, an update with a higher
SEQUENCE for a change, a CANCEL when it ends; and the ticket (QR code) with
every seat. The events layer announces the changes (``miado_events.signals``);
``connect_receivers`` ties each announcement to its mail.

The request only queues a recipe (``mail.queue_recipe``: the registration's
id, the sessions for the calendar part, a few scalars) in its own
transaction; the mail worker renders it with ``render`` (registered for the
kind ``registration``): the invite, the ticket's QR code (drawn once and
kept, ``checkin.tickets.ticket_qr_png``) and a guest's personal link are made
there, not while the request holds a seat. What the mail shows is the state
when it is rendered (a moment later); a registration deleted meanwhile gets
no mail (the row is marked ``dropped``)."""
from __future__ import annotations

from sqlalchemy import select

from .. import signals
from ..calendar import ical
from ..checkin import tickets
from ..events import guests
from ..extensions import db
from ..mail import queue_recipe, register_renderer, render_message
from ..meetings.agenda import agenda_text
from ..models.events import Event, EventSession, Registration
from ..urls import external_url

TICKET_CID = "ticket-qr"
KIND = "registration"
#: In a payload's ``invite``/``cancel``: the registration's own sessions (its slot's).
SLOT = "slot"


def _send(registration: Registration, template: str, *, invite_sessions=None,
          cancel_sessions=None, with_ticket: bool = False, session: EventSession | None = None,
          **context) -> None:
    """Queue the mail ``template`` about ``registration`` for the worker.
    ``invite_sessions``/``cancel_sessions``: ``SLOT`` or a list of sessions;
    ``context``: JSON scalars the template needs."""
    user = registration.user
    if user is None:  # anonymised (the person deleted their account): nobody to tell
        return
    if not user.email:  # registered without an address (by phone, at the door): nobody to mail
        return
    if registration.id is None:
        db.session.flush()

    def ids(sessions):
        if not sessions:
            return None
        return SLOT if sessions == SLOT else [s.id for s in sessions]

    payload = {"template": template, "registration_id": registration.id,
               "invite": ids(invite_sessions), "cancel": ids(cancel_sessions), "ticket": with_ticket,
               "session_id": session.id if session is not None else None, "context": context}
    queue_recipe(user.email, KIND, user.locale, payload, template=template)


def _sessions(registration: Registration, spec) -> list[EventSession] | None:
    if not spec:
        return None
    if spec == SLOT:
        return list(registration.slot.sessions) or None
    by_id = {s.id: s for s in db.session.scalars(select(EventSession).where(EventSession.id.in_(spec)))}
    return [by_id[i] for i in spec if i in by_id] or None


def render(payload: dict, *, to: str, locale: str):
    """Render a queued registration mail (in the mail worker); None when the
    registration (or the person, or the session it was about) is gone."""
    registration = db.session.get(Registration, payload.get("registration_id"))
    if registration is None or registration.user is None:
        return None
    user = registration.user
    template = payload["template"]
    context = dict(payload.get("context") or {})
    if payload.get("session_id") is not None:
        session = db.session.get(EventSession, payload["session_id"])
        if session is None:
            return None
        context["session"] = session
        if template == "session_changed":
            context["agenda"] = agenda_text(session, locale) if "agenda" in context.get("changes", ()) else ""
    my_url = external_url("events.my_registrations")
    ticket_page_url = external_url("checkin.ticket", registration_id=registration.id)
    if not user.has_account:
        # A person without an account (a guest) has no "my registrations": each
        # mail about a registration that still holds a place carries a personal
        # link to it (ticket, calendar, cancel, delete their data).
        if registration.is_active:
            my_url = ticket_page_url = context["manage_url"] = guests.issue_management_link(registration)
        else:
            my_url = external_url("events.detail", event_id=registration.event_id)
    images = kept = None
    if payload.get("ticket") and registration.ticket_token:
        # The ticket travels with the seat: its QR code inline, its link and code in the text.
        context["ticket_url"] = tickets.ticket_url(registration)
        context["ticket_page_url"] = ticket_page_url
        kept = tickets.kept_qr_png(registration)
        images = {TICKET_CID: kept or tickets.draw_ticket_qr(registration)}
    calendar = None
    invite = _sessions(registration, payload.get("invite"))
    cancel = _sessions(registration, payload.get("cancel"))
    if invite:
        calendar = (ical.REQUEST, ical.invite(invite, user))
    elif cancel:
        calendar = (ical.CANCEL, ical.cancellation(cancel, user))
    msg = render_message(to, template, locale, calendar=calendar, images=images, user=user,
                         registration=registration, event=registration.event,
                         sessions=registration.slot.sessions,
                         event_url=external_url("events.detail", event_id=registration.event_id),
                         my_url=my_url, **context)
    if images and kept is None:
        # Written last: on SQLite the first write locks the database until the worker commits.
        tickets.keep_qr_png(registration, images[TICKET_CID])
    return msg


def registration_confirmed(registration: Registration) -> None:
    _send(registration, "registration_confirmed", invite_sessions=SLOT, with_ticket=True)


def registration_waitlisted(registration: Registration, position: int | None,
                            reason: str = "event_full") -> None:
    """``reason``: ``event_full``, or ``org_quota_reached`` when the MSO has used its seats."""
    _send(registration, "registration_waitlisted", position=position, reason=reason)


def registration_promoted(registration: Registration) -> None:
    _send(registration, "registration_promoted", invite_sessions=SLOT, with_ticket=True)


def registration_cancelled(registration: Registration, cause: str | None = None) -> None:
    """A seat that ends takes its sessions out of the calendar; a waiting-list
    place was never in it. ``cause`` ``calendar_declined``: the mail says it
    was done because the person declined in their calendar app."""
    _send(registration, "registration_cancelled", cancel_sessions=SLOT if registration.confirmed_at else None,
          declined_in_calendar=cause == "calendar_declined")


def session_changed(session: EventSession, registrations: list[Registration], changes: list[str]) -> None:
    """The agenda's text (``changes`` has ``agenda``) is put in by the worker."""
    for registration in registrations:
        _send(registration, "session_changed", session=session, changes=list(changes),
              invite_sessions=[session] if registration.is_confirmed else None)


def session_cancelled(session: EventSession, registrations: list[Registration]) -> None:
    for registration in registrations:
        _send(registration, "session_cancelled", session=session,
              cancel_sessions=[session] if registration.confirmed_at else None)


def event_cancelled(event: Event, registrations: list[Registration]) -> None:
    """One mail per person, even when they were registered for several dates."""
    told = set()
    for registration in registrations:
        if registration.user_id not in told:
            told.add(registration.user_id)
            mine = [r for r in registrations if r.user_id == registration.user_id and r.confirmed_at]
            sessions = [s for r in mine for s in r.slot.sessions] or None
            _send(registration, "event_cancelled", cancel_sessions=sessions)


# --- receivers of the events layer's announcements ------------------------------------------

_BY_CHANGE = {
    "confirmed": registration_confirmed,
    "promoted": registration_promoted,
    "cancelled": registration_cancelled,
}


def _on_registration_changed(registration: Registration, *, change: str, **details) -> None:
    if change == "waitlisted":
        registration_waitlisted(registration, details["position"], details["reason"])
    elif change == "cancelled":
        registration_cancelled(registration, details.get("cause"))
    else:
        _BY_CHANGE[change](registration)


def _on_session_changed(session: EventSession, *, registrations, changes) -> None:
    session_changed(session, registrations, changes)


def _on_session_cancelled(session: EventSession, *, registrations) -> None:
    session_cancelled(session, registrations)


def _on_event_cancelled(event: Event, *, registrations, **_details) -> None:
    event_cancelled(event, registrations)


def connect_receivers() -> None:
    register_renderer(KIND, render)
    signals.registration_changed.connect(_on_registration_changed)
    signals.session_changed.connect(_on_session_changed)
    signals.session_cancelled.connect(_on_session_cancelled)
    signals.event_cancelled.connect(_on_event_cancelled)
