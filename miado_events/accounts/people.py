"""People who take part without an account ("guests"): a ``users`` row without
a password, registered by themselves on an event page, by staff on the phone
or by a representative. The whole registration pipeline (seats, limits,
waiting list, mails, privacy) works on them as on members; "has an account"
is ``User.has_account`` (a password is set).

Services take what they need explicitly and never commit."""
from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..extensions import db
from ..models.accounts import Role, User
from .services import get_user_by_email, normalise_email

PHONE_MAX_LENGTH = 40
_PHONE = re.compile(r"^[0-9 +\-/()]+$")
NAME_MAX_LENGTH = 120
EMAIL_MAX_LENGTH = 254


def validate_phone(value: str | None) -> str | None:
    """The phone number as it will be stored (outer spaces removed), None when
    empty; ``phone_invalid`` for anything but digits, spaces and ``+ - / ( )``
    or more than 40 characters."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > PHONE_MAX_LENGTH or not _PHONE.match(value) or not any(c.isdigit() for c in value):
        raise DomainError("phone_invalid", _l(
            "Please enter the phone number with digits only (spaces and + - / ( ) are allowed, "
            "at most %(n)d characters).", n=PHONE_MAX_LENGTH))
    return value


def _locale(locale: str | None) -> str:
    if locale in current_app.config["LANGUAGES"]:
        return locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def find_or_create_person(*, name: str, email: str | None, phone: str | None = None,
                          locale: str, now: datetime) -> User:
    """The person with this e-mail address, or a new person without an account.

    An existing row with the address (an account or an earlier guest) is
    returned unchanged: never renamed, its phone and language kept, so a form
    cannot overwrite someone else's data. Without an address there is no way
    to tell two people apart: a new person every time."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("name_required", _l("Please enter the name."))
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("name_too_long", _l("The name may have at most %(n)d characters.",
                                              n=NAME_MAX_LENGTH))
    phone = validate_phone(phone)
    email = normalise_email(email) or None
    if email is not None:
        if len(email) > EMAIL_MAX_LENGTH or "@" not in email or any(c.isspace() for c in email):
            raise DomainError("email_invalid", _l("Please enter a valid e-mail address."))
        existing = get_user_by_email(email)
        if existing is not None:
            return existing
    person = User(name=name, email=email, phone=phone, role=Role.MEMBER.value,
                  locale=_locale(locale), created_at=now)
    try:
        # The same address arriving twice at once: the unique index keeps one
        # row, and the second request goes on with it.
        with db.session.begin_nested():
            db.session.add(person)
    except IntegrityError:
        existing = get_user_by_email(email) if email else None
        if existing is None:
            raise
        return existing
    return person
