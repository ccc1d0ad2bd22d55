"""Mail to the people a change concerns, with its calendar part and ticket.

This package sits on top of events, calendar and checkin: it listens to what
the events layer announces (``miado_events.signals``) and composes each
message from the calendar invite and the ticket, so that none of those
layers needs to import another."""
from __future__ import annotations


def connect_receivers() -> None:
    from . import registrations

    registrations.connect_receivers()
