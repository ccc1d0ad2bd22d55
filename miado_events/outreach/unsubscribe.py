"""Secret unsubscribe links for office news (RFC 2369 / RFC 8058).

A link names a person (``u``) or an MSO's contact address (``o``) and is
signed with the app's secret (HMAC, itsdangerous); it never expires and
needs no table. Opening it (GET) only shows a button; the POST, which mail
clients send for one-click unsubscribe without any session or CSRF token,
opts out. Mail about one's own registrations carries no such header.
"""
from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from ..extensions import db
from ..mail import reply_to_address
from ..models.accounts import User
from ..models.orgs import Organisation
from ..urls import external_url

_SALT = "miado-office-news-unsubscribe"
PERSON, CONTACT = "u", "o"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token_for_person(user: User) -> str:
    return _serializer().dumps([PERSON, user.id])


def token_for_contact(org: Organisation) -> str:
    return _serializer().dumps([CONTACT, org.id])


def target(token: str) -> User | Organisation | None:
    """The person or MSO a link names, or None for a link that is not ours."""
    try:
        kind, number = _serializer().loads(token or "")
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        return None
    model = {PERSON: User, CONTACT: Organisation}.get(kind)
    return db.session.get(model, number) if model is not None else None


def headers(token: str) -> dict[str, str]:
    """``List-Unsubscribe`` (the one-click link and a mail to the office) and
    ``List-Unsubscribe-Post``."""
    url = external_url("outreach.unsubscribe", token=token)
    office = parseaddr(reply_to_address())[1]
    return {
        "List-Unsubscribe": f"<{url}>, <mailto:{office}?subject={quote('unsubscribe')}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
