from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "networking": _l("Networking meeting"),
    "series": _l("Training series"),
    "seminar": _l("Seminar"),
}

VISIBILITY_LABELS = {
    "public": _l("Everyone with an account"),
    "members": _l("Members of migrant self-organisations only"),
}

EVENT_STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}

REGISTRATION_STATUS_LABELS = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
}


def template_helpers() -> dict:
    return {
        "kind_label": lambda code: KIND_LABELS.get(code, code),
        "visibility_label": lambda code: VISIBILITY_LABELS.get(code, code),
        "event_status_label": lambda code: EVENT_STATUS_LABELS.get(code, code),
        "registration_status_label": lambda code: REGISTRATION_STATUS_LABELS.get(code, code),
    }
