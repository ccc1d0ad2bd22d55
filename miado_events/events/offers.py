"""A waiting list that asks first (events whose ``waitlist_mode`` is ``offer``).

A freed seat is *held* for the first eligible waiting person (the MSO's seat
limit respected, as for an automatic promotion) and offered by e-mail with a
deadline. The held seat is counted in the slot's (and the MSO's) seat counter
from the moment it is offered, so the database's CHECK constraints keep
refusing any overbooking and nobody else can take it. The person accepts
(confirmed, ticket and invite by mail as for a promotion) or declines (leaves
the waiting list); when the deadline passes, ``expire_offers`` (run by
``flask --app app registrations expire-offers``) ends the offer and passes
the seat on. Each offer ends exactly once: every ending is one conditional
UPDATE on ``state = 'open'``, so an acceptance racing the expiry job leaves
one winner, whatever arrives first.

Locks are taken in one order everywhere (offer, then registration, then
slot), so two of these never wait for each other in a circle.

Services never commit; the request (or the CLI command) does.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from .. import audit, signals
from ..database import utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..mail import send_message
from ..models.accounts import User
from ..models.events import Registration, RegistrationStatus, Slot
from ..models.offers import OfferState, WaitlistOffer
from ..urls import external_url
from . import registration as reg_rules
from . import seats

MAX_TOKEN_LENGTH = 128


def offer_hours(slot: Slot) -> int:
    """How long an offer for ``slot`` stays open (the event's own setting,
    else the site's ``WAITLIST_OFFER_HOURS``)."""
    return slot.event.offer_hours or current_app.config.get("WAITLIST_OFFER_HOURS", 24)


def open_offer(registration: Registration) -> WaitlistOffer | None:
    return db.session.scalar(select(WaitlistOffer).where(
        WaitlistOffer.registration_id == registration.id, WaitlistOffer.state == OfferState.OPEN.value))


def open_offers_by_registration(registration_ids) -> dict[int, WaitlistOffer]:
    """The open offers of these registrations (for lists such as "my registrations")."""
    ids = list(registration_ids)
    if not ids:
        return {}
    return {o.registration_id: o for o in db.session.scalars(select(WaitlistOffer).where(
        WaitlistOffer.registration_id.in_(ids), WaitlistOffer.state == OfferState.OPEN.value))}


def held_registration_ids(slot: Slot) -> set[int]:
    """Waiting registrations of ``slot`` that hold a seat through an open offer."""
    return set(db.session.scalars(select(WaitlistOffer.registration_id).where(
        WaitlistOffer.slot_id == slot.id, WaitlistOffer.state == OfferState.OPEN.value)))


def lock_open_offer(registration: Registration) -> WaitlistOffer | None:
    """The registration's open offer, locked (PostgreSQL) until the
    transaction ends: taken first by everything that ends an offer."""
    return db.session.scalar(
        select(WaitlistOffer).where(WaitlistOffer.registration_id == registration.id,
                                    WaitlistOffer.state == OfferState.OPEN.value)
        .with_for_update().execution_options(populate_existing=True))


def find_offer(token: str | None) -> WaitlistOffer | None:
    """The offer a mailed link points at (any state), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(select(WaitlistOffer).where(WaitlistOffer.token_hash == WaitlistOffer.hash(token)))


# --- making offers ----------------------------------------------------------------------------

def offer_free_seats(slot: Slot, *, now: datetime | None = None) -> list[WaitlistOffer]:
    """Hold each free seat of ``slot`` for the first eligible waiting person
    without an open offer and mail them the offer. Someone whose MSO has used
    its seats is skipped, not removed. Nothing is offered once the slot has
    started (the seat stays free for the door)."""
    now = now or utcnow()
    made: list[WaitlistOffer] = []
    if (slot.event.is_cancelled or (slot.session is not None and not slot.session.is_scheduled)
            or slot.has_started(now)):
        return made
    # The slot first (as take_seat does), then each candidate's row.
    db.session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
    held = held_registration_ids(slot)
    for candidate in reg_rules.waitlist(slot):
        if candidate.id in held:
            continue
        db.session.refresh(slot)
        if slot.free_seats == 0:
            break
        # Still waiting? (Leaving the list at this moment wins: skip them.)
        still_waiting = db.session.execute(
            update(Registration)
            .where(Registration.id == candidate.id, Registration.status == RegistrationStatus.WAITLISTED.value)
            .values(status=RegistrationStatus.WAITLISTED.value)
            .execution_options(synchronize_session=False)).rowcount
        if not still_waiting:
            continue
        reason = seats.take_seat(slot, candidate.organisation_id)
        if reason == seats.EVENT_FULL:
            break
        if reason is not None:
            continue
        made.append(_make_offer(candidate, slot, now))
    return made


def _make_offer(registration: Registration, slot: Slot, now: datetime) -> WaitlistOffer:
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=offer_hours(slot))
    if slot.starts_at is not None:
        expires_at = min(expires_at, slot.starts_at)
    offer = WaitlistOffer(registration_id=registration.id, slot_id=slot.id, token_hash=WaitlistOffer.hash(token),
                          state=OfferState.OPEN.value, offered_at=now, expires_at=expires_at)
    db.session.add(offer)
    db.session.flush()
    _mail_offer(registration, offer, token)
    return offer


def _mail_offer(registration: Registration, offer: WaitlistOffer, token: str) -> None:
    user = registration.user
    if user is None or not user.email:  # no address (by phone): staff can give the seat by hand
        return
    send_message(user.email, "waitlist_offer", user.locale, user=user, registration=registration,
                 event=registration.event, sessions=registration.slot.sessions, offer=offer,
                 offer_url=external_url("event_offers.respond", token=token),
                 my_url=external_url("events.my_registrations"))


# --- ending offers ----------------------------------------------------------------------------

def _close(offer: WaitlistOffer, state: OfferState, now: datetime, *, before_deadline: bool = False) -> bool:
    """End an open offer in ``state``; False if it had already ended (someone
    else won). ``before_deadline``: only while it has not expired."""
    condition = [WaitlistOffer.id == offer.id, WaitlistOffer.state == OfferState.OPEN.value]
    if before_deadline:
        condition.append(WaitlistOffer.expires_at > now)
    result = db.session.execute(update(WaitlistOffer).where(*condition)
                                .values(state=state.value, closed_at=now)
                                .execution_options(synchronize_session=False))
    db.session.expire(offer)
    return result.rowcount == 1


def _closed_error(offer: WaitlistOffer, now: datetime) -> DomainError:
    db.session.refresh(offer)
    if offer.state == OfferState.ACCEPTED.value:
        return DomainError("offer_accepted", _l("You have already accepted this seat. You are registered."))
    if offer.state == OfferState.EXPIRED.value or (offer.is_open and offer.is_expired(now)):
        return DomainError("offer_expired", _l("Sorry, the time to accept this seat has passed."))
    return DomainError("offer_closed", _l("This offer is no longer open."))


def _pass_on(registration: Registration, now: datetime) -> list[Registration]:
    """The held seat goes back and on to the next eligible person."""
    seats.release_seat(registration.slot, registration.organisation_id)
    return reg_rules.fill_free_seats(registration.slot, now=now)


def _leave_waitlist(registration: Registration, actor: User | None, now: datetime) -> bool:
    result = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status == RegistrationStatus.WAITLISTED.value)
        .values(status=RegistrationStatus.CANCELLED.value, cancelled_at=now,
                cancelled_by_id=actor.id if actor is not None else None)
        .execution_options(synchronize_session=False))
    db.session.expire(registration)
    return result.rowcount == 1


def accept(offer: WaitlistOffer, *, now: datetime | None = None) -> Registration:
    """Take the held seat: the registration is confirmed (ticket and invite by
    mail). Refused once the offer has ended or its deadline has passed."""
    now = now or utcnow()
    if not _close(offer, OfferState.ACCEPTED, now, before_deadline=True):
        raise _closed_error(offer, now)
    registration = offer.registration
    confirmed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status == RegistrationStatus.WAITLISTED.value)
        .values(status=RegistrationStatus.CONFIRMED.value, confirmed_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire(registration)
    if not confirmed:  # cannot happen while leaving the list ends the offer first; refuse rather than guess
        raise DomainError("offer_closed", _l("This offer is no longer open."))
    signals.registration_changed.send(registration, change="promoted")
    return registration


def decline(offer: WaitlistOffer, *, actor: User | None = None, now: datetime | None = None) -> None:
    """Say no: the person leaves the waiting list and the seat goes on."""
    now = now or utcnow()
    locked = lock_open_offer(offer.registration)
    if locked is None or locked.id != offer.id or not _close(offer, OfferState.DECLINED, now):
        raise _closed_error(offer, now)
    registration = offer.registration
    if _leave_waitlist(registration, actor, now):
        signals.registration_changed.send(registration, change="cancelled", cause="offer_declined")
    _pass_on(registration, now)


def withdraw(offer: WaitlistOffer | None, registration: Registration, now: datetime) -> list[Registration]:
    """The waiting registration holding ``offer`` was cancelled (left the
    list, deleted account, staff): the offer ends and the seat goes on. The
    caller locked the offer first (``lock_open_offer``)."""
    if offer is None or not _close(offer, OfferState.WITHDRAWN, now):
        return []
    return _pass_on(registration, now)


def end_unanswered(offer: WaitlistOffer, now: datetime) -> None:
    """The event or session is cancelled: the offer ends (withdrawn) without
    passing its seat on; the caller releases the seat."""
    _close(offer, OfferState.WITHDRAWN, now)


def expire_offers(*, now: datetime | None = None) -> int:
    """End every open offer whose deadline has passed and pass its seat on
    (to the next eligible person, or free). Safe to run as often as you like:
    an offer ends once, so a second run (or one racing an acceptance) changes
    nothing twice. Returns how many offers expired."""
    now = now or utcnow()
    due = db.session.scalars(select(WaitlistOffer).where(
        WaitlistOffer.state == OfferState.OPEN.value, WaitlistOffer.expires_at <= now)
        .order_by(WaitlistOffer.expires_at, WaitlistOffer.id)).all()
    expired = 0
    for offer in due:
        locked = lock_open_offer(offer.registration)
        if locked is None or locked.id != offer.id or not _close(offer, OfferState.EXPIRED, now):
            continue  # accepted, declined or expired by someone else meanwhile
        expired += 1
        registration = offer.registration
        if _leave_waitlist(registration, None, now):
            signals.registration_changed.send(registration, change="cancelled", cause="offer_expired")
        _pass_on(registration, now)
    return expired


# --- entry points with a person -------------------------------------------------------------

def _ensure_may_answer(actor: User, registration: Registration) -> None:
    if not reg_rules.can_manage_registration(actor, registration):
        raise PermissionDenied("forbidden", _l("This offer is not yours."))


def offer_for(actor: User, registration: Registration) -> WaitlistOffer:
    """The open offer of a registration the actor manages (from "my registrations")."""
    _ensure_may_answer(actor, registration)
    offer = open_offer(registration)
    if offer is None:
        raise DomainError("offer_closed", _l("This offer is no longer open."))
    return offer


def accept_as(actor: User, registration: Registration, *, now: datetime | None = None) -> Registration:
    now = now or utcnow()
    offer = offer_for(actor, registration)
    accept(offer, now=now)
    if actor.id != registration.user_id:
        audit.record(actor, "registration.accept_offer", registration,
                     f"{registration.user.name if registration.user else '-'}: {registration.event.title}",
                     now=now)
    return registration


def decline_as(actor: User, registration: Registration, *, now: datetime | None = None) -> None:
    decline(offer_for(actor, registration), actor=actor, now=now)
