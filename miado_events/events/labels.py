"""Labels of the events' codes: defined once, on the enums (see ``miado_events.enums``)."""
from flask_babel import gettext as _

from ..models.events import EventKind, EventStatus, RegistrationStatus, Visibility

KIND_LABELS = EventKind.labels()
VISIBILITY_LABELS = Visibility.labels()
EVENT_STATUS_LABELS = EventStatus.labels()
REGISTRATION_STATUS_LABELS = RegistrationStatus.labels()


def template_helpers() -> dict:
    return {
        "kind_label": EventKind.label_of,
        "visibility_label": Visibility.label_of,
        "event_status_label": EventStatus.label_of,
        "registration_status_label": RegistrationStatus.label_of,
        "waiting_list_length": _waiting_list_length,
        "waiting_list_note": waiting_list_note,
    }


def waiting_list_note(event, position: int | None) -> str:
    """What happens to someone waiting at ``position`` when a seat frees up:
    the seat is theirs at once, or offered by e-mail (the event's mode).
    One text for the flash after registering, the guest's page and the
    member's pages."""
    if event.offers_seats:
        return _("You are on the waiting list at position %(position)d. If a seat becomes free, we will "
                 "offer it to you by e-mail, to accept before a deadline.", position=position or 0)
    return _("You are on the waiting list at position %(position)d. If a seat becomes "
             "free, it is yours automatically and we will tell you by e-mail.", position=position or 0)


def _waiting_list_length(slot) -> int:
    """How many wait for a seat in ``slot`` (the cancel page promises the seat only then)."""
    from .queries import waitlist_counts

    return waitlist_counts([slot.id]).get(slot.id, 0)
