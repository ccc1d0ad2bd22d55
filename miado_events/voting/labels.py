from flask_babel import lazy_gettext as _l

PHASE_LABELS = {
    "draft": _l("Draft (not visible)"),
    "proposals": _l("Proposals open"),
    "moderation": _l("Moderation"),
    "voting": _l("Voting open"),
    "closed": _l("Voting closed"),
    "published": _l("Results published"),
}

FORMAT_LABELS = {
    "evening": _l("Evening seminar"),
    "weekend": _l("Weekend workshop"),
    "series": _l("Training series"),
}

TOPIC_STATUS_LABELS = {
    "pending": _l("Waiting for moderation"),
    "approved": _l("Approved"),
    "rejected": _l("Not accepted"),
    "merged": _l("Merged"),
}


def template_helpers() -> dict:
    return {
        "phase_label": lambda code: PHASE_LABELS.get(code, code),
        "format_label": lambda code: FORMAT_LABELS.get(code, code),
        "topic_status_label": lambda code: TOPIC_STATUS_LABELS.get(code, code),
    }
