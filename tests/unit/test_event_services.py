"""Event management for staff (events, sessions, recurrence, publishing,
cancelling), one behaviour per test, called on the services directly with
frozen time. Factories and the seat-counter invariant come from
``test_registration.py``."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from miado_events.errors import DomainError
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import (
    EventData,
    RecurrenceData,
    SessionData,
    VenueData,
)
from miado_events.models.events import Event, EventSession, Slot, SlotOrgSeats
from miado_events.timeutil import LOCAL_TZ, local_to_utc, to_local

from .events_support import (
    NOW,
    ONLINE,
    SESSION_DAY,
    assert_code,
    assert_seat_counters_match,
    register,
    slot_of,
)

UTC = timezone.utc


def event_data(**overrides) -> EventData:
    values = dict(kind="seminar", title="Vereinsrecht für MSOs", capacity=20,
                  languages=["de", "tr"])
    values.update(overrides)
    return EventData(**values)


def data_of(event: Event, **changes) -> EventData:
    """The event's current data with ``changes`` (what the edit form sends)."""
    values = {f.name: getattr(event, f.name) for f in dataclasses.fields(EventData)}
    values["languages"] = list(values["languages"])
    values.update(changes)
    return EventData(**values)


def session_data(**overrides) -> SessionData:
    values = dict(day=SESSION_DAY, start=time(18), end=time(20), online_url=ONLINE)
    values.update(overrides)
    return SessionData(**values)


def second_tuesdays(**overrides) -> RecurrenceData:
    values = dict(frequency="monthly_nth_weekday", first_day=date(2027, 1, 1), start=time(18),
                  end=time(20), weekday=1, nth=2, count=12, online_url=ONLINE)
    values.update(overrides)
    return RecurrenceData(**values)


def slots(db, event: Event) -> list[Slot]:
    return list(db.session.scalars(select(Slot).where(Slot.event_id == event.id).order_by(Slot.id)))


@pytest.fixture
def venue(db, staff):
    venue = services.save_venue(staff, VenueData(name="Dietrich-Keuning-Haus",
                                                 address="Leopoldstraße 50-58, 44147 Dortmund"))
    db.session.commit()
    return venue


# --- create_event --------------------------------------------------------------------

def test_new_event_is_a_draft(db, staff):
    event = services.create_event(staff, event_data(), now=NOW)
    assert event.status == "draft"
    assert event.created_by_id == staff.id
    assert event.created_at == NOW


def test_new_series_gets_one_slot_for_the_whole_event(db, staff):
    event = services.create_event(staff, event_data(kind="series", capacity=12), now=NOW)
    [slot] = slots(db, event)
    assert (slot.session_id, slot.capacity, slot.confirmed_count) == (None, 12, 0)


def test_new_seminar_has_no_slot_before_it_has_sessions(db, staff):
    event = services.create_event(staff, event_data(kind="seminar"), now=NOW)
    assert slots(db, event) == []


@pytest.mark.parametrize("overrides", [
    dict(title="   "),
    dict(capacity=0),
    dict(capacity=10, org_seat_limit=11),
    dict(registration_opens_at=NOW, registration_closes_at=NOW - timedelta(hours=1)),
    dict(languages=["de", "xx"]),
    dict(kind="party"),
], ids=["empty title", "capacity 0", "org limit above capacity", "closes before opens",
        "unknown language", "unknown kind"])
def test_invalid_event_is_refused(db, staff, overrides):
    with pytest.raises(DomainError) as exc:
        services.create_event(staff, event_data(**overrides), now=NOW)
    assert_code(exc, "event_invalid")
    assert db.session.scalars(select(Event)).all() == []


def test_member_cannot_create_an_event(make_user):
    with pytest.raises(DomainError) as exc:
        services.create_event(make_user(), event_data(), now=NOW)
    assert_code(exc, "forbidden")


# --- publish_event -------------------------------------------------------------------

def test_event_with_a_session_is_published(db, make_event, staff):
    event = make_event(publish=False)
    services.publish_event(staff, event, now=NOW)
    assert event.status == "published"
    assert event.updated_at == NOW


def test_event_without_sessions_cannot_be_published(make_event, staff):
    event = make_event(sessions=0, publish=False)
    with pytest.raises(DomainError) as exc:
        services.publish_event(staff, event, now=NOW)
    assert_code(exc, "no_sessions")


def test_published_event_cannot_be_published_again(make_event, staff):
    with pytest.raises(DomainError) as exc:
        services.publish_event(staff, make_event(), now=NOW)
    assert_code(exc, "not_draft")


# --- add_session ---------------------------------------------------------------------

def test_each_seminar_session_gets_its_own_slot(db, make_event, staff):
    event = make_event(kind="seminar", capacity=15, sessions=1)
    second = services.add_session(staff, event, session_data(day=SESSION_DAY + timedelta(days=1)))
    assert [(s.session_id, s.capacity) for s in slots(db, event)] == [
        (event.sessions[0].id, 15), (second.id, 15)]


def test_series_sessions_share_the_whole_event_slot(db, make_event, staff):
    event = make_event(kind="series", sessions=1)
    services.add_session(staff, event, session_data(day=SESSION_DAY + timedelta(days=7)))
    assert [s.session_id for s in slots(db, event)] == [None]


def test_session_times_are_stored_in_utc(db, make_event, staff):
    session = services.add_session(staff, make_event(sessions=0, publish=False), session_data())
    assert (session.starts_at, session.ends_at) == (
        datetime(2027, 3, 10, 17, tzinfo=UTC), datetime(2027, 3, 10, 19, tzinfo=UTC))


def test_session_ending_before_it_starts_is_refused(make_event, staff):
    with pytest.raises(DomainError) as exc:
        services.add_session(staff, make_event(sessions=0, publish=False),
                             session_data(start=time(20), end=time(18)))
    assert_code(exc, "session_invalid")


def test_session_without_venue_or_online_link_is_refused(make_event, staff):
    with pytest.raises(DomainError) as exc:
        services.add_session(staff, make_event(sessions=0, publish=False),
                             session_data(online_url="  "))
    assert_code(exc, "session_invalid")


def test_session_at_a_venue_needs_no_online_link(make_event, staff, venue):
    session = services.add_session(staff, make_event(sessions=0, publish=False),
                                   session_data(online_url="", venue_id=venue.id))
    assert (session.venue, session.online_url) == (venue, None)


def test_no_session_is_added_to_a_cancelled_event(db, make_event, staff):
    event = make_event()
    services.cancel_event(staff, event, now=NOW)
    with pytest.raises(DomainError) as exc:
        services.add_session(staff, event, session_data(day=SESSION_DAY + timedelta(days=1)))
    assert_code(exc, "event_cancelled")


# --- update_event --------------------------------------------------------------------

def _full_with_waiting(db, make_user, make_event, waiting: int, **fields):
    event = make_event(capacity=1, **fields)
    seated = register(db, make_user(), slot_of(event)).registration
    return event, seated, [register(db, make_user(), slot_of(event)).registration
                           for _ in range(waiting)]


def test_more_capacity_goes_to_the_waiting_list_at_once(db, make_user, make_event, staff, outbox):
    event, _, waiting = _full_with_waiting(db, make_user, make_event, 3)
    outbox.clear()
    services.update_event(staff, event, data_of(event, capacity=3), now=NOW)
    db.session.commit()
    assert [r.status for r in waiting] == ["confirmed", "confirmed", "waitlisted"]
    assert sorted(m["To"] for m in outbox) == sorted(r.user.email for r in waiting[:2])
    assert slot_of(event).capacity == 3
    assert_seat_counters_match(db)


def test_capacity_below_the_confirmed_seats_is_refused(db, make_user, make_event, staff):
    event = make_event(capacity=2)
    for _ in range(2):
        register(db, make_user(), slot_of(event))
    with pytest.raises(DomainError) as exc:
        services.update_event(staff, event, data_of(event, capacity=1), now=NOW)
    assert_code(exc, "capacity_below_confirmed")
    db.session.rollback()
    assert slot_of(event).capacity == 2
    assert_seat_counters_match(db)


def test_capacity_down_to_the_confirmed_seats_is_allowed(db, make_user, make_event, staff):
    event = make_event(capacity=5)
    for _ in range(2):
        register(db, make_user(), slot_of(event))
    services.update_event(staff, event, data_of(event, capacity=2), now=NOW)
    db.session.commit()
    assert (slot_of(event).capacity, slot_of(event).free_seats) == (2, 0)
    assert_seat_counters_match(db)


def test_setting_an_mso_seat_limit_counts_the_seats_already_taken(
        db, make_member, make_event, staff, org, other_org):
    event = make_event(capacity=5)
    for member_of in (org, org, other_org):
        register(db, make_member(member_of), slot_of(event), member_of)
    services.update_event(staff, event, data_of(event, org_seat_limit=2), now=NOW)
    db.session.commit()
    counters = {(r.organisation_id, r.confirmed_count, r.seat_limit)
                for r in db.session.scalars(select(SlotOrgSeats))}
    assert counters == {(org.id, 2, 2), (other_org.id, 1, 2)}
    assert_seat_counters_match(db)


def test_new_mso_seat_limit_applies_to_the_next_registration(
        db, make_member, make_event, staff, org):
    event = make_event(capacity=5)
    for _ in range(2):
        register(db, make_member(org), slot_of(event), org)
    services.update_event(staff, event, data_of(event, org_seat_limit=2), now=NOW)
    db.session.commit()
    outcome = register(db, make_member(org), slot_of(event), org)
    assert outcome.waitlist_reason == "org_quota_reached"
    assert_seat_counters_match(db)


def test_mso_seat_limit_below_an_msos_confirmed_seats_is_refused(
        db, make_member, make_event, staff, org):
    event = make_event(capacity=5)
    for _ in range(2):
        register(db, make_member(org), slot_of(event), org)
    with pytest.raises(DomainError) as exc:
        services.update_event(staff, event, data_of(event, org_seat_limit=1), now=NOW)
    assert_code(exc, "org_limit_below_confirmed")
    db.session.rollback()
    assert_seat_counters_match(db)


def test_raising_the_mso_seat_limit_gives_its_waiting_member_a_seat(
        db, make_member, make_event, staff, org):
    event = make_event(capacity=5, org_seat_limit=1)
    register(db, make_member(org), slot_of(event), org)
    waiting = register(db, make_member(org), slot_of(event), org).registration
    services.update_event(staff, event, data_of(event, org_seat_limit=2), now=NOW)
    db.session.commit()
    assert waiting.status == "confirmed"
    assert_seat_counters_match(db)


def test_removing_the_mso_seat_limit_drops_the_counters(db, make_member, make_event, staff, org):
    event = make_event(capacity=5, org_seat_limit=1)
    register(db, make_member(org), slot_of(event), org)
    waiting = register(db, make_member(org), slot_of(event), org).registration
    services.update_event(staff, event, data_of(event, org_seat_limit=None), now=NOW)
    db.session.commit()
    assert waiting.status == "confirmed"
    assert db.session.scalars(select(SlotOrgSeats)).all() == []
    assert_seat_counters_match(db)


def test_kind_of_an_event_with_registrations_cannot_change(db, make_user, make_event, staff):
    event = make_event(kind="seminar")
    register(db, make_user(), slot_of(event))
    with pytest.raises(DomainError) as exc:
        services.update_event(staff, event, data_of(event, kind="series"), now=NOW)
    assert_code(exc, "event_invalid")


def test_seminar_without_registrations_becomes_a_series_with_one_slot(db, make_event, staff):
    event = make_event(kind="seminar", sessions=2, capacity=8)
    services.update_event(staff, event, data_of(event, kind="series"), now=NOW)
    db.session.commit()
    assert [(s.session_id, s.capacity) for s in slots(db, event)] == [(None, 8)]


def test_series_without_registrations_becomes_meetings_with_a_slot_each(db, make_event, staff):
    event = make_event(kind="series", sessions=2, capacity=8)
    services.update_event(staff, event, data_of(event, kind="networking"), now=NOW)
    db.session.commit()
    assert sorted(s.session_id for s in slots(db, event)) == sorted(s.id for s in event.sessions)


# --- cancel_event --------------------------------------------------------------------

def test_cancelling_an_event_ends_every_active_registration(db, make_user, make_event, staff):
    event, seated, waiting = _full_with_waiting(db, make_user, make_event, 1)
    affected = services.cancel_event(staff, event, now=NOW)
    db.session.commit()
    assert affected == [seated, *waiting]
    assert [r.status for r in affected] == ["cancelled", "cancelled"]
    assert {r.cancelled_at for r in affected} == {NOW}
    assert event.status == "cancelled"
    assert_seat_counters_match(db)


def test_cancelling_an_event_mails_everyone_registered_once(
        db, make_user, make_event, staff, outbox):
    event, seated, waiting = _full_with_waiting(db, make_user, make_event, 1)
    gone = make_user()
    reg.cancel_registration(gone, register(db, gone, slot_of(event)).registration, now=NOW)
    db.session.commit()
    outbox.clear()
    services.cancel_event(staff, event, now=NOW)
    db.session.commit()
    assert sorted(m["To"] for m in outbox) == sorted([seated.user.email, waiting[0].user.email])
    assert {m["Subject"] for m in outbox} == {"Cancelled: Test seminar"}


def test_cancelling_an_event_twice_is_refused(db, make_event, staff):
    event = make_event()
    services.cancel_event(staff, event, now=NOW)
    with pytest.raises(DomainError) as exc:
        services.cancel_event(staff, event, now=NOW)
    assert_code(exc, "already_cancelled")


def test_cancelling_an_event_bumps_the_sequence_of_its_sessions(db, make_event, staff):
    event = make_event(sessions=2)
    services.cancel_event(staff, event, now=NOW)
    assert [s.sequence for s in event.sessions] == [1, 1]


# --- cancel_session ------------------------------------------------------------------

def test_cancelling_a_seminar_session_ends_its_registrations(db, make_user, make_event, staff, outbox):
    event = make_event(kind="seminar", sessions=2)
    first = register(db, make_user(), slot_of(event, 0)).registration
    second = register(db, make_user(), slot_of(event, 1)).registration
    outbox.clear()
    services.cancel_session(staff, event.sessions[0], now=NOW)
    db.session.commit()
    assert (first.status, second.status) == ("cancelled", "confirmed")
    assert [m["To"] for m in outbox] == [first.user.email]
    assert_seat_counters_match(db)


def test_cancelling_a_series_session_keeps_the_registrations(db, make_user, make_event, staff, outbox):
    event = make_event(kind="series", sessions=3)
    registration = register(db, make_user(), slot_of(event)).registration
    outbox.clear()
    services.cancel_session(staff, event.sessions[1], now=NOW)
    db.session.commit()
    assert registration.status == "confirmed"
    assert [m["To"] for m in outbox] == [registration.user.email]
    assert registration.slot.sessions == [event.sessions[0], event.sessions[2]]
    assert_seat_counters_match(db)


def test_cancelling_a_session_twice_is_refused(db, make_event, staff):
    session = make_event().sessions[0]
    services.cancel_session(staff, session, now=NOW)
    with pytest.raises(DomainError) as exc:
        services.cancel_session(staff, session, now=NOW)
    assert_code(exc, "already_cancelled")


# --- update_session ------------------------------------------------------------------

def test_changing_a_session_bumps_its_sequence(db, make_event, staff):
    session = make_event().sessions[0]
    changed = services.update_session(staff, session, session_data(start=time(17)))
    assert changed == [session]
    assert session.sequence == 1
    assert session.starts_at == datetime(2027, 3, 10, 16, tzinfo=UTC)


def test_new_time_is_mailed_to_the_people_registered(db, make_user, make_event, staff, outbox):
    event = make_event(kind="networking", sessions=2)
    registered = register(db, make_user(), slot_of(event, 0)).registration
    register(db, make_user(), slot_of(event, 1))
    outbox.clear()
    services.update_session(staff, event.sessions[0], session_data(start=time(17)))
    db.session.commit()
    assert [m["To"] for m in outbox] == [registered.user.email]
    assert outbox[0]["Subject"] == "Changed: Test networking"


def test_new_place_is_mailed_to_the_people_registered(db, make_user, make_event, staff, venue, outbox):
    event = make_event()
    registered = register(db, make_user(), slot_of(event)).registration
    outbox.clear()
    services.update_session(staff, event.sessions[0], session_data(online_url="", venue_id=venue.id))
    db.session.commit()
    assert [m["To"] for m in outbox] == [registered.user.email]
    assert "Dietrich-Keuning-Haus" in outbox[0].get_body(("plain",)).get_content()


def test_saving_a_session_unchanged_mails_nobody(db, make_user, make_event, staff, outbox):
    event = make_event()
    register(db, make_user(), slot_of(event))
    outbox.clear()
    changed = services.update_session(staff, event.sessions[0], session_data())
    db.session.commit()
    assert changed == []
    assert event.sessions[0].sequence == 0
    assert outbox == []


def test_changing_a_draft_session_mails_nobody(db, make_event, staff, outbox):
    session = make_event(publish=False).sessions[0]
    services.update_session(staff, session, session_data(start=time(17)))
    db.session.commit()
    assert session.sequence == 1
    assert outbox == []


def test_changing_following_sessions_keeps_each_date_and_leaves_earlier_ones(db, make_event, staff):
    event = make_event(kind="networking", sessions=0, publish=False)
    sessions = services.create_recurring_sessions(staff, event, second_tuesdays(count=4))
    db.session.commit()
    feb = sessions[1]
    changed = services.update_session(
        staff, feb, session_data(day=date(2027, 2, 9), start=time(19), end=time(21)),
        following=True)
    db.session.commit()
    assert changed == sessions[1:]
    local_starts = [to_local(s.starts_at).replace(tzinfo=None) for s in sessions]
    assert local_starts == [datetime(2027, 1, 12, 18), datetime(2027, 2, 9, 19),
                            datetime(2027, 3, 9, 19), datetime(2027, 4, 13, 19)]
    assert [s.sequence for s in sessions] == [0, 1, 1, 1]


def test_moving_following_sessions_shifts_each_by_the_same_days(db, make_event, staff):
    event = make_event(kind="networking", sessions=0, publish=False)
    sessions = services.create_recurring_sessions(staff, event, second_tuesdays(count=3))
    db.session.commit()
    services.update_session(staff, sessions[1], session_data(day=date(2027, 2, 10)),
                            following=True)
    db.session.commit()
    assert [to_local(s.starts_at).date() for s in sessions] == [
        date(2027, 1, 12), date(2027, 2, 10), date(2027, 3, 10)]


def test_changing_one_session_of_a_recurrence_leaves_the_others(db, make_event, staff):
    event = make_event(kind="networking", sessions=0, publish=False)
    sessions = services.create_recurring_sessions(staff, event, second_tuesdays(count=3))
    db.session.commit()
    services.update_session(staff, sessions[1], session_data(day=date(2027, 2, 9), start=time(19),
                                                             end=time(21)))
    db.session.commit()
    assert [to_local(s.starts_at).hour for s in sessions] == [18, 19, 18]


# --- recurrence ----------------------------------------------------------------------

def test_every_second_tuesday_of_the_month(db):
    assert services.occurrence_days(second_tuesdays()) == [
        date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13),
        date(2027, 5, 11), date(2027, 6, 8), date(2027, 7, 13), date(2027, 8, 10),
        date(2027, 9, 14), date(2027, 10, 12), date(2027, 11, 9), date(2027, 12, 14)]


def test_recurring_sessions_keep_berlin_wall_clock_time_across_dst(db, make_event, staff):
    event = make_event(kind="networking", sessions=0, publish=False)
    sessions = services.create_recurring_sessions(staff, event, second_tuesdays())
    starts = {to_local(s.starts_at).date(): s.starts_at for s in sessions}
    assert starts[date(2027, 3, 9)] == datetime(2027, 3, 9, 17, tzinfo=UTC)
    assert starts[date(2027, 4, 13)] == datetime(2027, 4, 13, 16, tzinfo=UTC)
    assert {to_local(s.starts_at).time() for s in sessions} == {time(18)}
    assert {to_local(s.ends_at).time() for s in sessions} == {time(20)}


def test_recurring_sessions_share_one_recurrence_and_get_a_slot_each(db, make_event, staff):
    event = make_event(kind="networking", sessions=0, publish=False)
    sessions = services.create_recurring_sessions(staff, event, second_tuesdays(count=3))
    assert len({s.recurrence_id for s in sessions}) == 1
    assert sessions[0].recurrence_id is not None
    assert sorted(s.session_id for s in slots(db, event)) == sorted(s.id for s in sessions)


def test_at_most_sixty_occurrences_by_count(db):
    with pytest.raises(DomainError) as exc:
        services.occurrence_days(second_tuesdays(count=61))
    assert_code(exc, "recurrence_invalid")


def test_at_most_sixty_occurrences_by_end_date(db):
    with pytest.raises(DomainError) as exc:
        services.occurrence_days(second_tuesdays(frequency="weekly", count=None,
                                                 until=date(2029, 1, 1)))
    assert_code(exc, "recurrence_invalid")


def test_sixty_occurrences_are_allowed(db):
    assert len(services.occurrence_days(second_tuesdays(frequency="weekly", count=60))) == 60


def test_recurrence_needs_a_count_or_an_end_date(db):
    with pytest.raises(DomainError) as exc:
        services.occurrence_days(second_tuesdays(count=None, until=None))
    assert_code(exc, "recurrence_invalid")


def test_too_many_occurrences_create_no_sessions(db, make_event, staff):
    event = make_event(kind="networking", sessions=0, publish=False)
    with pytest.raises(DomainError) as exc:
        services.create_recurring_sessions(staff, event, second_tuesdays(count=61))
    assert_code(exc, "recurrence_invalid")
    assert db.session.scalars(select(EventSession)).all() == []


def test_no_recurring_sessions_are_added_to_a_cancelled_event(db, make_event, staff):
    event = make_event(kind="networking")
    services.cancel_event(staff, event, now=NOW)
    with pytest.raises(DomainError) as exc:
        services.create_recurring_sessions(staff, event, second_tuesdays(count=3))
    assert_code(exc, "event_cancelled")


def test_non_existent_local_time_does_not_crash():
    # 2027-03-28: clocks jump from 02:00 to 03:00 in Berlin; 02:30 never happens.
    moment = local_to_utc(date(2027, 3, 28), time(2, 30))
    assert moment.tzinfo is not None
    assert to_local(moment).date() == date(2027, 3, 28)
    assert datetime(2027, 3, 28, 0, 30, tzinfo=UTC) <= moment <= datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert moment.astimezone(LOCAL_TZ).astimezone(UTC) == moment
