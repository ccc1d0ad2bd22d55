"""Walk-ins: someone arrives without a registration while seats are free;
door staff register and check them in in one step. A refused walk-in
leaves nothing behind (the door view rolls back on a DomainError, as here)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from miado_events.accounts import services as accounts
from miado_events.checkin import door_lists
from miado_events.checkin.walkins import walk_in
from miado_events.errors import DomainError, PermissionDenied
from miado_events.models.accounts import Role, User
from miado_events.models.events import Registration
from miado_events.models.mail import OutboxMessage
from tests.conftest import link_from_mail

from .checkin_support import (
    WINDOW_CLOSES,
    WINDOW_OPENS,
    attendances,
    count,
    door_staff_for,
    minutes,
    seat,
)
from .events_support import SESSION_START, assert_code, assert_seat_counters_match, body

AT_DOOR = SESSION_START + minutes(5)


@pytest.fixture
def door_at(db, make_user, staff):
    """Factory: door staff assigned to ``event``."""
    return lambda event: door_staff_for(db, make_user, staff, event)


def _user(db, email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _mails(db) -> list[tuple[str, str]]:
    """The e-mails queued so far (delivered or not): (address, template)."""
    return [tuple(row) for row in db.session.execute(
        select(OutboxMessage.to_address, OutboxMessage.template).order_by(OutboxMessage.id))]


def _refused(db, action) -> DomainError:
    """Run a walk-in that must fail, roll back like the door view does."""
    with pytest.raises(DomainError) as exc:
        action()
    db.session.rollback()
    return exc


def test_walk_in_with_a_new_address_gets_account_seat_and_check_in(db, door_at, make_event, outbox):
    event = make_event(capacity=2)
    door = door_at(event)
    result = walk_in(door, event.sessions[0], name="  Mehmet Kaya ", email=" Mehmet.Kaya@Example.org ",
                     now=AT_DOOR)
    db.session.commit()
    assert (result.outcome, result.tone) == ("checked_in", "green")
    person = _user(db, "mehmet.kaya@example.org")
    assert person is not None and person.name == "Mehmet Kaya"
    assert person.role == Role.MEMBER.value
    registration = result.registration
    assert (registration.user_id, registration.status) == (person.id, "confirmed")
    assert registration.slot.confirmed_count == 1
    assert door_lists.counts(event.sessions[0]) == door_lists.Counts(checked_in=1, confirmed=1)
    [attendance] = attendances(db)
    assert (attendance.method, attendance.checked_in_by_id) == ("walk_in", door.id)
    assert_seat_counters_match(db)


def test_walk_in_gets_a_welcome_mail_whose_link_sets_a_password(db, door_at, make_event, outbox):
    event = make_event()
    walk_in(door_at(event), event.sessions[0], name="Mehmet Kaya", email="mehmet@example.org", now=AT_DOOR)
    db.session.commit()
    [welcome] = [m for m in outbox if m["To"] == "mehmet@example.org" and "/invitation/" in body(m)]
    link = link_from_mail(welcome, "/invitation/")
    person = accounts.accept_invite(link.rsplit("/", 1)[1], "a-long-enough-password", privacy_consent=True)
    db.session.commit()
    assert person.email == "mehmet@example.org" and person.is_verified


def test_walk_in_also_gets_the_ticket_mail(db, door_at, make_event, outbox):
    event = make_event()
    result = walk_in(door_at(event), event.sessions[0], name="Mehmet Kaya", email="mehmet@example.org",
                     now=AT_DOOR)
    db.session.commit()
    mails = [m for m in outbox if m["To"] == "mehmet@example.org"]
    assert any(result.registration.ticket_code_display in body(m) for m in mails)


def test_walk_in_who_is_already_registered_is_just_checked_in(db, door_at, make_user, make_event, outbox):
    event = make_event()
    registration = seat(db, person := make_user(email="ayse@example.org"), event)
    door = door_at(event)
    mails_before = _mails(db)
    result = walk_in(door, event.sessions[0], name="Ayşe", email="AYSE@example.org", now=AT_DOOR)
    db.session.commit()
    assert result.outcome == "checked_in"
    assert result.registration.id == registration.id
    assert count(db, Registration) == 1
    assert attendances(db)[0].method == "manual"
    assert person.name != "Ayşe"  # the account is left as it was
    assert _mails(db) == mails_before


def test_walk_in_with_an_existing_account_registers_it_with_its_mso(
        db, door_at, make_member, make_event, org, outbox):
    event = make_event()
    member = make_member(org, email="jan@example.org")
    door = door_at(event)
    users_before = count(db, User)
    result = walk_in(door, event.sessions[0], name="Jan", email="jan@example.org", now=AT_DOOR)
    db.session.commit()
    assert result.outcome == "checked_in"
    assert result.registration.user_id == member.id
    assert result.registration.organisation_id == org.id
    assert count(db, User) == users_before
    assert ("jan@example.org", "walk_in_welcome") not in _mails(db)


def test_walk_in_when_the_session_is_full_changes_nothing(db, door_at, make_user, make_event, outbox):
    event = make_event(capacity=1)
    seat(db, make_user(), event)
    door = door_at(event)
    users_before = count(db, User)
    outbox.clear()
    exc = _refused(db, lambda: walk_in(door, event.sessions[0], name="Neu", email="neu@example.org",
                                               now=AT_DOOR))
    assert_code(exc, "event_full")
    assert count(db, User) == users_before
    assert _user(db, "neu@example.org") is None
    assert door_lists.counts(event.sessions[0]) == door_lists.Counts(checked_in=0, confirmed=1)
    assert count(db, Registration) == 1
    assert attendances(db) == []
    assert ("neu@example.org", "walk_in_welcome") not in _mails(db)
    assert outbox == []
    assert_seat_counters_match(db)


def test_walk_in_before_check_in_opens_is_refused(db, door_at, make_event):
    event = make_event()
    door = door_at(event)
    exc = _refused(db, lambda: walk_in(door, event.sessions[0], name="Neu", email="neu@example.org",
                                             now=WINDOW_OPENS - minutes(1)))
    assert_code(exc, "window_closed")
    assert _user(db, "neu@example.org") is None


def test_walk_in_after_check_in_closed_is_refused(db, door_at, make_event):
    event = make_event()
    door = door_at(event)
    exc = _refused(db, lambda: walk_in(door, event.sessions[0], name="Neu", email="neu@example.org",
                                             now=WINDOW_CLOSES + minutes(1)))
    assert_code(exc, "window_closed")
    assert count(db, Registration) == 0


def test_walk_in_to_members_only_event_without_mso_is_refused(db, door_at, make_event, outbox):
    event = make_event(visibility="members")
    door = door_at(event)
    outbox.clear()
    exc = _refused(db, lambda: walk_in(door, event.sessions[0], name="Neu", email="neu@example.org",
                                               now=AT_DOOR))
    assert_code(exc, "members_only")
    assert _user(db, "neu@example.org") is None
    assert count(db, Registration) == 0
    assert _mails(db) == []
    assert outbox == []


def test_walk_in_to_members_only_event_with_mso_is_let_in(db, door_at, make_member, make_event, org):
    event = make_event(visibility="members")
    make_member(org, email="member@example.org")
    result = walk_in(door_at(event), event.sessions[0], name="Member", email="member@example.org",
                     now=AT_DOOR)
    assert result.outcome == "checked_in"
    assert result.registration.organisation_id == org.id


def test_walk_in_needs_a_name(db, door_at, make_event):
    event = make_event()
    door = door_at(event)
    exc = _refused(db, lambda: walk_in(door, event.sessions[0], name="   ", email="neu@example.org",
                                             now=AT_DOOR))
    assert_code(exc, "name_required")


def test_door_staff_of_another_event_cannot_register_walk_ins(db, door_at, make_user, make_event):
    event, other = make_event(), make_event(kind="networking")
    door = door_at(other)
    with pytest.raises(PermissionDenied):
        walk_in(door, event.sessions[0], name="Neu", email="neu@example.org", now=AT_DOOR)
    with pytest.raises(PermissionDenied):
        walk_in(make_user(), event.sessions[0], name="Neu", email="neu@example.org", now=AT_DOOR)
    db.session.rollback()
    assert _user(db, "neu@example.org") is None
