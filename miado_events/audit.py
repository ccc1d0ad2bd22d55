"""Recording staff actions in the audit log.

Services call ``record`` in the same transaction as the change, so a change
that is rolled back leaves no entry and a committed one always has one.
``ACTIONS`` names every action type (the filter on /staff/audit lists them).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from .database import utcnow
from .extensions import db
from .models.audit import AuditEntry

ACTIONS = {
    "org.decision": _l("MSO application decided"),
    "org.active": _l("MSO taken out of / back into the directory"),
    "org.name_decision": _l("MSO name change decided"),
    "org.profile": _l("MSO profile changed by staff"),
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "event.publish": _l("Event published"),
    "event.cancel": _l("Event cancelled"),
    "event.questions": _l("Registration questions changed"),
    "session.add": _l("Session added"),
    "session.update": _l("Session changed"),
    "session.cancel": _l("Session cancelled"),
    "venue.save": _l("Venue saved"),
    "registration.add": _l("Person registered by staff"),
    "registration.add_by_representative": _l("Person registered by a representative"),
    "registration.cancel": _l("Registration cancelled by staff"),
    "registration.promote": _l("Seat given by hand"),
    "registration.new_link": _l("New personal link sent to a guest"),
    "checkin.override": _l("Check-in outside the check-in time"),
    "checkin.walk_in": _l("Walk-in registered at the door"),
    "checkin.held": _l("Late offline check-in held for review"),
    "checkin.review": _l("Late offline check-in reviewed"),
    "door.assign": _l("Door staff assigned"),
    "door.unassign": _l("Door staff removed"),
    "certificate.issue": _l("Certificate issued by hand"),
    "certificate.revoke": _l("Certificate revoked"),
    "user.invite": _l("Staff or door staff invited"),
    "user.role": _l("Role changed"),
    "round.create": _l("Topic round created"),
    "round.update": _l("Topic round changed"),
    "round.phase": _l("Topic round phase set"),
    "topic.moderate": _l("Topic moderated"),
    "topic.series": _l("Training series created from a topic"),
    "comment.hide": _l("Comment hidden"),
    "agenda.change": _l("Agenda item added, changed, moved or deleted"),
    "agenda.publish": _l("Agenda published or withdrawn"),
    "agenda.deadline": _l("Deadline for agenda proposals set"),
    "agenda.proposal": _l("Agenda proposal decided"),
    "minutes.save": _l("Minutes written or changed"),
    "material.upload": _l("Material uploaded"),
    "material.visibility": _l("Who may download a material changed"),
    "material.delete": _l("Material deleted"),
    "material.publish": _l("Minutes and materials published"),
    "mailing.send": _l("Mailing sent"),
    "office_news.stop": _l("Office news stopped for an address on request"),
    "export": _l("Data exported"),
    "account.delete": _l("Account deleted"),
    "privacy.purge": _l("Old personal data removed"),
}


def record(actor, action: str, obj=None, summary: str = "", *, now: datetime | None = None,
           **details) -> AuditEntry:
    """Add one entry for ``actor`` doing ``action`` to ``obj`` (any model with
    an ``id``). ``summary`` is a short human line (names, titles); ``details``
    hold the specifics as JSON."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=now or utcnow(), actor_id=getattr(actor, "id", None),
        actor_name=(getattr(actor, "name", None) or "system")[:120], action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=getattr(obj, "id", None), summary=(summary or "")[:300],
        details={k: v for k, v in details.items() if v is not None})
    db.session.add(entry)
    return entry
