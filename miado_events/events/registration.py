"""Registration rules, in one place for every entry point (member, representative,
staff, CLI). Services take the acting user explicitly and never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, signals
from ..database import utcnow
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..models.accounts import User
from ..models.events import Registration, RegistrationStatus, RegistrationWindow, Slot, new_ticket_token
from ..models.orgs import Membership, MembershipStatus, Organisation, OrgStatus
from ..permissions import active_membership, ensure, is_representative_of, is_staff
from . import offers, seats


@dataclass
class Outcome:
    registration: Registration
    #: None when confirmed; ``event_full`` or ``org_quota_reached`` when waitlisted.
    waitlist_reason: str | None = None


def _err(code: str, message) -> DomainError:
    return DomainError(code, message)


def active_organisations(user: User) -> list[Organisation]:
    """Listed MSOs the user is an active member of (the seats can count against)."""
    return list(db.session.scalars(_active_organisations_query(), {"user_id": user.id}))


def active_registration(user: User, slot: Slot) -> Registration | None:
    return db.session.scalar(_active_registration_query(), {"slot_id": slot.id, "user_id": user.id})


# The two statements every registration runs, built once per process
# (building them cost more than running them).

@cache
def _active_organisations_query():
    return (select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == bindparam("user_id"), Membership.status == MembershipStatus.ACTIVE.value,
                   Organisation.status == OrgStatus.LISTED.value)
            .order_by(Organisation.name))


@cache
def _active_registration_query():
    return select(Registration).where(Registration.slot_id == bindparam("slot_id"),
                                      Registration.user_id == bindparam("user_id"), Registration.is_active)


def check_slot_open(slot: Slot, now: datetime, *, staff: bool = False, at_door: bool = False) -> None:
    """Raise why nobody can register for ``slot`` now (staff skip the window;
    at the door, the check-in service decides about the time)."""
    event = slot.event
    if event.is_cancelled:
        raise _err("event_cancelled", _l("This event has been cancelled."))
    if not event.is_published:
        raise _err("event_not_published", _l("This event is not open for registration."))
    if slot.session is not None and not slot.session.is_scheduled:
        raise _err("session_cancelled", _l("This session has been cancelled."))
    if at_door:
        return
    window = slot.registration_window(now)
    if staff and not slot.has_started(now):
        return
    if window is RegistrationWindow.NOT_YET_OPEN:
        raise _err("registration_not_open", _l("Registration has not opened yet."))
    if window is RegistrationWindow.CLOSED:
        raise _err("registration_closed", _l("Registration for this event is closed."))


def _check_actor(actor: User, participant: User, organisation: Organisation | None) -> None:
    if actor.id == participant.id or is_staff(actor):
        return
    # A representative registers colleagues of their own MSO, and people
    # without an account for it (see events.on_behalf), nobody else
    # (checked before anything about the participant is revealed).
    if (organisation is not None and is_representative_of(actor, organisation)
            and (active_membership(participant, organisation) is not None or not participant.has_account)):
        return
    raise PermissionDenied("forbidden", _l("You may only register yourself or members of your organisation."))


def _check_organisation(participant: User, organisation: Organisation | None, slot: Slot,
                        *, guest: bool = False) -> None:
    if organisation is not None and (guest or not participant.has_account):
        # A person without an account belongs to no MSO: the MSO is the one
        # they come for (chosen by them, by staff or fixed by the representative).
        if not organisation.is_listed:
            raise _err("organisation_not_listed", _l("This organisation is not listed."))
        return
    orgs = active_organisations(participant)
    if organisation is not None:
        if organisation.id not in {o.id for o in orgs}:
            raise _err("not_a_member", _l("The person is not an active member of this organisation."))
        return
    if slot.event.is_members_only:
        raise _err("members_only", _l("This event is for members of migrant self-organisations."))
    if orgs and not guest:
        raise _err("organisation_required",
                   _l("Please choose the organisation you are registering for."))


def default_organisation(participant: User, chosen: Organisation | None = None) -> Organisation | None:
    """The MSO a registration by someone else counts against: the chosen one
    if the person is an active member of it, else their first listed MSO."""
    orgs = active_organisations(participant)
    if chosen is not None and any(o.id == chosen.id for o in orgs):
        return chosen
    return orgs[0] if orgs else None


def register_participant(actor: User, participant: User, slot: Slot,
                         organisation: Organisation | None = None,
                         *, now: datetime | None = None, at_door: bool = False,
                         guest: bool = False) -> Outcome:
    """Register ``participant`` for ``slot``: a seat if one is free (within the
    MSO's limit), else the waiting list (if the event has one).

    ``at_door``: a walk-in registered by door staff (see checkin.walkins):
    only a free seat will do, and the e-mail address need not be confirmed
    yet (the person stands in front of the door staff).

    ``guest``: a person registering themselves with the guest form (see
    events.guests), whose address may belong to an account: no confirmed
    address and no membership needed; the MSO they name (a listed one)
    counts the seat, as for a person without an account."""
    now = now or utcnow()
    staff = is_staff(actor)
    check_slot_open(slot, now, staff=staff, at_door=at_door)
    if not at_door:
        _check_actor(actor, participant, organisation)
    # An account needs its confirmed address; a person without an account
    # (a guest, or entered by phone without an address) does not.
    if not participant.is_verified and not at_door and participant.has_account and not guest:
        raise _err("email_not_verified", _l("Please confirm your e-mail address first."))
    _check_organisation(participant, organisation, slot, guest=guest)
    if active_registration(participant, slot) is not None:
        raise _err("already_registered", _l("You are already registered for this."))

    org_id = organisation.id if organisation is not None else None
    # Nothing slow happens from here to the commit: the seat statements, the
    # registration, and a mail *recipe* (the mail worker draws the ticket's QR
    # code and renders the mail; see miado_events.mail).
    ticket_token = new_ticket_token()
    try:
        # The seat and the registration in one savepoint: when the unique
        # index refuses a second registration of the same person (a double
        # click in a parallel request), its seat goes back with it and the
        # caller's transaction stays as it was.
        with db.session.begin_nested():
            reason = seats.take_seat(slot, org_id)
            if reason is not None and (at_door or not slot.event.waitlist_enabled):
                raise _err(reason, _l("No seats are free.") if reason == seats.EVENT_FULL
                           else _l("Your organisation has already used all the seats it may have."))
            registration = Registration(
                slot=slot, event_id=slot.event_id, user=participant, organisation=organisation,
                status=(RegistrationStatus.CONFIRMED if reason is None
                        else RegistrationStatus.WAITLISTED).value,
                registered_by=actor if actor.id != participant.id else None,
                created_at=now, confirmed_at=now if reason is None else None, ticket_token=ticket_token)
            db.session.add(registration)
    except IntegrityError:
        raise _err("already_registered", _l("You are already registered for this.")) from None
    if reason is None:
        signals.registration_changed.send(registration, change="confirmed")
    else:
        signals.registration_changed.send(registration, change="waitlisted",
                                           position=waitlist_position(registration), reason=reason)
    if actor.id != participant.id and not at_door:
        # Who entered someone else: staff, or a representative for their MSO.
        audit.record(actor, "registration.add" if staff else "registration.add_by_representative",
                     registration, f"{participant.name}: {slot.event.title}",
                     now=now, status=registration.status, organisation_id=org_id)
    return Outcome(registration, reason)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first person on the list; positions have no gaps."""
    if not registration.is_waitlisted:
        return None
    return db.session.scalar(select(func.count(Registration.id)).where(
        Registration.slot_id == registration.slot_id,
        Registration.status == RegistrationStatus.WAITLISTED.value,
        Registration.id <= registration.id))


def waitlist(slot: Slot) -> list[Registration]:
    return list(db.session.scalars(select(Registration).where(
        Registration.slot_id == slot.id, Registration.status == RegistrationStatus.WAITLISTED.value)
        .order_by(Registration.id)))


def can_manage_registration(actor: User, registration: Registration) -> bool:
    if is_staff(actor) or actor.id == registration.user_id:
        return True
    org = registration.organisation
    return org is not None and is_representative_of(actor, org)


def cancel_registration(actor: User, registration: Registration,
                        *, now: datetime | None = None, account_deleted: bool = False,
                        cause: str | None = None) -> list[Registration]:
    """Cancel a seat or leave the waiting list. Members keep to the deadline,
    staff may cancel any time, and so may a person deleting their account
    (``account_deleted``: nobody will come). A freed seat goes to the waiting
    list at once (or is offered, in offer mode). A seat given up after the
    cancellation deadline is recorded as late; members may cancel until the
    slot starts. Returns the registrations promoted. ``cause`` travels with
    the announcement (e.g. ``calendar_declined``: the person declined the
    invitation in their calendar app) so the mail can say why."""
    now = now or utcnow()
    ensure(can_manage_registration, actor, registration)
    # A waiting person holding an offered seat: the offer first (see offers' lock order).
    offer = offers.lock_open_offer(registration)
    # The status read earlier may be stale: a waiting person may have just got
    # a seat. Cancel only in the status we decided on; if it changed, decide
    # again on the current one (a seat taken meanwhile must be given on).
    for _attempt in range(3):
        if not registration.is_active:
            raise _err("already_cancelled", _l("This registration has already been cancelled."))
        if not (is_staff(actor) or account_deleted) and not registration.can_be_cancelled_by_member(now):
            raise _err("session_started",
                       _l("The event has already started. It can no longer be cancelled online."))
        was_confirmed = registration.is_confirmed
        result = db.session.execute(
            update(Registration)
            .where(Registration.id == registration.id, Registration.status == registration.status)
            .values(status=RegistrationStatus.CANCELLED.value, cancelled_at=now, cancelled_by_id=actor.id,
                    cancelled_late=registration.cancelling_is_late(now))
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            break
        db.session.refresh(registration)
    else:
        raise _err("already_cancelled", _l("This registration has already been cancelled."))
    db.session.expire(registration)
    signals.registration_changed.send(registration, change="cancelled", cause=cause)
    if is_staff(actor) and actor.id != registration.user_id:
        audit.record(actor, "registration.cancel", registration,
                     f"{registration.user.name}: {registration.event.title}", now=now)
    if not was_confirmed:
        return offers.withdraw(offer, registration, now)
    seats.release_seat(registration.slot, registration.organisation_id)
    return fill_free_seats(registration.slot, now=now)


def _claim(registration: Registration, now: datetime) -> bool:
    """Move a waiting registration to confirmed, if nobody else did it first."""
    result = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id,
               Registration.status == RegistrationStatus.WAITLISTED.value)
        .values(status=RegistrationStatus.CONFIRMED.value, confirmed_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _unclaim(registration: Registration) -> None:
    db.session.execute(
        update(Registration).where(Registration.id == registration.id)
        .values(status=RegistrationStatus.WAITLISTED.value, confirmed_at=None)
        .execution_options(synchronize_session=False))


def _promote(registration: Registration, now: datetime) -> str | None:
    """Try to give ``registration`` a seat: None on success, else the reason."""
    if not _claim(registration, now):
        return "not_waitlisted"
    reason = seats.take_seat(registration.slot, registration.organisation_id)
    if reason is not None:
        _unclaim(registration)
    db.session.expire(registration)
    return reason


def fill_free_seats(slot: Slot, *, now: datetime | None = None) -> list[Registration]:
    """Give free seats to the first eligible people on the waiting list
    (someone whose MSO has used its seats is skipped, not removed). In offer
    mode the seats are offered instead (events/offers.py): nobody is promoted."""
    now = now or utcnow()
    promoted = []
    if slot.event.is_cancelled or (slot.session is not None and not slot.session.is_scheduled):
        return promoted
    if slot.event.offers_seats:
        offers.offer_free_seats(slot, now=now)
        return promoted
    held = offers.held_registration_ids(slot)  # offered before the mode changed: their seat is held
    for candidate in waitlist(slot):
        if candidate.id in held:
            continue
        db.session.refresh(slot)
        if slot.free_seats == 0:
            break
        reason = _promote(candidate, now)
        if reason is None:
            promoted.append(candidate)
            signals.registration_changed.send(candidate, change="promoted")
        elif reason == seats.EVENT_FULL:
            break
    return promoted


def promote_by_hand(actor: User, registration: Registration, *, now: datetime | None = None) -> None:
    """Staff move one person from the waiting list to a free seat."""
    now = now or utcnow()
    ensure(is_staff, actor)
    if not registration.is_waitlisted:
        raise _err("not_waitlisted", _l("This person is not on the waiting list."))
    offer = offers.lock_open_offer(registration)
    if offer is not None:  # the seat held for them by an offer becomes theirs
        offers.accept(offer, now=now)
        audit.record(actor, "registration.promote", registration,
                     f"{registration.user.name}: {registration.event.title}", now=now)
        return
    reason = _promote(registration, now)
    if reason == seats.EVENT_FULL:
        raise _err("event_full", _l("No seats are free. Raise the capacity first."))
    if reason == seats.ORG_QUOTA_REACHED:
        raise _err("org_quota_reached", _l("This organisation has already used all the seats it may have."))
    if reason is not None:
        raise _err("not_waitlisted", _l("This person is not on the waiting list."))
    signals.registration_changed.send(registration, change="promoted")
    audit.record(actor, "registration.promote", registration,
                 f"{registration.user.name}: {registration.event.title}", now=now)
