"""One function per change people must hear about. The calendar issue adds
iCalendar invites here; callers stay as they are."""
from __future__ import annotations

from ..mail import send_message
from ..models.events import Event, EventSession, Registration
from ..urls import external_url


def _send(registration: Registration, template: str, **context) -> None:
    user = registration.user
    send_message(user.email, template, user.locale, user=user, registration=registration,
                 event=registration.event, sessions=registration.slot.sessions,
                 event_url=external_url("events.detail", event_id=registration.event_id),
                 my_url=external_url("events.my_registrations"), **context)


def registration_confirmed(registration: Registration) -> None:
    _send(registration, "registration_confirmed")


def registration_waitlisted(registration: Registration, position: int | None,
                            reason: str = "event_full") -> None:
    """``reason``: ``event_full``, or ``org_quota_reached`` when the MSO has used its seats."""
    _send(registration, "registration_waitlisted", position=position, reason=reason)


def registration_promoted(registration: Registration) -> None:
    _send(registration, "registration_promoted")


def registration_cancelled(registration: Registration) -> None:
    _send(registration, "registration_cancelled")


def session_changed(session: EventSession, registrations: list[Registration], changes: list[str]) -> None:
    for registration in registrations:
        _send(registration, "session_changed", session=session, changes=changes)


def session_cancelled(session: EventSession, registrations: list[Registration]) -> None:
    for registration in registrations:
        _send(registration, "session_cancelled", session=session)


def event_cancelled(event: Event, registrations: list[Registration]) -> None:
    """One mail per person, even when they were registered for several dates."""
    told = set()
    for registration in registrations:
        if registration.user_id not in told:
            told.add(registration.user_id)
            _send(registration, "event_cancelled")
