"""Guest registration: a visitor without an account registers on the event
page, and manages the registration through a personal link.

A guest is a person without an account (``accounts.people``): a ``users`` row
without a password, so seats, MSO limits, the waiting list, mails and
privacy work on them as on members, through ``registration.register_participant``
(``guest=True``). The personal management link (``RegistrationLink``) is
mailed with the confirmation; only its SHA-256 hash is stored, and it stops
working when the registration is cancelled or the person's data deleted.

Services take what they need explicitly and never commit.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from .. import audit
from ..accounts.people import find_or_create_person
from ..database import utcnow
from ..errors import DomainError, NotFound
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User
from ..models.events import Registration, Slot
from ..models.guests import RegistrationLink
from ..models.orgs import Organisation
from ..orgs.queries import listed_organisations
from ..permissions import ensure, is_staff
from ..urls import external_url
from . import registration as reg_services

#: 256 bits, URL-safe (43 characters).
TOKEN_BYTES = 32


# --- management links ---------------------------------------------------------------------------

def issue_management_link(registration: Registration, *, now: datetime | None = None) -> str:
    """A new personal link for ``registration``; returns its URL (the secret
    is in it and nowhere else)."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(RegistrationLink(registration=registration, token_hash=RegistrationLink.hash(raw),
                                    created_at=now or utcnow()))
    return external_url("manage.registration", token=raw)


def find_link(raw: str | None) -> RegistrationLink:
    """The usable link for ``raw``, else ``link_invalid`` (unknown, revoked, or
    its registration cancelled or anonymised: all look the same)."""
    raw = raw or ""
    link = None
    if 20 <= len(raw) <= 64:
        link = db.session.scalar(select(RegistrationLink).where(
            RegistrationLink.token_hash == RegistrationLink.hash(raw)))
    if link is None or not link.is_usable:
        raise NotFound("link_invalid", _l(
            "This link is not valid (any more). A registration that was cancelled or whose "
            "data was deleted can no longer be opened."))
    return link


def revoke_links(registration: Registration, *, now: datetime | None = None) -> int:
    """Every link of ``registration`` stops working; returns how many did."""
    return db.session.execute(
        update(RegistrationLink)
        .where(RegistrationLink.registration_id == registration.id, RegistrationLink.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount or 0


def revoke_person_links(person: User, *, now: datetime | None = None) -> int:
    """Every link of every registration of ``person`` (their data is deleted)."""
    ids = select(Registration.id).where(Registration.user_id == person.id).scalar_subquery()
    return db.session.execute(
        update(RegistrationLink)
        .where(RegistrationLink.registration_id.in_(ids), RegistrationLink.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount or 0


def send_new_link(actor: User, registration: Registration, *, now: datetime | None = None) -> None:
    """Staff send a guest a new personal link (the mail was lost, or the link
    reached someone else): the old links stop working."""
    now = now or utcnow()
    ensure(is_staff, actor)
    person = registration.user
    if person is None or person.has_account or not person.email or not registration.is_active:
        raise DomainError("no_personal_link", _l(
            "Only a guest without an account, with an e-mail address and an active registration, "
            "has a personal link."))
    revoke_links(registration, now=now)
    url = issue_management_link(registration, now=now)
    send_message(person.email, "guest_new_link", person.locale, user=person, event=registration.event,
                 registration=registration, manage_url=url)
    audit.record(actor, "registration.new_link", registration, f"{person.name}: {registration.event.title}",
                 now=now)


def cancel_by_link(link: RegistrationLink, *, now: datetime | None = None) -> list[Registration]:
    """The person cancels through their link (the person is the actor, so the
    same rules as for a member apply); the link stops working."""
    now = now or utcnow()
    registration = link.registration
    promoted = reg_services.cancel_registration(registration.user, registration, now=now)
    revoke_links(registration, now=now)
    return promoted


# --- registering as a guest -----------------------------------------------------------------------

def register_guest(slot: Slot, *, name: str, email: str | None, phone: str | None = None,
                   organisation: Organisation | None = None, locale: str,
                   privacy_consent: bool, now: datetime | None = None) -> reg_services.Outcome:
    """Register a visitor for ``slot`` with name and e-mail address.

    The address is one person: a new one becomes a person without an account;
    an earlier guest is that person again; an address that belongs to an
    account registers that account (the visitor learns nothing about it: the
    answer is the same, and the mail tells the account's owner). The seat or
    waiting-list place follows the same rules as for members (capacity, the
    MSO's seat limit, one active registration per person and slot)."""
    now = now or utcnow()
    if not privacy_consent:
        raise DomainError("privacy_consent_required", _l("Please agree to the privacy notice."))
    if not (email or "").strip():
        raise DomainError("email_required", _l("Please enter your e-mail address: your ticket and the "
                                               "link to manage your registration are sent there."))
    if organisation is not None and not organisation.is_listed:
        raise DomainError("organisation_not_listed", _l("Please choose an organisation from the list."))
    # Nothing is written before the slot is known to be open.
    reg_services.check_slot_open(slot, now)
    person = find_or_create_person(name=name, email=email, phone=phone, locale=locale, now=now)
    if not person.has_account:
        # The guest agreed to the current notice (again, for an earlier guest).
        person.privacy_consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
        person.privacy_consent_at = now
    try:
        outcome = reg_services.register_participant(person, person, slot, organisation, now=now, guest=True)
    except DomainError as err:
        if err.code == "already_registered":
            raise DomainError("already_registered", _l(
                "This e-mail address is already registered for this date. The confirmation mail "
                "has a link to see or cancel the registration.")) from None
        raise
    if person.has_account:
        send_message(person.email, "guest_registration_for_account", person.locale, user=person,
                     event=slot.event, registration=outcome.registration,
                     my_url=external_url("events.my_registrations"),
                     login_url=external_url("accounts.login"))
    return outcome


def organisation_choices() -> list[Organisation]:
    """The MSOs a guest may name: the listed ones, by name."""
    return list(db.session.scalars(listed_organisations()))
