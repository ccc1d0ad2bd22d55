"""A waiting list that asks first (events in "offer" mode): a freed seat is
held for the first eligible waiting person and offered by mail; accepting
confirms, declining or letting the deadline pass gives it to the next one.
Time is frozen (``now=``); nothing sleeps."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from miado_events.errors import DomainError
from miado_events.events import offers
from miado_events.events import registration as reg
from miado_events.models.events import Registration, Slot, SlotOrgSeats
from miado_events.models.offers import WaitlistOffer

from .events_support import NOW, SESSION_START, assert_code, body, register, slot_of, status_of

LATER = NOW + timedelta(hours=1)


def assert_seats_held_match(db) -> None:
    """Every seat counter equals the confirmed registrations plus the open
    offers it holds seats for, and never passes its limit."""
    held = (Registration.status == "confirmed") | Registration.id.in_(
        select(WaitlistOffer.registration_id).where(WaitlistOffer.state == "open"))
    per_slot = dict(db.session.execute(select(Registration.slot_id, func.count()).where(held)
                                       .group_by(Registration.slot_id)).all())
    for slot_id, counted, capacity in db.session.execute(select(Slot.id, Slot.confirmed_count, Slot.capacity)):
        assert counted == per_slot.get(slot_id, 0), f"slot {slot_id}: counter {counted}"
        assert counted <= capacity
    per_org = {(s, o): n for s, o, n in db.session.execute(
        select(Registration.slot_id, Registration.organisation_id, func.count())
        .where(held, Registration.organisation_id.is_not(None))
        .group_by(Registration.slot_id, Registration.organisation_id))}
    for s, o, counted, limit in db.session.execute(select(
            SlotOrgSeats.slot_id, SlotOrgSeats.organisation_id, SlotOrgSeats.confirmed_count,
            SlotOrgSeats.seat_limit)):
        assert counted == per_org.get((s, o), 0)
        assert counted <= limit


def offer_link(msg) -> str:
    match = re.search(r"https?://\S*/offers/(\S+)", body(msg))
    assert match, body(msg)
    return match.group(1)


@pytest.fixture
def full_offer_event(db, make_user, make_event):
    """An event in offer mode with one seat, taken, and two people waiting."""
    event = make_event(capacity=1, waitlist_mode="offer", offer_hours=24)
    slot = slot_of(event)
    seated = register(db, make_user(), slot).registration
    first = register(db, make_user(), slot).registration
    second = register(db, make_user(), slot).registration
    return slot, seated, first, second


def free_the_seat(db, seated, now=NOW):
    reg.cancel_registration(seated.user, seated, now=now)
    db.session.commit()


def test_a_freed_seat_is_held_for_the_first_waiting_person_and_offered_by_mail(db, full_offer_event, outbox):
    slot, seated, first, second = full_offer_event
    outbox.clear()
    promoted = reg.cancel_registration(seated.user, seated, now=NOW)
    db.session.commit()
    assert promoted == []
    assert status_of(db, first) == "waitlisted"  # not confirmed until they accept
    offer = offers.open_offer(first)
    assert offer is not None and offer.expires_at == NOW + timedelta(hours=24)
    db.session.refresh(slot)
    assert slot.free_seats == 0  # the seat is held
    mail = [m for m in outbox if m["To"] == first.user.email]
    assert len(mail) == 1
    assert "/offers/" in body(mail[0])
    assert offers.open_offer(second) is None
    assert_seats_held_match(db)


def test_nobody_else_can_take_the_held_seat(db, full_offer_event, make_user):
    slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    newcomer = register(db, make_user(), slot)
    assert newcomer.waitlist_reason == "event_full"
    assert_seats_held_match(db)


def test_accepting_through_the_mailed_link_confirms_with_the_ticket(db, full_offer_event, outbox):
    slot, seated, first, _second = full_offer_event
    outbox.clear()
    free_the_seat(db, seated)
    token = offer_link(next(m for m in outbox if m["To"] == first.user.email))
    outbox.clear()
    offers.accept(offers.find_offer(token), now=LATER)
    db.session.commit()
    assert status_of(db, first) == "confirmed"
    assert first.confirmed_at is not None
    assert offers.open_offer(first) is None
    promoted_mail = [m for m in outbox if m["To"] == first.user.email]
    assert len(promoted_mail) == 1 and "calendar" in promoted_mail[0].as_string()
    assert_seats_held_match(db)


def test_accepting_twice_confirms_once(db, full_offer_event, outbox):
    _slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    offer = offers.open_offer(first)
    offers.accept(offer, now=LATER)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        offers.accept(offer, now=LATER)
    assert_code(exc, "offer_accepted")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Registration)
                             .where(Registration.status == "confirmed")) == 1
    assert_seats_held_match(db)


def test_accepting_after_the_deadline_is_refused(db, full_offer_event):
    _slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    offer = offers.open_offer(first)
    with pytest.raises(DomainError) as exc:
        offers.accept(offer, now=NOW + timedelta(hours=24))
    assert_code(exc, "offer_expired")
    db.session.rollback()
    assert status_of(db, first) == "waitlisted"
    assert_seats_held_match(db)


def test_an_expired_offer_passes_to_the_next_person_once(db, full_offer_event, outbox):
    _slot, seated, first, second = full_offer_event
    free_the_seat(db, seated)
    outbox.clear()
    assert offers.expire_offers(now=NOW + timedelta(hours=23)) == 0  # not yet
    assert offers.expire_offers(now=NOW + timedelta(hours=24)) == 1
    db.session.commit()
    assert status_of(db, first) == "cancelled"  # left the list
    assert first.cancelled_late is False
    assert offers.open_offer(second) is not None
    assert any(m["To"] == second.user.email and "/offers/" in body(m) for m in outbox)
    # Run again (the timer fires again): nothing changes twice.
    assert offers.expire_offers(now=NOW + timedelta(hours=25)) == 0
    db.session.commit()
    assert_seats_held_match(db)


def test_an_expired_offer_with_nobody_waiting_frees_the_seat(db, make_user, make_event):
    event = make_event(capacity=1, waitlist_mode="offer")
    slot = slot_of(event)
    seated = register(db, make_user(), slot).registration
    only = register(db, make_user(), slot).registration
    free_the_seat(db, seated)
    offers.expire_offers(now=NOW + timedelta(hours=30))
    db.session.commit()
    db.session.refresh(slot)
    assert status_of(db, only) == "cancelled"
    assert slot.free_seats == 1
    assert_seats_held_match(db)


def test_the_site_default_sets_the_deadline_when_the_event_has_none(app, db, make_user, make_event):
    app.config["WAITLIST_OFFER_HOURS"] = 48
    event = make_event(capacity=1, waitlist_mode="offer")
    slot = slot_of(event)
    seated = register(db, make_user(), slot).registration
    waiting = register(db, make_user(), slot).registration
    free_the_seat(db, seated)
    assert offers.open_offer(waiting).expires_at == NOW + timedelta(hours=48)


def test_the_deadline_is_never_after_the_start(db, full_offer_event):
    _slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated, now=SESSION_START - timedelta(hours=3))
    assert offers.open_offer(first).expires_at == SESSION_START


def test_declining_leaves_the_list_and_offers_the_seat_to_the_next(db, full_offer_event):
    _slot, seated, first, second = full_offer_event
    free_the_seat(db, seated)
    offers.decline(offers.open_offer(first), now=LATER)
    db.session.commit()
    assert status_of(db, first) == "cancelled"
    assert offers.open_offer(second) is not None
    assert_seats_held_match(db)


def test_leaving_the_list_while_holding_an_offer_passes_the_seat_on(db, full_offer_event):
    _slot, seated, first, second = full_offer_event
    free_the_seat(db, seated)
    reg.cancel_registration(first.user, first, now=LATER)
    db.session.commit()
    assert offers.open_offer(second) is not None
    assert_seats_held_match(db)


def test_the_mso_seat_limit_is_respected_when_offering(db, make_member, make_user, make_event, org):
    event = make_event(capacity=2, org_seat_limit=1, waitlist_mode="offer")
    slot = slot_of(event)
    colleague_a, colleague_b = make_member(org), make_member(org)
    seated_org = register(db, colleague_a, slot, org).registration
    seated_other = register(db, make_user(), slot).registration
    same_mso = register(db, colleague_b, slot, org).registration  # waits: MSO at its limit
    outsider = register(db, make_user(), slot).registration
    assert same_mso.is_waitlisted and outsider.is_waitlisted
    free_the_seat(db, seated_other)
    assert offers.open_offer(same_mso) is None  # skipped, not removed
    assert status_of(db, same_mso) == "waitlisted"
    assert offers.open_offer(outsider) is not None
    assert seated_org.is_confirmed
    assert_seats_held_match(db)


def test_one_open_offer_per_registration_is_enforced_by_the_database(db, full_offer_event):
    _slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    offer = offers.open_offer(first)
    db.session.add(WaitlistOffer(registration_id=first.id, slot_id=offer.slot_id, token_hash="x" * 64,
                                 state="open", offered_at=NOW, expires_at=LATER))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_staff_giving_the_seat_by_hand_uses_the_held_seat(db, full_offer_event, staff):
    slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    reg.promote_by_hand(staff, first, now=LATER)
    db.session.commit()
    assert status_of(db, first) == "confirmed"
    assert offers.open_offer(first) is None
    db.session.refresh(slot)
    assert slot.confirmed_count == 1
    assert_seats_held_match(db)


def test_only_the_person_or_who_manages_it_answers_from_my_registrations(db, full_offer_event, make_user):
    _slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    with pytest.raises(DomainError) as exc:
        offers.accept_as(make_user(), first, now=LATER)
    assert_code(exc, "forbidden")
    db.session.rollback()
    offers.accept_as(first.user, first, now=LATER)
    db.session.commit()
    assert status_of(db, first) == "confirmed"


def test_automatic_mode_still_promotes_at_once(db, make_user, make_event):
    event = make_event(capacity=1)
    slot = slot_of(event)
    seated = register(db, make_user(), slot).registration
    waiting = register(db, make_user(), slot).registration
    free_the_seat(db, seated)
    assert status_of(db, waiting) == "confirmed"
    assert offers.open_offer(waiting) is None


def test_switching_to_automatic_keeps_the_held_seat_for_its_offer(db, full_offer_event, staff):
    slot, seated, first, second = full_offer_event
    free_the_seat(db, seated)
    slot.event.waitlist_mode = "automatic"
    db.session.commit()
    reg.fill_free_seats(slot, now=LATER)
    db.session.commit()
    assert status_of(db, second) == "waitlisted"  # nobody took the held seat twice
    assert_seats_held_match(db)


def test_the_expire_offers_command_commits_what_it_did(app, db, full_offer_event):
    _slot, seated, first, second = full_offer_event
    free_the_seat(db, seated)
    offer = offers.open_offer(first)
    # Move this offer into the past so that the command (real clock) finds it due.
    offer.offered_at = NOW - timedelta(days=3000)
    offer.expires_at = NOW - timedelta(days=2999)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["registrations", "expire-offers"])
    assert result.exit_code == 0, result.output
    assert "1 offer(s) expired" in result.output
    db.session.rollback()
    assert status_of(db, first) == "cancelled"
    # The next person's offer was made "now" (real clock): it is open.
    assert offers.open_offer(second) is not None


# --- the pages ---------------------------------------------------------------------------------

def _offer_in_the_future(db, full_offer_event, outbox):
    """Free the seat now (real clock: the pages use it) and return the mailed token."""
    _slot, seated, first, second = full_offer_event
    outbox.clear()
    reg.cancel_registration(seated.user, seated)
    db.session.commit()
    return offer_link(next(m for m in outbox if m["To"] == first.user.email)), first, second


def test_opening_the_mailed_link_shows_the_offer_and_accepts_nothing(client, db, full_offer_event, outbox):
    token, first, _second = _offer_in_the_future(db, full_offer_event, outbox)
    response = client.get(f"/offers/{token}")
    page = response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]  # the page holds a secret link
    assert "we are holding it for you until" in page
    assert 'value="accept"' in page and 'value="decline"' in page
    assert status_of(db, first) == "waitlisted"


def test_accepting_from_the_mailed_link_needs_no_log_in(client, db, full_offer_event, outbox):
    token, first, _second = _offer_in_the_future(db, full_offer_event, outbox)
    response = client.post(f"/offers/{token}", data={"action": "accept"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The seat is yours." in page
    assert "You are registered." in page
    assert status_of(db, first) == "confirmed"
    assert_seats_held_match(db)
    # The link again (a second click): it says so and changes nothing.
    again = client.post(f"/offers/{token}", data={"action": "accept"}, follow_redirects=True)
    assert "You have already accepted this seat." in again.get_data(as_text=True)


def test_a_bad_answer_or_link_changes_nothing(client, db, full_offer_event, outbox):
    token, first, _second = _offer_in_the_future(db, full_offer_event, outbox)
    assert client.post(f"/offers/{token}", data={"action": "maybe"}).status_code == 400
    assert client.get(f"/offers/{token}x").status_code == 404
    assert client.get("/offers/" + "a" * 300).status_code == 404
    assert status_of(db, first) == "waitlisted"


def test_declining_from_my_registrations(client, db, full_offer_event, outbox, login):
    _token, first, second = _offer_in_the_future(db, full_offer_event, outbox)
    login(first.user)
    page = client.get("/my/registrations").get_data(as_text=True)
    assert "A seat is free for you." in page
    assert f"/registrations/{first.id}/offer" in page
    response = client.post(f"/registrations/{first.id}/offer", data={"action": "decline"}, follow_redirects=True)
    assert "You have declined the seat" in response.get_data(as_text=True)
    assert status_of(db, first) == "cancelled"
    assert offers.open_offer(second) is not None


def test_someone_elses_offer_page_is_404(client, db, full_offer_event, outbox, login, make_user):
    _token, first, _second = _offer_in_the_future(db, full_offer_event, outbox)
    login(make_user())
    assert client.get(f"/registrations/{first.id}/offer").status_code == 404
    assert client.post(f"/registrations/{first.id}/offer", data={"action": "accept"}).status_code == 404
    assert status_of(db, first) == "waitlisted"


def test_an_expired_link_says_the_time_has_passed(client, db, full_offer_event, outbox):
    token, first, _second = _offer_in_the_future(db, full_offer_event, outbox)
    offers.expire_offers(now=offers.find_offer(token).expires_at)
    db.session.commit()
    page = client.get(f"/offers/{token}").get_data(as_text=True)
    assert "the time to accept this seat has passed" in page
    response = client.post(f"/offers/{token}", data={"action": "accept"}, follow_redirects=True)
    assert "the time to accept this seat has passed" in response.get_data(as_text=True)
    assert status_of(db, first) == "cancelled"


def test_the_demo_has_an_event_in_offer_mode_with_an_open_offer(app, db):
    from miado_events.demo import DEMO_OFFER_SEMINAR, DOMAIN
    from miado_events.models.accounts import User
    from miado_events.models.events import Event

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    event = db.session.scalar(select(Event).where(Event.title == DEMO_OFFER_SEMINAR))
    assert event.offers_seats
    offer = db.session.scalar(select(WaitlistOffer).where(WaitlistOffer.state == "open"))
    assert offer.registration.user == db.session.scalar(select(User).where(User.email == f"member@{DOMAIN}"))
    assert_seats_held_match(db)


def test_cancelling_the_event_ends_an_open_offer_and_its_held_seat(db, full_offer_event, staff):
    from miado_events.events import services

    slot, seated, first, _second = full_offer_event
    free_the_seat(db, seated)
    offer = offers.open_offer(first)
    services.cancel_event(staff, slot.event, now=LATER)
    db.session.commit()
    db.session.refresh(offer)
    assert offer.state == "withdrawn"
    with pytest.raises(DomainError) as exc:
        offers.accept(offer, now=LATER)
    assert_code(exc, "offer_closed")
    db.session.rollback()
    assert status_of(db, first) == "cancelled"
    assert_seats_held_match(db)


def test_joining_the_waiting_list_of_an_offer_event_says_what_will_happen(db, make_user, make_event, outbox):
    slot = slot_of(make_event(capacity=1, waitlist_mode="offer"))
    register(db, make_user(), slot)
    outbox.clear()
    waiting = register(db, make_user(), slot).registration
    mail = next(m for m in outbox if m["To"] == waiting.user.email)
    text = " ".join(body(mail).split())
    assert "we will offer it to you by e-mail, to accept before a deadline" in text
    assert "it is yours automatically" not in text


def test_the_page_says_the_seat_will_be_offered(client, db, make_user, make_event, login):
    event = make_event(capacity=1, waitlist_mode="offer")
    slot = slot_of(event)
    register(db, make_user(), slot)
    login(make_user())
    response = client.post(f"/events/{event.id}/slots/{slot.id}/register", follow_redirects=True)
    page = " ".join(response.get_data(as_text=True).split())
    assert "we will offer it to you by e-mail, to accept before a deadline" in page


def test_staff_see_whose_seat_is_held_and_until_when(client, db, full_offer_event, staff, login):
    slot, seated, first, second = full_offer_event
    free_the_seat(db, seated)
    login(staff)
    page = client.get(f"/staff/events/{slot.event_id}/registrations").get_data(as_text=True)
    assert page.count("A seat is held for them until") == 1
    assert page.index(first.user.name) < page.index("A seat is held for them until") < page.index(second.user.name)


def test_raising_the_capacity_offers_the_new_seats(db, full_offer_event, staff):
    from miado_events.events import services
    from miado_events.events.services import EventData

    slot, _seated, first, second = full_offer_event
    event = slot.event
    services.update_event(staff, event, EventData(kind=event.kind, title=event.title, capacity=3,
                                                  waitlist_mode="offer", offer_hours=24), now=LATER)
    db.session.commit()
    assert offers.open_offer(first) is not None and offers.open_offer(second) is not None
    assert status_of(db, first) == "waitlisted"
    assert_seats_held_match(db)


@pytest.mark.parametrize("fields", [{"waitlist_mode": "lottery"}, {"offer_hours": 0},
                                    {"offer_hours": 10_000}])
def test_a_bad_mode_or_deadline_is_refused_with_a_message(db, staff, fields):
    from miado_events.events import services
    from miado_events.events.services import EventData

    with pytest.raises(DomainError) as exc:
        services.create_event(staff, EventData(kind="seminar", title="X", capacity=2, **fields), now=NOW)
    assert_code(exc, "event_invalid")
    assert str(exc.value.message)
