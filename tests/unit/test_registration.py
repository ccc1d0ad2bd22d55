"""Registration rules (seats, waiting list, per-MSO seat limits, who may
register and cancel), one behaviour per test, called on the services
directly with frozen time. The seat counters must always equal the number
of confirmed registrations: ``assert_seat_counters_match`` checks it.

The factories here are shared with ``test_event_services.py``."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from miado_events.errors import DomainError
from miado_events.events import queries, seats, services
from miado_events.events import registration as reg
from miado_events.models.events import Registration, SlotOrgSeats

from .events_support import (
    NOW,
    SESSION_START,
    assert_code,
    assert_seat_counters_match,
    body,
    register,
    slot_of,
    status_of,
)

# --- registering: seats and waiting list ---------------------------------------------

def test_person_gets_a_seat_while_seats_are_free(db, make_user, make_event):
    slot = slot_of(make_event(capacity=2))
    outcome = reg.register_participant(person := make_user(), person, slot, now=NOW)
    assert outcome.waitlist_reason is None
    assert outcome.registration.is_confirmed
    assert outcome.registration.confirmed_at == NOW
    assert_seat_counters_match(db)


def test_full_event_puts_the_next_person_on_the_waiting_list(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1))
    register(db, make_user(), slot)
    outcome = reg.register_participant(person := make_user(), person, slot, now=NOW)
    assert outcome.waitlist_reason == "event_full"
    assert outcome.registration.is_waitlisted
    assert outcome.registration.confirmed_at is None
    assert_seat_counters_match(db)


def test_full_event_without_waiting_list_refuses(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1, waitlist_enabled=False))
    register(db, make_user(), slot)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot, now=NOW)
    assert_code(exc, "event_full")
    assert_seat_counters_match(db)


def test_mso_seat_limit_waitlists_the_mso_while_others_still_get_seats(
        db, make_member, make_event, org, other_org):
    slot = slot_of(make_event(capacity=3, org_seat_limit=1))
    register(db, make_member(org), slot, org)
    second = make_member(org)
    outcome = reg.register_participant(second, second, slot, org, now=NOW)
    assert outcome.waitlist_reason == "org_quota_reached"
    assert outcome.registration.is_waitlisted
    other = make_member(other_org)
    assert reg.register_participant(other, other, slot, other_org, now=NOW).waitlist_reason is None
    assert_seat_counters_match(db)


def test_mso_seat_limit_without_waiting_list_refuses(db, make_member, make_event, org):
    slot = slot_of(make_event(capacity=3, org_seat_limit=1, waitlist_enabled=False))
    register(db, make_member(org), slot, org)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(second := make_member(org), second, slot, org, now=NOW)
    assert_code(exc, "org_quota_reached")
    assert_seat_counters_match(db)


def test_series_is_registered_as_a_whole(db, make_user, make_event):
    event = make_event(kind="series", sessions=3)
    slot = slot_of(event)
    outcome = register(db, make_user(), slot)
    assert slot.session_id is None
    assert outcome.registration.slot.sessions == event.sessions
    assert_seat_counters_match(db)


def test_registering_twice_is_refused(db, make_user, make_event):
    slot = slot_of(make_event())
    person = make_user()
    register(db, person, slot)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person, person, slot, now=NOW)
    assert_code(exc, "already_registered")
    assert_seat_counters_match(db)


def test_registering_again_from_the_waiting_list_is_refused(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1))
    register(db, make_user(), slot)
    person = make_user()
    register(db, person, slot)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person, person, slot, now=NOW)
    assert_code(exc, "already_registered")


def test_registering_again_after_cancelling_is_allowed(db, make_user, make_event):
    slot = slot_of(make_event())
    person = make_user()
    reg.cancel_registration(person, register(db, person, slot).registration, now=NOW)
    db.session.commit()
    assert register(db, person, slot).registration.is_confirmed
    assert_seat_counters_match(db)


# --- registering: when ---------------------------------------------------------------

def test_registration_closed_after_it_closes(make_user, make_event):
    event = make_event(registration_closes_at=NOW - timedelta(hours=1))
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot_of(event), now=NOW)
    assert_code(exc, "registration_closed")


def test_registration_closed_once_the_session_started(make_user, make_event):
    slot = slot_of(make_event())
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot,
                                 now=SESSION_START + timedelta(minutes=1))
    assert_code(exc, "registration_closed")


def test_registration_for_a_series_closes_when_its_first_session_starts(make_user, make_event):
    slot = slot_of(make_event(kind="series", sessions=3))
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot,
                                 now=SESSION_START + timedelta(days=1))
    assert_code(exc, "registration_closed")


def test_registration_not_open_before_it_opens(make_user, make_event):
    event = make_event(registration_opens_at=NOW + timedelta(hours=1))
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot_of(event), now=NOW)
    assert_code(exc, "registration_not_open")


def test_draft_event_refuses_registration(make_user, make_event):
    slot = slot_of(make_event(publish=False))
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot, now=NOW)
    assert_code(exc, "event_not_published")


def test_cancelled_event_refuses_registration(db, make_user, make_event, staff):
    event = make_event()
    services.cancel_event(staff, event, now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot_of(event), now=NOW)
    assert_code(exc, "event_cancelled")


def test_cancelled_session_refuses_registration(db, make_user, make_event, staff):
    event = make_event(kind="networking", sessions=2)
    services.cancel_session(staff, event.sessions[0], now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot_of(event, 0), now=NOW)
    assert_code(exc, "session_cancelled")


def test_staff_register_someone_before_registration_opens(db, make_user, make_event, staff):
    event = make_event(registration_opens_at=NOW + timedelta(days=2))
    outcome = reg.register_participant(staff, make_user(), slot_of(event), now=NOW)
    assert outcome.registration.is_confirmed
    assert outcome.registration.registered_by_id == staff.id


def test_staff_register_someone_after_registration_closed(db, make_user, make_event, staff):
    event = make_event(registration_closes_at=NOW - timedelta(days=2))
    outcome = reg.register_participant(staff, make_user(), slot_of(event), now=NOW)
    assert outcome.registration.is_confirmed


def test_staff_cannot_register_someone_once_the_session_started(make_user, make_event, staff):
    slot = slot_of(make_event())
    with pytest.raises(DomainError) as exc:
        reg.register_participant(staff, make_user(), slot, now=SESSION_START)
    assert_code(exc, "registration_closed")


# --- registering: who ----------------------------------------------------------------

def test_unverified_email_is_refused(make_user, make_event):
    slot = slot_of(make_event())
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(verified=False), person, slot, now=NOW)
    assert_code(exc, "email_not_verified")


def test_members_only_event_refuses_a_person_without_mso(make_user, make_event):
    slot = slot_of(make_event(visibility="members"))
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person := make_user(), person, slot, now=NOW)
    assert_code(exc, "members_only")


def test_members_only_event_accepts_a_member_of_a_listed_mso(make_member, make_event, org):
    slot = slot_of(make_event(visibility="members"))
    outcome = reg.register_participant(member := make_member(org), member, slot, org, now=NOW)
    assert outcome.registration.is_confirmed
    assert outcome.registration.organisation_id == org.id


def test_member_of_an_mso_must_say_which_mso_the_seat_counts_for(make_member, make_event, org):
    slot = slot_of(make_event())
    with pytest.raises(DomainError) as exc:
        reg.register_participant(member := make_member(org), member, slot, now=NOW)
    assert_code(exc, "organisation_required")


def test_naming_an_mso_one_does_not_belong_to_is_refused(make_member, make_event, org, other_org):
    slot = slot_of(make_event())
    with pytest.raises(DomainError) as exc:
        reg.register_participant(member := make_member(org), member, slot, other_org, now=NOW)
    assert_code(exc, "not_a_member")


def test_naming_an_mso_that_is_not_listed_is_refused(make_member, make_event, make_org):
    pending = make_org(status="pending")
    slot = slot_of(make_event())
    with pytest.raises(DomainError) as exc:
        reg.register_participant(member := make_member(pending), member, slot, pending, now=NOW)
    assert_code(exc, "not_a_member")


def test_a_membership_request_does_not_count(make_user, join, make_event, org):
    person = make_user()
    join(person, org, status="requested")
    with pytest.raises(DomainError) as exc:
        reg.register_participant(person, person, slot_of(make_event()), org, now=NOW)
    assert_code(exc, "not_a_member")


def test_representative_registers_a_member_of_their_mso(db, make_member, make_event, org):
    rep, member = make_member(org, role="representative"), make_member(org)
    outcome = reg.register_participant(rep, member, slot_of(make_event()), org, now=NOW)
    assert outcome.registration.user_id == member.id
    assert outcome.registration.registered_by_id == rep.id
    assert outcome.registration.organisation_id == org.id
    assert_seat_counters_match(db)


def test_representative_cannot_register_for_another_mso(make_member, make_event, org, other_org):
    rep, stranger = make_member(org, role="representative"), make_member(other_org)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(rep, stranger, slot_of(make_event()), other_org, now=NOW)
    assert_code(exc, "forbidden")


def test_representative_cannot_count_a_member_of_another_mso_as_their_own(
        make_member, make_event, org, other_org):
    rep, stranger = make_member(org, role="representative"), make_member(other_org)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(rep, stranger, slot_of(make_event()), org, now=NOW)
    assert_code(exc, "forbidden")


def test_representative_cannot_register_a_stranger(make_user, make_member, make_event, org):
    rep = make_member(org, role="representative")
    with pytest.raises(DomainError) as exc:
        reg.register_participant(rep, make_user(), slot_of(make_event()), org, now=NOW)
    assert_code(exc, "forbidden")


def test_representative_learns_nothing_about_a_strangers_account(
        make_user, make_member, make_event, org):
    rep = make_member(org, role="representative")
    with pytest.raises(DomainError) as exc:
        reg.register_participant(rep, make_user(verified=False), slot_of(make_event()), org, now=NOW)
    assert_code(exc, "forbidden")


def test_plain_member_cannot_register_a_colleague(make_member, make_event, org):
    member, colleague = make_member(org), make_member(org)
    with pytest.raises(DomainError) as exc:
        reg.register_participant(member, colleague, slot_of(make_event()), org, now=NOW)
    assert_code(exc, "forbidden")


# --- registering: e-mails ------------------------------------------------------------

def test_confirmation_is_mailed_after_commit(db, make_user, make_event, outbox):
    slot = slot_of(make_event())
    person = make_user(email="ayse@example.org")
    reg.register_participant(person, person, slot, now=NOW)
    assert outbox == []
    db.session.commit()
    assert [m["To"] for m in outbox] == ["ayse@example.org"]
    assert outbox[0]["Subject"] == "Registration confirmed: Test seminar"


def test_refused_registration_mails_nothing(db, make_user, make_event, outbox):
    slot = slot_of(make_event(capacity=1, waitlist_enabled=False))
    register(db, make_user(), slot)
    outbox.clear()
    with pytest.raises(DomainError):
        reg.register_participant(person := make_user(), person, slot, now=NOW)
    db.session.rollback()
    assert outbox == []


def test_confirmation_is_in_the_participants_language(db, make_user, make_event, staff, outbox):
    participant = make_user(locale="de")
    reg.register_participant(staff, participant, slot_of(make_event()), now=NOW)
    db.session.commit()
    assert outbox[0]["Content-Language"] == "de"
    assert body(outbox[0]).startswith(f"Hallo {participant.name},")


def test_waiting_list_mail_tells_the_position(db, make_user, make_event, outbox):
    slot = slot_of(make_event(capacity=1))
    register(db, make_user(), slot)
    register(db, make_user(), slot)
    outbox.clear()
    register(db, person := make_user(), slot)
    assert [m["To"] for m in outbox] == [person.email]
    assert outbox[0]["Subject"] == "Waiting list: Test seminar"
    assert "position 2" in body(outbox[0])


# --- waiting-list positions ----------------------------------------------------------

def _full_slot_with_waiting(db, make_user, make_event, waiting: int, **fields):
    slot = slot_of(make_event(capacity=1, **fields))
    seated = register(db, make_user(), slot).registration
    return slot, seated, [register(db, make_user(), slot).registration for _ in range(waiting)]


def test_waiting_list_positions_count_from_one_without_gaps(db, make_user, make_event):
    _, _, waiting = _full_slot_with_waiting(db, make_user, make_event, 3)
    assert [reg.waitlist_position(r) for r in waiting] == [1, 2, 3]


def test_waiting_list_positions_close_up_when_someone_leaves(db, make_user, make_event):
    _, _, waiting = _full_slot_with_waiting(db, make_user, make_event, 3)
    reg.cancel_registration(waiting[1].user, waiting[1], now=NOW)
    db.session.commit()
    assert [reg.waitlist_position(r) for r in (waiting[0], waiting[2])] == [1, 2]


def test_waiting_list_positions_move_up_when_the_first_gets_a_seat(db, make_user, make_event):
    _, seated, waiting = _full_slot_with_waiting(db, make_user, make_event, 3)
    reg.cancel_registration(seated.user, seated, now=NOW)
    db.session.commit()
    assert [reg.waitlist_position(r) for r in waiting] == [None, 1, 2]


def test_waiting_list_positions_are_per_slot(db, make_user, make_event):
    event = make_event(kind="networking", sessions=2, capacity=1)
    for index in (0, 1):
        register(db, make_user(), slot_of(event, index))
    register(db, make_user(), slot_of(event, 0))
    later = register(db, make_user(), slot_of(event, 1)).registration
    assert reg.waitlist_position(later) == 1


# --- cancelling ----------------------------------------------------------------------

def test_member_cancels_before_the_deadline(db, make_user, make_event):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    reg.cancel_registration(person, registration, now=SESSION_START - timedelta(hours=25))
    db.session.commit()
    assert registration.status == "cancelled"
    assert registration.cancelled_by_id == person.id
    assert_seat_counters_match(db)


def test_member_cannot_cancel_once_it_has_started(db, make_user, make_event):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    with pytest.raises(DomainError) as exc:
        reg.cancel_registration(person, registration, now=SESSION_START)
    assert_code(exc, "session_started")
    assert status_of(db, registration) == "confirmed"
    assert_seat_counters_match(db)


def test_staff_cancel_after_the_deadline(db, make_user, make_event, staff):
    registration = register(db, make_user(), slot_of(make_event())).registration
    reg.cancel_registration(staff, registration, now=SESSION_START - timedelta(hours=1))
    db.session.commit()
    assert registration.status == "cancelled"
    assert_seat_counters_match(db)


def test_waiting_person_can_always_leave_the_list(db, make_user, make_event):
    _, _, (waiting,) = _full_slot_with_waiting(db, make_user, make_event, 1)
    reg.cancel_registration(waiting.user, waiting, now=SESSION_START + timedelta(minutes=5))
    db.session.commit()
    assert waiting.status == "cancelled"
    assert_seat_counters_match(db)


def test_cancelling_twice_is_refused(db, make_user, make_event):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    reg.cancel_registration(person, registration, now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        reg.cancel_registration(person, registration, now=NOW)
    assert_code(exc, "already_cancelled")
    assert_seat_counters_match(db)


def test_stranger_cannot_cancel_someone_elses_registration(db, make_user, make_event):
    registration = register(db, make_user(), slot_of(make_event())).registration
    with pytest.raises(DomainError) as exc:
        reg.cancel_registration(make_user(), registration, now=NOW)
    assert_code(exc, "forbidden")
    assert status_of(db, registration) == "confirmed"


def test_representative_cancels_a_registration_of_their_mso(db, make_member, make_event, org):
    rep, member = make_member(org, role="representative"), make_member(org)
    registration = register(db, member, slot_of(make_event()), org).registration
    reg.cancel_registration(rep, registration, now=NOW)
    db.session.commit()
    assert registration.status == "cancelled"
    assert registration.cancelled_by_id == rep.id
    assert_seat_counters_match(db)


def test_representative_of_another_mso_cannot_cancel(db, make_member, make_event, org, other_org):
    rep, member = make_member(other_org, role="representative"), make_member(org)
    registration = register(db, member, slot_of(make_event()), org).registration
    with pytest.raises(DomainError) as exc:
        reg.cancel_registration(rep, registration, now=NOW)
    assert_code(exc, "forbidden")


def test_cancelling_mails_the_participant(db, make_user, make_event, outbox):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    outbox.clear()
    reg.cancel_registration(person, registration, now=NOW)
    db.session.commit()
    assert [m["To"] for m in outbox] == [person.email]


# --- freed seats go to the waiting list ----------------------------------------------

def test_freed_seat_goes_to_the_first_waiting_person(db, make_user, make_event):
    _, seated, waiting = _full_slot_with_waiting(db, make_user, make_event, 2)
    promoted = reg.cancel_registration(seated.user, seated, now=NOW)
    db.session.commit()
    assert promoted == [waiting[0]]
    assert [r.status for r in waiting] == ["confirmed", "waitlisted"]
    assert waiting[0].confirmed_at == NOW
    assert_seat_counters_match(db)


def test_promoted_person_is_told_at_once(db, make_user, make_event, outbox):
    _, seated, (waiting,) = _full_slot_with_waiting(db, make_user, make_event, 1)
    outbox.clear()
    reg.cancel_registration(seated.user, seated, now=NOW)
    db.session.commit()
    promoted_mails = [m for m in outbox if m["To"] == waiting.user.email]
    assert [m["Subject"] for m in promoted_mails] == ["You have a seat: Test seminar"]


def test_leaving_the_waiting_list_promotes_nobody(db, make_user, make_event):
    _, _, waiting = _full_slot_with_waiting(db, make_user, make_event, 2)
    assert reg.cancel_registration(waiting[0].user, waiting[0], now=NOW) == []
    db.session.commit()
    assert waiting[1].status == "waitlisted"
    assert_seat_counters_match(db)


def test_promotion_skips_a_waiting_person_whose_mso_used_its_seats(
        db, make_member, make_user, make_event, org, other_org):
    slot = slot_of(make_event(capacity=2, org_seat_limit=1))
    register(db, make_member(org), slot, org)
    leaving = register(db, make_member(other_org), slot, other_org).registration
    blocked = register(db, make_member(org), slot, org).registration    # org limit used
    next_one = register(db, make_user(), slot).registration              # event full
    assert [blocked.status, next_one.status] == ["waitlisted", "waitlisted"]
    promoted = reg.cancel_registration(leaving.user, leaving, now=NOW)
    db.session.commit()
    assert promoted == [next_one]
    assert status_of(db, blocked) == "waitlisted"
    assert reg.waitlist_position(blocked) == 1
    assert_seat_counters_match(db)


def test_seat_freed_by_an_mso_goes_to_its_waiting_member(db, make_member, make_event, org):
    slot = slot_of(make_event(capacity=3, org_seat_limit=1))
    leaving = register(db, make_member(org), slot, org).registration
    waiting = register(db, make_member(org), slot, org).registration
    reg.cancel_registration(leaving.user, leaving, now=NOW)
    db.session.commit()
    assert waiting.status == "confirmed"
    assert_seat_counters_match(db)


def test_freed_seats_of_one_session_stay_in_that_session(db, make_user, make_event):
    event = make_event(kind="networking", sessions=2, capacity=1)
    seated = register(db, make_user(), slot_of(event, 0)).registration
    register(db, make_user(), slot_of(event, 1))
    other_session = register(db, make_user(), slot_of(event, 1)).registration
    assert reg.cancel_registration(seated.user, seated, now=NOW) == []
    db.session.commit()
    assert other_session.status == "waitlisted"
    assert_seat_counters_match(db)


# --- staff promote by hand -----------------------------------------------------------

def test_staff_promote_a_waiting_person_to_a_free_seat(db, make_user, make_event, staff, outbox):
    slot, _, (waiting,) = _full_slot_with_waiting(db, make_user, make_event, 1)
    assert seats.set_capacity(slot, 2)  # a seat appears without filling the list
    outbox.clear()
    reg.promote_by_hand(staff, waiting, now=NOW)
    db.session.commit()
    assert waiting.status == "confirmed"
    assert [m["Subject"] for m in outbox] == ["You have a seat: Test seminar"]
    assert_seat_counters_match(db)


def test_promote_by_hand_without_a_free_seat_is_refused(db, make_user, make_event, staff):
    _, _, (waiting,) = _full_slot_with_waiting(db, make_user, make_event, 1)
    with pytest.raises(DomainError) as exc:
        reg.promote_by_hand(staff, waiting, now=NOW)
    assert_code(exc, "event_full")
    assert status_of(db, waiting) == "waitlisted"
    assert_seat_counters_match(db)


def test_promote_by_hand_of_a_confirmed_person_is_refused(db, make_user, make_event, staff):
    _, seated, _ = _full_slot_with_waiting(db, make_user, make_event, 1)
    with pytest.raises(DomainError) as exc:
        reg.promote_by_hand(staff, seated, now=NOW)
    assert_code(exc, "not_waitlisted")


def test_promote_by_hand_respects_the_mso_seat_limit(db, make_member, make_event, staff, org):
    slot = slot_of(make_event(capacity=2, org_seat_limit=1))
    register(db, make_member(org), slot, org)
    waiting = register(db, make_member(org), slot, org).registration
    with pytest.raises(DomainError) as exc:
        reg.promote_by_hand(staff, waiting, now=NOW)
    assert_code(exc, "org_quota_reached")
    assert status_of(db, waiting) == "waitlisted"
    assert_seat_counters_match(db)


def test_only_staff_promote_by_hand(db, make_user, make_event):
    slot, _, (waiting,) = _full_slot_with_waiting(db, make_user, make_event, 1)
    assert seats.set_capacity(slot, 2)
    with pytest.raises(DomainError) as exc:
        reg.promote_by_hand(waiting.user, waiting, now=NOW)
    assert_code(exc, "forbidden")


# --- the database holds the invariants -----------------------------------------------

def test_database_refuses_a_second_active_registration(db, make_user, make_event):
    slot = slot_of(make_event())
    person = make_user()
    register(db, person, slot)
    db.session.add(Registration(slot_id=slot.id, event_id=slot.event_id, user_id=person.id,
                                status="waitlisted"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_allows_a_new_registration_after_a_cancelled_one(db, make_user, make_event):
    slot = slot_of(make_event())
    person = make_user()
    for status in ("cancelled", "cancelled", "confirmed"):
        db.session.add(Registration(slot_id=slot.id, event_id=slot.event_id, user_id=person.id,
                                    status=status))
    db.session.flush()
    db.session.rollback()


def test_database_refuses_more_confirmed_seats_than_capacity(db, make_event):
    slot = slot_of(make_event(capacity=2))
    slot.confirmed_count = 3
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_more_seats_for_an_mso_than_its_limit(db, make_event, org):
    slot = slot_of(make_event(capacity=5, org_seat_limit=2))
    db.session.add(SlotOrgSeats(slot_id=slot.id, organisation_id=org.id, seat_limit=2,
                                confirmed_count=3))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- what the registration button says (queries.slot_state) --------------------------

def test_slot_state_register_while_seats_are_free(make_event):
    assert queries.slot_state(slot_of(make_event()), NOW).code == "register"


def test_slot_state_waitlist_when_full(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1))
    register(db, make_user(), slot)
    state = queries.slot_state(slot, NOW, waiting=0)
    assert (state.code, state.free, state.capacity) == ("waitlist", 0, 1)


def test_slot_state_full_when_full_without_waiting_list(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1, waitlist_enabled=False))
    register(db, make_user(), slot)
    assert queries.slot_state(slot, NOW).code == "full"


def test_slot_state_opens_before_the_window(make_event):
    opens = NOW + timedelta(days=1)
    state = queries.slot_state(slot_of(make_event(registration_opens_at=opens)), NOW)
    assert (state.code, state.opens_at) == ("opens", opens)


def test_slot_state_closed_after_the_window(make_event):
    slot = slot_of(make_event(registration_closes_at=NOW - timedelta(minutes=1)))
    assert queries.slot_state(slot, NOW).code == "closed"


def test_slot_state_closed_once_the_session_started(make_event):
    assert queries.slot_state(slot_of(make_event()), SESSION_START).code == "closed"


def test_slot_state_closed_for_a_draft(make_event):
    assert queries.slot_state(slot_of(make_event(publish=False)), NOW).code == "closed"


def test_slot_state_cancelled(db, make_event, staff):
    event = make_event(kind="networking", sessions=2)
    services.cancel_session(staff, event.sessions[0], now=NOW)
    db.session.commit()
    assert queries.slot_state(slot_of(event, 0), NOW).code == "cancelled"
    assert queries.slot_state(slot_of(event, 1), NOW).code == "register"


def test_slot_state_registered(db, make_user, make_event):
    slot = slot_of(make_event())
    registration = register(db, make_user(), slot).registration
    assert queries.slot_state(slot, NOW, registration=registration).code == "registered"


def test_slot_state_waitlisted(db, make_user, make_event):
    slot, _, (waiting,) = _full_slot_with_waiting(db, make_user, make_event, 1)
    state = queries.slot_state(slot, NOW, waiting=1, registration=waiting)
    assert (state.code, state.waiting) == ("waitlisted", 1)
