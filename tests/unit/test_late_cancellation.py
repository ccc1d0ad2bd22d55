"""Cancelling late: until the session starts a person can give up a seat;
after the cancellation deadline it is recorded as late and counted in the
statistics, and the seat goes to the waiting list all the same."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from miado_events.dashboard import stats
from miado_events.errors import DomainError
from miado_events.events import offers
from miado_events.events import registration as reg

from .events_support import (NOW, SESSION_START, assert_code, assert_seat_counters_match, register, slot_of,
                             status_of)

BEFORE_DEADLINE = SESSION_START - timedelta(hours=25)
AFTER_DEADLINE = SESSION_START - timedelta(hours=2)


def test_cancelling_before_the_deadline_is_not_late(db, make_user, make_event):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    assert not registration.cancelling_is_late(BEFORE_DEADLINE)
    reg.cancel_registration(person, registration, now=BEFORE_DEADLINE)
    db.session.commit()
    db.session.refresh(registration)
    assert registration.status == "cancelled" and registration.cancelled_late is False


def test_a_member_cancels_after_the_deadline_and_it_is_recorded_as_late(db, make_user, make_event):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    assert registration.can_be_cancelled_by_member(AFTER_DEADLINE)
    assert registration.cancelling_is_late(AFTER_DEADLINE)
    reg.cancel_registration(person, registration, now=AFTER_DEADLINE)
    db.session.commit()
    db.session.refresh(registration)
    assert registration.status == "cancelled" and registration.cancelled_late is True
    assert_seat_counters_match(db)


def test_a_late_cancellation_still_gives_the_seat_to_the_waiting_list(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1))
    seated = register(db, make_user(), slot).registration
    waiting = register(db, make_user(), slot).registration
    promoted = reg.cancel_registration(seated.user, seated, now=AFTER_DEADLINE)
    db.session.commit()
    assert promoted == [waiting]
    assert status_of(db, waiting) == "confirmed"
    assert_seat_counters_match(db)


def test_a_late_cancellation_in_offer_mode_offers_the_seat(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1, waitlist_mode="offer"))
    seated = register(db, make_user(), slot).registration
    waiting = register(db, make_user(), slot).registration
    reg.cancel_registration(seated.user, seated, now=AFTER_DEADLINE)
    db.session.commit()
    assert offers.open_offer(waiting).expires_at == SESSION_START


def test_nobody_cancels_online_once_the_session_has_started(db, make_user, make_event):
    person = make_user()
    registration = register(db, person, slot_of(make_event())).registration
    assert not registration.can_be_cancelled_by_member(SESSION_START)
    with pytest.raises(DomainError) as exc:
        reg.cancel_registration(person, registration, now=SESSION_START + timedelta(minutes=5))
    assert_code(exc, "session_started")
    db.session.rollback()
    assert status_of(db, registration) == "confirmed"


def test_leaving_the_waiting_list_is_never_late(db, make_user, make_event):
    slot = slot_of(make_event(capacity=1))
    register(db, make_user(), slot)
    waiting = register(db, make_user(), slot).registration
    assert not waiting.cancelling_is_late(AFTER_DEADLINE)
    reg.cancel_registration(waiting.user, waiting, now=AFTER_DEADLINE)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.cancelled_late is False


def test_staff_cancelling_after_the_deadline_is_late_too(db, make_user, make_event, staff):
    registration = register(db, make_user(), slot_of(make_event())).registration
    reg.cancel_registration(staff, registration, now=AFTER_DEADLINE)
    db.session.commit()
    db.session.refresh(registration)
    assert registration.cancelled_late is True


def test_only_a_cancelled_registration_can_be_late(db, make_user, make_event):
    registration = register(db, make_user(), slot_of(make_event())).registration
    registration.cancelled_late = True
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_statistics_count_late_cancellations_per_event(db, make_user, make_event):
    late_event, other = make_event(), make_event()
    for _ in range(2):
        person = make_user()
        r = register(db, person, slot_of(late_event)).registration
        reg.cancel_registration(person, r, now=AFTER_DEADLINE)
    person = make_user()
    on_time = register(db, person, slot_of(other)).registration
    reg.cancel_registration(person, on_time, now=BEFORE_DEADLINE)
    db.session.commit()
    result = stats.compute(now=SESSION_START + timedelta(days=1))
    assert result.late_cancellations == [(late_event.id, late_event.title, 2)]
    assert result.late_cancellations_total == 2
    assert "late_cancellations" in stats.statistics_csv(result)


def test_the_statistics_filters_apply_to_late_cancellations(db, make_user, make_event):
    event = make_event()
    person = make_user()
    r = register(db, person, slot_of(event)).registration
    reg.cancel_registration(person, r, now=AFTER_DEADLINE)
    db.session.commit()
    assert stats.compute(stats.Filters(kind="series"), now=SESSION_START + timedelta(days=1)) \
        .late_cancellations == []
    # Sessions not over yet are not counted (as everywhere in the statistics).
    assert stats.compute(now=NOW).late_cancellations == []
