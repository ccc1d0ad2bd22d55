"""Registrations taken on someone's behalf: staff on the phone or at the desk,
a representative for their MSO. A name is enough; e-mail and phone are
optional. An address that belongs to someone registers that person; without
one, a person without an account is created (``accounts.people``).

Then the one seat path, ``registration.register_participant``: capacity, the
MSO's seat limit and the waiting list as for everyone. It records who made
the entry (``registered_by`` and the audit log).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.people import find_or_create_person, validate_phone
from ..accounts.services import get_user_by_email
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..models.accounts import User
from ..models.events import Registration, Slot
from ..models.orgs import Organisation
from ..permissions import active_membership, forbidden, is_representative_of, is_staff
from . import registration as reg_services
from .registration import Outcome


@dataclass
class PersonEntry:
    """What staff or a representative type in: a name, the rest optional."""

    name: str
    email: str | None = None
    phone: str | None = None
    #: The language of the person's e-mails (if they have an address).
    locale: str = "de"


def can_register_on_behalf(actor: User, organisation: Organisation | None) -> bool:
    """Staff for anyone; a representative for their own MSO (and only with it)."""
    if is_staff(actor):
        return True
    return organisation is not None and is_representative_of(actor, organisation)


def can_print_ticket(actor: User, registration: Registration) -> bool:
    """The ticket of someone registered by hand: staff, the person, and the
    representative who made the entry (while they speak for that MSO)."""
    if is_staff(actor) or registration.user_id == actor.id:
        return True
    return (registration.registered_by_id == actor.id and registration.organisation is not None
            and is_representative_of(actor, registration.organisation))


def _same_person_entered_again(actor: User, slot: Slot, name: str, phone: str | None) -> bool:
    """A person without an address cannot be found again: the same name (and
    phone) entered by the same hand for the same slot is taken as a second
    click, not as a second person. (Names as stored: white space collapsed.)"""
    return db.session.scalar(
        select(func.count(Registration.id))
        .join(User, User.id == Registration.user_id)
        .where(Registration.slot_id == slot.id, Registration.is_active,
               Registration.registered_by_id == actor.id, User.email.is_(None),
               User.name == name,
               User.phone.is_(None) if phone is None else User.phone == phone)) > 0


def register_on_behalf(actor: User, slot: Slot, entry: PersonEntry, organisation: Organisation | None = None,
                       *, now: datetime | None = None) -> Outcome:
    """Register the person described by ``entry`` for ``slot``, counted
    against ``organisation`` (a representative's own MSO; optional for staff)."""
    now = now or utcnow()
    if not can_register_on_behalf(actor, organisation):
        raise forbidden(_l("You may only register people for your own organisation."))
    staff = is_staff(actor)
    reg_services.check_slot_open(slot, now, staff=staff)
    name = " ".join((entry.name or "").split())
    email = (entry.email or "").strip() or None
    if email is None and name:
        phone = validate_phone(entry.phone)
        # Both requests of a double click would otherwise pass the check below:
        # the slot's row lock (PostgreSQL; on SQLite the savepoint takes the
        # write lock) makes the second one wait and then see the first.
        with db.session.begin_nested():
            db.session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
        if _same_person_entered_again(actor, slot, name, phone):
            raise DomainError("already_registered", _l(
                "%(name)s is already registered for this. To register another person with the same "
                "name, add their phone number.", name=name))
    # An address that belongs to someone registers that person (no name needed).
    person = get_user_by_email(email) if email else None
    if person is None:
        person = find_or_create_person(name=name, email=email, phone=entry.phone, locale=entry.locale, now=now)
        db.session.flush()
    if not person.has_account:
        chosen = organisation
    elif staff:
        chosen = reg_services.default_organisation(person, organisation)
    elif active_membership(person, organisation) is None:
        raise DomainError("not_a_member", _l(
            "This address belongs to an account that is not a member of your organisation. "
            "The person can register themselves, or join your organisation first."))
    else:
        chosen = organisation
    if reg_services.active_registration(person, slot) is not None:
        raise DomainError("already_registered", _l("%(name)s is already registered for this.", name=person.name))
    return reg_services.register_participant(actor, person, slot, chosen, now=now)
