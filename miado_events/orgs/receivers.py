"""What orgs does when a lower layer announces something (see signals.py)."""
from __future__ import annotations

from flask import flash, has_request_context
from flask_babel import gettext as _

from .. import signals
from ..errors import DomainError
from ..extensions import db
from . import membership


def _on_email_verified(user, *, org_invitation_id: int | None = None, now=None, **_details) -> None:
    """An MSO invitation opened before signing up: the person joins once their
    address is verified, without opening the link again. An invitation that
    cannot be used any more (withdrawn, expired, already a member) is left
    alone: the verification itself succeeds."""
    if org_invitation_id is None:
        return
    try:
        with db.session.begin_nested():
            joined = membership.accept_invitation_by_id(user, org_invitation_id, now=now)
    except DomainError:
        return
    if has_request_context():  # the person opened the link: tell them on the next page
        flash(_("Welcome! You are now a member of %(org)s.", org=joined.organisation.name), "success")


def connect_receivers() -> None:
    signals.email_verified.connect(_on_email_verified)
