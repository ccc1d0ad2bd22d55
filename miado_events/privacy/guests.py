"""A person without an account deletes their data through the personal link
of one of their registrations (there is no account page to do it from)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..database import utcnow
from ..errors import DomainError
from ..events import guests
from ..models.accounts import User
from . import services


def delete_guest(person: User, *, now: datetime | None = None) -> dict[str, int]:
    """Delete everything held about ``person`` the way an account is deleted
    (seats given back, registrations anonymised, mail scrubbed); every
    personal link of theirs stops working. A person who has an account by
    now (they signed up with the address) deletes it in their account."""
    now = now or utcnow()
    if person.has_account:
        raise DomainError("has_account", _l(
            "This address has an account now. Please log in and delete your data in your account."))
    guests.revoke_person_links(person, now=now)
    return services.delete_account(person, now=now)
