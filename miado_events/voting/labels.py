"""Labels of the topic rounds' codes: defined once, on the enums (see ``miado_events.enums``)."""
from ..models.voting import Phase, TopicFormat, TopicStatus

PHASE_LABELS = Phase.labels()
FORMAT_LABELS = TopicFormat.labels()
TOPIC_STATUS_LABELS = TopicStatus.labels()


def template_helpers() -> dict:
    return {
        "phase_label": Phase.label_of,
        "format_label": TopicFormat.label_of,
        "topic_status_label": TopicStatus.label_of,
    }
