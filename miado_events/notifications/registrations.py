"""One function per change people must hear about, each with the matching
calendar part: an invite (REQUEST) for a seat, an update with a higher
SEQUENCE for a change, a CANCEL when it ends; and the ticket (QR code) with
every seat. The events layer announces the changes (``miado_events.signals``);
``connect_receivers`` ties each announcement to its mail."""
from __future__ import annotations

from .. import signals
from ..calendar import ical
from ..checkin import tickets
from ..events import guests
from ..mail import send_message
from ..meetings.agenda import agenda_text
from ..models.events import Event, EventSession, Registration
from ..urls import external_url

TICKET_CID = "ticket-qr"


def _send(registration: Registration, template: str, *, invite_sessions=None,
          cancel_sessions=None, with_ticket: bool = False, **context) -> None:
    user = registration.user
    if user is None:  # anonymised (the person deleted their account): nobody to tell
        return
    if not user.email:  # registered without an address (by phone, at the door): nobody to mail
        return
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
    images = None
    if with_ticket:
        # The ticket travels with the seat: its QR code inline, its link and code in the text.
        context["ticket_url"] = tickets.ticket_url(registration)
        context["ticket_page_url"] = ticket_page_url
        images = {TICKET_CID: tickets.qr_png(context["ticket_url"], box_size=tickets.EMAIL_BOX_SIZE)}
    calendar = None
    if invite_sessions:
        calendar = (ical.REQUEST, ical.invite(invite_sessions, user))
    elif cancel_sessions:
        calendar = (ical.CANCEL, ical.cancellation(cancel_sessions, user))
    send_message(user.email, template, user.locale, calendar=calendar, images=images, user=user,
                 registration=registration, event=registration.event,
                 sessions=registration.slot.sessions,
                 event_url=external_url("events.detail", event_id=registration.event_id),
                 my_url=my_url, **context)


def registration_confirmed(registration: Registration) -> None:
    _send(registration, "registration_confirmed", invite_sessions=registration.slot.sessions,
          with_ticket=True)


def registration_waitlisted(registration: Registration, position: int | None,
                            reason: str = "event_full") -> None:
    """``reason``: ``event_full``, or ``org_quota_reached`` when the MSO has used its seats."""
    _send(registration, "registration_waitlisted", position=position, reason=reason)


def registration_promoted(registration: Registration) -> None:
    _send(registration, "registration_promoted", invite_sessions=registration.slot.sessions,
          with_ticket=True)


def registration_cancelled(registration: Registration, cause: str | None = None) -> None:
    """A seat that ends takes its sessions out of the calendar; a waiting-list
    place was never in it. ``cause`` ``calendar_declined``: the mail says it
    was done because the person declined in their calendar app."""
    sessions = registration.slot.sessions if registration.confirmed_at else None
    _send(registration, "registration_cancelled", cancel_sessions=sessions,
          declined_in_calendar=cause == "calendar_declined")


def session_changed(session: EventSession, registrations: list[Registration], changes: list[str]) -> None:
    agendas: dict[str, str] = {}  # the agenda's text per language, built once for all recipients
    for registration in registrations:
        agenda = ""
        if "agenda" in changes and registration.user is not None:
            locale = registration.user.locale
            if locale not in agendas:
                agendas[locale] = agenda_text(session, locale)
            agenda = agendas[locale]
        _send(registration, "session_changed", session=session, changes=changes, agenda=agenda,
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


def _on_ticket_issued(token: str) -> None:
    tickets.prepare(token)


def connect_receivers() -> None:
    signals.ticket_issued.connect(_on_ticket_issued)
    signals.registration_changed.connect(_on_registration_changed)
    signals.session_changed.connect(_on_session_changed)
    signals.session_cancelled.connect(_on_session_cancelled)
    signals.event_cancelled.connect(_on_event_cancelled)
