"""Labels of the events' codes: defined once, on the enums (see ``miado_events.enums``)."""
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
    }


def _waiting_list_length(slot) -> int:
    """How many wait for a seat in ``slot`` (the cancel page promises the seat only then)."""
    from .queries import waitlist_counts

    return waitlist_counts([slot.id]).get(slot.id, 0)
