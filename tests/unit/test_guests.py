"""People without an account (guests): finding or creating them, phone
numbers, and mail that skips a person without an address."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from miado_events.accounts import people
from miado_events.errors import DomainError
from miado_events.mail import send_message
from miado_events.models.accounts import User
from miado_events.models.mail import OutboxMessage

from .events_support import NOW


def count_people(db) -> int:
    """People other than staff (the event factory makes a staff account)."""
    return db.session.scalar(select(func.count(User.id)).where(User.role == "member"))


# --- validate_phone ------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [
    ("+49 231 50-0", "+49 231 50-0"),
    ("  (0231) 123/456 ", "(0231) 123/456"),
    ("", None),
    (None, None),
    ("   ", None),
])
def test_phone_numbers_with_digits_and_separators_are_kept(value, stored):
    assert people.validate_phone(value) == stored


@pytest.mark.parametrize("value", ["0231 abc", "call me", "+49;231", "1" * 41, "+-/()"])
def test_anything_else_is_not_a_phone_number(value):
    with pytest.raises(DomainError) as excinfo:
        people.validate_phone(value)
    assert excinfo.value.code == "phone_invalid"


# --- find_or_create_person --------------------------------------------------------

def test_a_new_address_makes_a_person_without_an_account(db):
    person = people.find_or_create_person(name="  Ayşe   Yılmaz ", email=" Ayse@Example.ORG ",
                                          phone="0231 1234", locale="tr", now=NOW)
    db.session.commit()
    assert person.email == "ayse@example.org"
    assert person.name == "Ayşe Yılmaz"
    assert person.phone == "0231 1234"
    assert person.locale == "tr"
    assert not person.has_account
    assert not person.is_verified
    assert person.role == "member"


def test_an_existing_account_is_returned_unchanged(db, make_user):
    member = make_user(email="member@example.org", name="Real Name")
    person = people.find_or_create_person(name="Somebody Else", email="MEMBER@example.org",
                                          phone="0231 999", locale="ar", now=NOW)
    assert person.id == member.id
    assert (person.name, person.phone, person.locale) == ("Real Name", None, "en")
    assert person.has_account


def test_an_earlier_guest_with_the_address_is_returned_not_renamed(db):
    first = people.find_or_create_person(name="First", email="guest@example.org", locale="de", now=NOW)
    again = people.find_or_create_person(name="Second", email="guest@example.org", locale="en", now=NOW)
    assert again.id == first.id
    assert again.name == "First"
    assert count_people(db) == 1


def test_without_an_address_every_person_is_new(db):
    one = people.find_or_create_person(name="Ali", email=None, phone="0231 1", locale="de", now=NOW)
    two = people.find_or_create_person(name="Ali", email="  ", locale="de", now=NOW)
    db.session.commit()
    assert one.id != two.id
    assert one.email is None and two.email is None
    assert count_people(db) == 2


def test_an_unknown_language_falls_back_to_german(db):
    person = people.find_or_create_person(name="X", email=None, locale="xx", now=NOW)
    assert person.locale == "de"


@pytest.mark.parametrize("fields, code", [
    ({"name": "   "}, "name_required"),
    ({"name": "x" * 121}, "name_too_long"),
    ({"email": "not-an-address"}, "email_invalid"),
    ({"email": "a b@example.org"}, "email_invalid"),
    ({"phone": "phone?"}, "phone_invalid"),
])
def test_bad_input_is_refused_and_creates_nobody(db, fields, code):
    data = {"name": "Ada", "email": "ada@example.org", "phone": None, **fields}
    with pytest.raises(DomainError) as excinfo:
        people.find_or_create_person(locale="de", now=NOW, **data)
    assert excinfo.value.code == code
    assert count_people(db) == 0


def test_a_person_without_an_address_never_matches_a_log_in(db, client):
    people.find_or_create_person(name="No Mail", email=None, locale="de", now=NOW)
    db.session.commit()
    response = client.post("/login", data={"email": "", "password": "whatever-password"})
    assert response.status_code != 302


# --- mail to a person without an address --------------------------------------------

def test_mail_to_nobody_is_skipped_cleanly(db, outbox):
    result = send_message(None, "account_exists", "en", user=SimpleNamespace(name="Ada"),
                          login_url="http://localhost/login", reset_url="http://localhost/forgot")
    db.session.commit()
    assert result is None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert outbox == []


# --- registering as a guest (events.guests) ------------------------------------------------------

from miado_events.accounts import services as account_services  # noqa: E402
from miado_events.events import guests  # noqa: E402
from miado_events.events import registration as reg  # noqa: E402
from miado_events.models.events import Registration  # noqa: E402
from miado_events.models.guests import RegistrationLink  # noqa: E402
from miado_events.models.orgs import Membership, OrgInvitation  # noqa: E402
from miado_events.orgs import membership as membership_services  # noqa: E402
from miado_events.privacy.guests import delete_guest  # noqa: E402

from .events_support import assert_seat_counters_match, slot_of  # noqa: E402


def guest(slot, email="guest@example.org", *, name="Guest Person", organisation=None, consent=True):
    return guests.register_guest(slot, name=name, email=email, organisation=organisation, locale="de",
                                 privacy_consent=consent, now=NOW)


def test_a_guest_gets_a_seat_without_an_account_or_a_confirmed_address(db, make_event):
    event = make_event(capacity=1)
    outcome = guest(slot_of(event))
    db.session.commit()
    assert outcome.waitlist_reason is None and outcome.registration.is_confirmed
    person = outcome.registration.user
    assert not person.has_account and not person.is_verified
    assert person.privacy_consent_at == NOW


def test_a_guest_waits_when_the_event_is_full_and_is_promoted_like_a_member(db, make_event, make_user):
    event = make_event(capacity=1, waitlist_enabled=True)
    member = make_user()
    first = reg.register_participant(member, member, slot_of(event), now=NOW)
    waiting = guest(slot_of(event))
    db.session.commit()
    assert waiting.waitlist_reason == "event_full"
    reg.cancel_registration(member, first.registration, now=NOW)
    db.session.commit()
    db.session.refresh(waiting.registration)
    assert waiting.registration.is_confirmed
    assert_seat_counters_match(db)


def test_a_guest_for_an_mso_uses_its_seats_without_being_a_member(db, make_event, make_member, org):
    event = make_event(capacity=5, org_seat_limit=1, waitlist_enabled=True)
    member = make_member(org)
    reg.register_participant(member, member, slot_of(event), org, now=NOW)
    outcome = guest(slot_of(event), organisation=org)
    db.session.commit()
    assert outcome.waitlist_reason == "org_quota_reached"
    assert outcome.registration.organisation_id == org.id
    assert_seat_counters_match(db)


@pytest.mark.parametrize("kwargs, code", [
    ({"consent": False}, "privacy_consent_required"),
    ({"email": ""}, "email_required"),
    ({"email": None}, "email_required"),
])
def test_a_guest_needs_consent_and_an_address(db, make_event, kwargs, code):
    event = make_event()
    with pytest.raises(DomainError) as excinfo:
        guest(slot_of(event), **kwargs)
    assert excinfo.value.code == code
    assert count_people(db) == 0


def test_a_guest_cannot_name_an_mso_that_is_not_listed(db, make_event, make_org):
    pending = make_org(status="pending")
    with pytest.raises(DomainError) as excinfo:
        guest(slot_of(make_event()), organisation=pending)
    assert excinfo.value.code == "organisation_not_listed"


def test_a_members_only_event_takes_a_guest_only_for_an_mso(db, make_event, org):
    event = make_event(visibility="members")
    with pytest.raises(DomainError) as excinfo:
        guest(slot_of(event))
    assert excinfo.value.code == "members_only"
    assert guest(slot_of(event), organisation=org).registration.organisation_id == org.id


def test_a_closed_registration_writes_nothing(db, make_event):
    event = make_event(registration_closes_at=NOW - timedelta(days=1))
    with pytest.raises(DomainError) as excinfo:
        guest(slot_of(event))
    assert excinfo.value.code == "registration_closed"
    assert count_people(db) == 0


def test_one_address_registers_once_per_date(db, make_event):
    event = make_event(capacity=5)
    guest(slot_of(event))
    db.session.commit()
    with pytest.raises(DomainError) as excinfo:
        guest(slot_of(event), email="GUEST@example.org", name="Other")
    assert excinfo.value.code == "already_registered"


def test_an_address_with_an_account_registers_the_account_and_tells_its_owner(db, make_event, make_user, outbox):
    member = make_user(email="member@example.org", verified=False)
    outcome = guest(slot_of(make_event()), email="member@example.org", name="Someone")
    db.session.commit()
    assert outcome.registration.user_id == member.id
    assert any("Registered with your account" in m["Subject"] for m in outbox)
    assert db.session.scalar(select(func.count(RegistrationLink.id))) == 0


# --- management links ------------------------------------------------------------------------------

def link_token(outbox) -> str:
    from tests.conftest import link_from_mail

    return link_from_mail(outbox[-1], "/manage/").rsplit("/", 1)[1]


def test_the_confirmation_mail_of_a_guest_carries_a_working_link(db, make_event, outbox):
    outcome = guest(slot_of(make_event()))
    db.session.commit()
    link = guests.find_link(link_token(outbox))
    assert link.registration_id == outcome.registration.id


def test_cancelling_through_the_link_revokes_it_and_frees_the_seat(db, make_event, outbox):
    event = make_event(capacity=1)
    guest(slot_of(event))
    db.session.commit()
    token = link_token(outbox)
    guests.cancel_by_link(guests.find_link(token), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as excinfo:
        guests.find_link(token)
    assert excinfo.value.code == "link_invalid"
    assert slot_of(event).confirmed_count == 0


def test_a_link_stops_working_when_staff_cancel_the_registration(db, make_event, staff, outbox):
    outcome = guest(slot_of(make_event()))
    db.session.commit()
    token = link_token(outbox)
    reg.cancel_registration(staff, outcome.registration, now=NOW)
    db.session.commit()
    with pytest.raises(DomainError):
        guests.find_link(token)


def test_revoking_a_link_by_hand_closes_it(db, make_event, outbox):
    outcome = guest(slot_of(make_event()))
    db.session.commit()
    token = link_token(outbox)
    assert guests.revoke_links(outcome.registration, now=NOW) == 1
    db.session.commit()
    with pytest.raises(DomainError):
        guests.find_link(token)


def test_deleting_a_guest_removes_the_person_and_keeps_the_counts(db, make_event, outbox):
    event = make_event(capacity=1)
    outcome = guest(slot_of(event))
    db.session.commit()
    token = link_token(outbox)
    person = outcome.registration.user
    delete_guest(person, now=NOW)
    db.session.commit()
    assert count_people(db) == 0
    registration = db.session.get(Registration, outcome.registration.id)
    assert registration.user_id is None and registration.ticket_token is None
    with pytest.raises(DomainError):
        guests.find_link(token)
    assert_seat_counters_match(db)


def test_a_person_with_an_account_is_not_deleted_through_a_link(db, make_user):
    with pytest.raises(DomainError) as excinfo:
        delete_guest(make_user())
    assert excinfo.value.code == "has_account"


def test_a_registration_without_an_address_sends_no_mail(db, make_event, staff, outbox):
    person = people.find_or_create_person(name="By Phone", email=None, phone="0231 1", locale="de", now=NOW)
    outcome = reg.register_participant(staff, person, slot_of(make_event()), now=NOW)
    db.session.commit()
    assert outcome.registration.is_confirmed
    assert outbox == []
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_person_without_an_address_can_be_deleted(db, make_event, staff):
    person = people.find_or_create_person(name="By Phone", email=None, locale="de", now=NOW)
    reg.register_participant(staff, person, slot_of(make_event()), now=NOW)
    db.session.commit()
    delete_guest(person, now=NOW)
    db.session.commit()
    assert count_people(db) == 0


# --- signing up claims a guest; invitations travel through sign-up -------------------------------

def sign_up(email="guest@example.org", name="New Name", **kwargs):
    return account_services.sign_up(name=name, email=email, password="a-long-password-1", locale="en",
                                    privacy_consent=True, now=NOW, **kwargs)


def test_signing_up_claims_the_guest_row_unverified(db, make_event, outbox):
    outcome = guest(slot_of(make_event()))
    db.session.commit()
    user = sign_up(email="Guest@Example.org")
    db.session.commit()
    assert user.id == outcome.registration.user_id
    # The name stays as registered: a claim proves nothing until the address is verified.
    assert user.has_account and not user.is_verified and user.name == "Guest Person"
    assert count_people(db) == 1
    with pytest.raises(DomainError) as excinfo:
        account_services.authenticate("guest@example.org", "a-long-password-1", now=NOW)
    assert excinfo.value.code == "email_not_verified"


def test_signing_up_never_claims_an_account(db, make_user, outbox):
    member = make_user(email="member@example.org")
    old = member.password_hash
    assert sign_up(email="member@example.org") is None
    db.session.commit()
    db.session.refresh(member)
    assert member.password_hash == old


def test_a_claim_does_not_keep_an_old_verification(db):
    person = people.find_or_create_person(name="X", email="x@example.org", locale="de", now=NOW)
    person.email_verified_at = NOW  # e.g. set by some earlier path
    db.session.commit()
    user = sign_up(email="x@example.org")
    assert not user.is_verified


def invitation(db, org, rep_user, days=14) -> int:
    inv, _url = membership_services.create_share_link(rep_user, org, days, now=NOW)
    db.session.commit()
    return inv.id


def verify_link_token(outbox) -> str:
    from tests.conftest import link_from_mail

    return link_from_mail(outbox[-1], "/verify/").rsplit("/", 1)[1]


def test_an_invitation_opened_before_sign_up_is_accepted_at_verification(db, org, make_member, outbox):
    rep_user = make_member(org, role="representative")
    inv_id = invitation(db, org, rep_user)
    user = sign_up(email="joiner@example.org", org_invitation_id=inv_id)
    db.session.commit()
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == user.id)) == 0
    account_services.verify_email(verify_link_token(outbox), now=NOW)
    db.session.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.organisation_id == org.id and membership.is_active
    assert db.session.get(OrgInvitation, inv_id).use_count == 1


def test_the_invitation_travels_with_a_second_verification_link(db, org, make_member, outbox):
    rep_user = make_member(org, role="representative")
    user = sign_up(email="joiner@example.org", org_invitation_id=invitation(db, org, rep_user))
    db.session.commit()
    account_services.send_verification(user, now=NOW)
    db.session.commit()
    account_services.verify_email(verify_link_token(outbox), now=NOW)
    db.session.commit()
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == user.id)) == 1


def test_a_withdrawn_invitation_does_not_stop_the_verification(db, org, make_member, outbox):
    rep_user = make_member(org, role="representative")
    inv_id = invitation(db, org, rep_user)
    user = sign_up(email="joiner@example.org", org_invitation_id=inv_id)
    membership_services.revoke_invitation(rep_user, db.session.get(OrgInvitation, inv_id), now=NOW)
    db.session.commit()
    account_services.verify_email(verify_link_token(outbox), now=NOW)
    db.session.commit()
    assert user.is_verified
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == user.id)) == 0


# --- the nightly purge --------------------------------------------------------------------------------

def test_the_purge_removes_guests_once_their_registrations_are_anonymised(db, make_event, make_user):
    from miado_events.privacy.services import purge

    event = make_event()
    old_guest = guest(slot_of(event), email="old@example.org").registration.user
    member = make_user(email="member@example.org")
    lone = people.find_or_create_person(name="No Registration", email=None, locale="de", now=NOW)
    db.session.commit()
    gone, member_id = (lone.id, old_guest.id), member.id
    # Long after the event: its registrations are anonymised, then the guests go.
    report = purge(months=1, now=NOW + timedelta(days=400))
    db.session.commit()
    assert report.guests == 2
    remaining = set(db.session.scalars(select(User.email)).all())
    assert "old@example.org" not in remaining and "member@example.org" in remaining
    db.session.expunge_all()
    assert db.session.scalar(select(func.count(User.id)).where(User.id.in_(gone))) == 0
    assert db.session.get(User, member_id) is not None


def test_the_purge_keeps_a_guest_with_an_upcoming_registration(db, make_event):
    from miado_events.privacy.services import purge

    future = make_event()
    person = guest(slot_of(future)).registration.user
    db.session.commit()
    purge(months=1, now=NOW + timedelta(days=1))
    db.session.commit()
    assert db.session.get(User, person.id) is not None


def test_the_reminder_of_a_guest_carries_their_personal_link(db, make_event, outbox):
    from miado_events.events.reminders import send_reminders

    from .events_support import SESSION_START

    guest(slot_of(make_event()))
    db.session.commit()
    outbox.clear()
    assert send_reminders(now=SESSION_START - timedelta(hours=20)) == 1
    db.session.commit()
    token = link_token(outbox)
    assert guests.find_link(token).registration.user.email == "guest@example.org"
    assert "/my/registrations" not in outbox[-1].get_body(("plain",)).get_content()


def test_inviting_a_guests_address_as_staff_sends_the_link_to_choose_a_password(db, make_user, outbox):
    admin = make_user("admin")
    person = people.find_or_create_person(name="Guest First", email="later.staff@example.org",
                                          locale="de", now=NOW)
    db.session.commit()
    invited = account_services.invite_staff(admin, email="later.staff@example.org", name="Staff Name",
                                            role="staff", now=NOW)
    db.session.commit()
    assert invited.id == person.id and invited.role == "staff"
    assert "/invitation/" in outbox[-1].get_body(("plain",)).get_content()


def test_staff_send_a_new_link_and_the_old_one_stops_working(db, make_event, staff, outbox):
    from miado_events.models.audit import AuditEntry

    outcome = guest(slot_of(make_event()))
    db.session.commit()
    old = link_token(outbox)
    guests.send_new_link(staff, outcome.registration, now=NOW)
    db.session.commit()
    new = link_token(outbox)
    assert outbox[-1]["To"] == "guest@example.org" and new != old
    assert guests.find_link(new).registration_id == outcome.registration.id
    with pytest.raises(DomainError):
        guests.find_link(old)
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "registration.new_link"))


def test_only_staff_send_new_links_and_only_to_guests(db, make_event, make_user, staff):
    member = make_user()
    outcome = guest(slot_of(make_event(capacity=5)))
    with pytest.raises(DomainError) as excinfo:
        guests.send_new_link(member, outcome.registration, now=NOW)
    assert excinfo.value.code == "forbidden"
    own = reg.register_participant(member, member, outcome.registration.slot, now=NOW)
    with pytest.raises(DomainError) as excinfo:
        guests.send_new_link(staff, own.registration, now=NOW)
    assert excinfo.value.code == "no_personal_link"
