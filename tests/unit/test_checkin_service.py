"""The check-in service, one rule per test, with frozen time: who is let in,
what the scanner shows (green / amber / red), the check-in window, who may
check people in, undo, the offline queue (sync), counts, search, the roster
and the sessions a door account sees."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from miado_events.checkin import ledger
from miado_events.checkin import door_lists
from miado_events.checkin import services as checkin
from miado_events.checkin import tickets
from miado_events.errors import PermissionDenied
from miado_events.events import registration as reg
from miado_events.events import services as event_services
from miado_events.models.accounts import Role
from miado_events.models.checkin import Attendance

from .checkin_support import (
    SESSION_END,
    WINDOW_CLOSES,
    WINDOW_OPENS,
    attendances,
    count,
    door_staff_for,
    minutes,
    seat,
)
from .events_support import NOW, SESSION_START

AT_DOOR = SESSION_START - minutes(10)


# --- who is let in ------------------------------------------------------------------

def test_confirmed_ticket_is_let_in_and_the_attendance_recorded(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, person := make_user(name="Ayşe Demir"), event)
    result = checkin.check_in_scanned(staff, event.sessions[0], tickets.ticket_url(registration), now=AT_DOOR)
    db.session.commit()
    assert (result.outcome, result.tone) == ("checked_in", "green")
    assert person.name in result.message
    [attendance] = attendances(db)
    assert attendance.registration_id == registration.id
    assert attendance.session_id == event.sessions[0].id
    assert attendance.method == "scan"
    assert attendance.checked_in_by_id == staff.id
    assert attendance.checked_in_at == AT_DOOR


def test_rescan_says_since_when_and_records_nothing_new(db, staff, make_user, make_event):
    event = make_event()
    url = tickets.ticket_url(seat(db, make_user(), event))
    checkin.check_in_scanned(staff, event.sessions[0], url, now=SESSION_START + minutes(3))
    db.session.commit()
    again = checkin.check_in_scanned(staff, event.sessions[0], url, now=SESSION_START + minutes(20))
    db.session.commit()
    assert (again.outcome, again.tone) == ("already_checked_in", "amber")
    assert "18:03" in again.message  # local time of the first check-in
    [attendance] = attendances(db)
    assert attendance.checked_in_at == SESSION_START + minutes(3)


def test_waitlisted_person_is_not_let_in(db, staff, make_user, make_event):
    event = make_event(capacity=1)
    seat(db, make_user(), event)
    waiting = seat(db, make_user(), event)
    assert waiting.is_waitlisted
    result = checkin.check_in(staff, event.sessions[0], waiting, method="scan", now=AT_DOOR)
    assert (result.outcome, result.tone) == ("waitlisted", "amber")
    assert attendances(db) == []


def test_cancelled_registration_is_refused(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, person := make_user(), event)
    reg.cancel_registration(person, registration, now=NOW)
    db.session.commit()
    result = checkin.check_in_scanned(staff, event.sessions[0], tickets.ticket_url(registration), now=AT_DOOR)
    assert (result.outcome, result.tone) == ("cancelled", "red")
    assert attendances(db) == []


def test_ticket_for_another_session_of_the_event_is_amber(db, staff, make_user, make_event):
    event = make_event(kind="networking", sessions=2)
    next_week = seat(db, make_user(), event, index=1)
    result = checkin.check_in(staff, event.sessions[0], next_week, method="scan", now=AT_DOOR)
    assert (result.outcome, result.tone) == ("other_session", "amber")
    assert "17.03.27" in result.message  # the session the ticket is for
    assert attendances(db) == []


def test_ticket_for_another_event_is_red(db, staff, make_user, make_event):
    here, elsewhere = make_event(kind="seminar"), make_event(kind="networking")
    ticket = seat(db, make_user(), elsewhere)
    result = checkin.check_in_scanned(staff, here.sessions[0], tickets.ticket_url(ticket), now=AT_DOOR)
    assert (result.outcome, result.tone) == ("other_event", "red")
    # Nothing about the other event or its registrant reaches this door.
    assert "Test networking" not in result.message
    assert result.as_json()["name"] is None and result.as_json()["registration_id"] is None
    assert attendances(db) == []


def test_series_ticket_is_valid_at_every_session_with_attendance_per_session(
        db, staff, make_user, make_event):
    event = make_event(kind="series", sessions=3)
    registration = seat(db, make_user(), event)
    url = tickets.ticket_url(registration)
    for week, session in enumerate(event.sessions):
        result = checkin.check_in_scanned(staff, session, url, now=AT_DOOR + timedelta(weeks=week))
        assert result.outcome == "checked_in"
    db.session.commit()
    assert [a.session_id for a in attendances(db, registration)] == [s.id for s in event.sessions]


def test_cancelled_session_is_red(db, staff, make_user, make_event):
    event = make_event(kind="series", sessions=2)
    registration = seat(db, make_user(), event)
    event_services.cancel_session(staff, event.sessions[0], now=NOW)
    db.session.commit()
    result = checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    assert (result.outcome, result.tone) == ("session_cancelled", "red")
    assert attendances(db) == []


# --- the check-in window --------------------------------------------------------------

def test_check_in_is_not_open_61_minutes_before_the_start(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="scan",
                              now=WINDOW_OPENS - minutes(1))
    assert (result.outcome, result.tone) == ("not_open", "amber")
    assert "17:00" in result.message  # opens an hour before 18:00, local time
    assert attendances(db) == []


def test_check_in_opens_60_minutes_before_the_start(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="scan", now=WINDOW_OPENS)
    assert result.outcome == "checked_in"


def test_check_in_is_open_until_30_minutes_after_the_end(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="scan", now=WINDOW_CLOSES)
    assert result.outcome == "checked_in"


def test_check_in_closes_30_minutes_after_the_end(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="scan",
                              now=WINDOW_CLOSES + minutes(1))
    assert (result.outcome, result.tone) == ("closed", "amber")
    assert attendances(db) == []


def test_staff_may_override_the_window(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="manual",
                              now=SESSION_END + timedelta(hours=3), override=True)
    assert result.outcome == "checked_in"


def test_door_staff_override_is_ignored(db, staff, make_user, make_event):
    event = make_event()
    door = door_staff_for(db, make_user, staff, event)
    registration = seat(db, make_user(), event)
    result = checkin.check_in(door, event.sessions[0], registration, method="manual",
                              now=WINDOW_OPENS - timedelta(hours=1), override=True)
    assert result.outcome == "not_open"
    assert attendances(db) == []


# --- who may check people in --------------------------------------------------------

def test_door_staff_not_assigned_to_the_event_may_not_check_in(db, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    door = make_user(Role.DOOR)
    with pytest.raises(PermissionDenied):
        checkin.check_in(door, event.sessions[0], registration, method="scan", now=AT_DOOR)
    with pytest.raises(PermissionDenied):
        checkin.check_in_scanned(door, event.sessions[0], tickets.ticket_url(registration), now=AT_DOOR)
    assert attendances(db) == []


def test_door_staff_assigned_to_the_event_may_check_in(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    door = door_staff_for(db, make_user, staff, event)
    result = checkin.check_in_scanned(door, event.sessions[0], tickets.ticket_url(registration), now=AT_DOOR)
    assert result.outcome == "checked_in"
    assert result.attendance.checked_in_by_id == door.id


def test_door_staff_assignment_is_for_that_event_only(db, staff, make_user, make_event):
    assigned, other = make_event(), make_event(kind="networking")
    door = door_staff_for(db, make_user, staff, assigned)
    registration = seat(db, make_user(), other)
    with pytest.raises(PermissionDenied):
        checkin.check_in(door, other.sessions[0], registration, method="scan", now=AT_DOOR)


def test_only_staff_assign_door_staff(db, make_user, make_event):
    door = make_user(Role.DOOR)
    with pytest.raises(PermissionDenied):
        checkin.assign_door_staff(door, make_event(), door)


def test_member_cannot_check_others_in(db, make_user, make_event):
    event = make_event()
    member = make_user()
    registration = seat(db, make_user(), event)
    for method in ("scan", "manual", "self"):
        with pytest.raises(PermissionDenied):
            checkin.check_in(member, event.sessions[0], registration, method=method, now=AT_DOOR)
    assert attendances(db) == []


# --- undo ---------------------------------------------------------------------------------

def test_undo_takes_back_a_check_in(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    db.session.commit()
    assert checkin.undo(staff, event.sessions[0], registration).outcome == "undone"
    db.session.commit()
    assert attendances(db) == []
    assert checkin.undo(staff, event.sessions[0], registration).outcome == "not_checked_in"


def test_person_can_be_checked_in_again_after_undo(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    checkin.undo(staff, event.sessions[0], registration)
    db.session.commit()
    again = checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR + minutes(5))
    assert again.outcome == "checked_in"


def test_door_staff_not_assigned_cannot_undo(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        checkin.undo(make_user(Role.DOOR), event.sessions[0], registration)
    assert len(attendances(db)) == 1


# --- the time of an offline scan ------------------------------------------------------------

def test_time_reported_by_the_scanner_is_kept_when_in_the_past(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    result = checkin.check_in(staff, event.sessions[0], registration, method="sync",
                              now=AT_DOOR, at=AT_DOOR - minutes(7))
    assert result.attendance.checked_in_at == AT_DOOR - minutes(7)
    assert result.attendance.recorded_at == AT_DOOR


def test_time_in_the_future_is_replaced_by_now(db, staff, make_user, make_event):
    event = make_event()
    first, second = seat(db, make_user(), event), seat(db, make_user(), event)
    far = checkin.check_in(staff, event.sessions[0], first, method="sync", now=AT_DOOR, at=AT_DOOR + minutes(6))
    near = checkin.check_in(staff, event.sessions[0], second, method="sync", now=AT_DOOR, at=AT_DOOR + minutes(4))
    assert far.attendance.checked_in_at == AT_DOOR
    assert near.attendance.checked_in_at == AT_DOOR  # never later than the server's clock


# --- sync: the scanner's queue ------------------------------------------------------------------

def _batch(first, second):
    return [
        {"ref": "tablet-1", "scan": tickets.ticket_url(first), "at": "2027-03-10T16:55:00Z", "offline": True},
        {"ref": "tablet-2", "registration_id": second.id, "at": "2027-03-10T16:56:00+00:00"},
    ]


def test_sync_checks_in_queued_scans(db, staff, make_user, make_event):
    event = make_event()
    first, second = seat(db, make_user(), event), seat(db, make_user(), event)
    answers = ledger.sync(staff, event.sessions[0], _batch(first, second), now=SESSION_START)
    db.session.commit()
    assert [(a["ref"], a["outcome"], a["tone"]) for a in answers] == [
        ("tablet-1", "checked_in", "green"), ("tablet-2", "checked_in", "green")]
    assert [a["registration_id"] for a in answers] == [first.id, second.id]
    [a1], [a2] = attendances(db, first), attendances(db, second)
    assert (a1.method, a1.checked_in_at, a1.client_ref) == ("sync", SESSION_START - minutes(5), "tablet-1")
    assert (a2.method, a2.checked_in_at) == ("manual", SESSION_START - minutes(4))


def test_sync_sent_twice_records_each_person_once(db, staff, make_user, make_event):
    event = make_event()
    first, second = seat(db, make_user(), event), seat(db, make_user(), event)
    ledger.sync(staff, event.sessions[0], _batch(first, second), now=SESSION_START)
    db.session.commit()
    answers = ledger.sync(staff, event.sessions[0], _batch(first, second), now=SESSION_START + minutes(1))
    db.session.commit()
    # The same items again (same refs) get the stored answers: nothing changes.
    assert [(a["ref"], a["outcome"], a["replayed"]) for a in answers] == [
        ("tablet-1", "checked_in", True), ("tablet-2", "checked_in", True)]
    assert sorted(a.registration_id for a in attendances(db)) == sorted([first.id, second.id])
    # The same people scanned again (new refs) are already in.
    again = [{**item, "ref": item["ref"] + "-again"} for item in _batch(first, second)]
    answers = ledger.sync(staff, event.sessions[0], again, now=SESSION_START + minutes(2))
    assert [a["outcome"] for a in answers] == ["already_checked_in", "already_checked_in"]


def test_sync_from_two_devices_keeps_the_earliest_time(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    url = tickets.ticket_url(registration)
    session = event.sessions[0]
    ledger.sync(staff, session, [{"ref": "a", "scan": url, "at": "2027-03-10T17:05:00Z", "offline": True}],
                 now=SESSION_START + minutes(30))
    db.session.commit()
    ledger.sync(staff, session, [{"ref": "b", "scan": url, "at": "2027-03-10T17:02:00Z", "offline": True}],
                 now=SESSION_START + minutes(31))
    db.session.commit()
    ledger.sync(staff, session, [{"ref": "c", "scan": url, "at": "2027-03-10T17:09:00Z", "offline": True}],
                 now=SESSION_START + minutes(32))
    db.session.commit()
    [attendance] = attendances(db)
    assert attendance.checked_in_at == SESSION_START + minutes(2)


def test_sync_can_undo(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    db.session.commit()
    [answer] = ledger.sync(staff, event.sessions[0],
                            [{"ref": "u", "registration_id": registration.id, "undo": True}], now=AT_DOOR)
    db.session.commit()
    assert answer["outcome"] == "undone"
    assert attendances(db) == []


def test_sync_answers_garbage_with_red_invalid_and_changes_nothing(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    url = tickets.ticket_url(registration)
    _token, signature = url.rsplit("/", 1)[1].split(".")
    forged = url.replace(signature, signature[:40] + ("A" if signature[40] != "A" else "B") + signature[41:])
    garbage = [
        "just text", 42, None, ["a", "list"],
        {},
        {"ref": "x", "registration_id": "abc"},
        {"ref": "x", "registration_id": -1},
        {"ref": "x", "registration_id": 999_999},
        {"ref": "x", "registration_id": 10 ** 20},
        {"ref": "x", "registration_id": [registration.id]},
        {"ref": "x", "scan": "Hallo, ich bin kein Ticket"},
        {"ref": "x", "scan": "https://example.org/t/" + "x" * 22 + "." + "y" * 86},
        {"ref": "x", "scan": forged},
        {"ref": "x", "scan": {"nested": "object"}},
    ]
    answers = ledger.sync(staff, event.sessions[0], garbage, now=AT_DOOR)
    db.session.commit()
    assert len(answers) == len(garbage)
    assert {(a["outcome"], a["tone"]) for a in answers} == {("invalid", "red")}
    assert attendances(db) == []
    assert ledger.sync(staff, event.sessions[0], {"items": "not a list"}, now=AT_DOOR) == []


def test_manual_check_in_by_id_answers_bad_ids_with_red_invalid(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    for bad in (None, "", "abc", "-1", "999999", str(10 ** 20)):
        result = checkin.check_in_registration_id(staff, event.sessions[0], bad, now=AT_DOOR)
        assert (result.outcome, result.tone) == ("invalid", "red"), bad
    assert checkin.check_in_registration_id(staff, event.sessions[0], str(registration.id),
                                            now=AT_DOOR).outcome == "checked_in"


def test_sync_ignores_a_garbage_time_and_uses_now(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    [answer] = ledger.sync(staff, event.sessions[0],
                            [{"ref": "t", "registration_id": registration.id, "at": "yesterday-ish"}], now=AT_DOOR)
    assert answer["outcome"] == "checked_in"
    assert attendances(db)[0].checked_in_at == AT_DOOR


def test_sync_needs_door_rights_for_the_event(db, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    with pytest.raises(PermissionDenied):
        ledger.sync(make_user(Role.DOOR), event.sessions[0],
                     [{"ref": "r", "registration_id": registration.id}], now=AT_DOOR)


# --- counts, roster and search -----------------------------------------------------------------

def test_counts_checked_in_out_of_confirmed(db, staff, make_user, make_event):
    event = make_event(capacity=3)
    a, b, _c = (seat(db, make_user(), event) for _ in range(3))
    waiting = seat(db, make_user(), event)
    assert waiting.is_waitlisted
    assert door_lists.counts(event.sessions[0]) == door_lists.Counts(checked_in=0, confirmed=3)
    for registration in (a, b):
        checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    checkin.check_in(staff, event.sessions[0], waiting, method="scan", now=AT_DOOR)  # refused
    db.session.commit()
    assert door_lists.counts(event.sessions[0]) == door_lists.Counts(checked_in=2, confirmed=3)


def test_counts_are_per_session_of_a_series(db, staff, make_user, make_event):
    event = make_event(kind="series", sessions=2)
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    db.session.commit()
    assert door_lists.counts(event.sessions[0]) == door_lists.Counts(checked_in=1, confirmed=1)
    assert door_lists.counts(event.sessions[1]) == door_lists.Counts(checked_in=0, confirmed=1)


def test_roster_holds_the_token_hash_never_the_token(db, staff, make_user, make_event):
    event = make_event(kind="networking", sessions=2)
    here = seat(db, make_user(name="Hier Person"), event, index=0)
    next_week = seat(db, make_user(name="Nächste Woche"), event, index=1)
    checkin.check_in(staff, event.sessions[0], here, method="scan", now=AT_DOOR)
    db.session.commit()
    entries = {e["id"]: e for e in door_lists.roster(event.sessions[0])}
    assert set(entries) == {here.id, next_week.id}
    # what the browser computes from a scanned token (TweetNaCl's SHA-512, first 128 bits)
    assert entries[here.id]["token_hash"] == hashlib.sha512(here.ticket_token.encode()).hexdigest()[:32]
    assert entries[here.id]["code"] == here.ticket_code
    assert entries[here.id]["name"] == "Hier Person"
    assert (entries[here.id]["here"], entries[next_week.id]["here"]) == (True, False)
    assert entries[here.id]["checked_in_at"] is not None
    assert entries[next_week.id]["checked_in_at"] is None
    dumped = json.dumps(list(entries.values()))
    assert here.ticket_token not in dumped and next_week.ticket_token not in dumped


def test_roster_leaves_out_cancelled_registrations(db, make_user, make_event):
    event = make_event()
    registration = seat(db, person := make_user(), event)
    reg.cancel_registration(person, registration, now=NOW)
    db.session.commit()
    assert door_lists.roster(event.sessions[0]) == []


@pytest.fixture
def three_people(db, make_user, make_event):
    event = make_event(capacity=3)
    people = [make_user(name="Ayşe Demir", email="ayse.demir@example.org"),
              make_user(name="Jan Kowalski", email="jan@kowalski.example"),
              make_user(name="Olena Shevchenko", email="olena@example.org")]
    return event, [seat(db, p, event) for p in people]


def _found(event, query):
    return [r.user.name for r, _attendance in door_lists.search(event.sessions[0], query)]


def test_search_finds_by_part_of_the_name(three_people):
    event, _registrations = three_people
    assert _found(event, "kowal") == ["Jan Kowalski"]
    assert _found(event, "DEMIR") == ["Ayşe Demir"]


def test_search_finds_by_email(three_people):
    event, _registrations = three_people
    assert _found(event, "olena@example.org") == ["Olena Shevchenko"]


def test_search_finds_by_ticket_code_typed_loosely(three_people):
    event, registrations = three_people
    code = registrations[1].ticket_code
    typed = f"{code[:4]}-{code[4:]}".lower()
    assert _found(event, typed) == ["Jan Kowalski"]


def test_search_needs_two_characters_and_only_finds_this_event(db, make_user, make_event, three_people):
    event, _registrations = three_people
    other = make_event(kind="networking")
    seat(db, make_user(name="Jana Anders"), other)
    assert _found(event, "j") == []
    assert _found(event, "jan") == ["Jan Kowalski"]


def test_search_ignores_case_of_accented_letters(db, make_user, make_event):
    event = make_event()
    seat(db, make_user(name="Özlem Çelik"), event)
    assert _found(event, "özlem") == ["Özlem Çelik"]


def test_search_shows_who_is_already_in(db, staff, three_people):
    event, registrations = three_people
    checkin.check_in(staff, event.sessions[0], registrations[2], method="scan", now=AT_DOOR)
    db.session.commit()
    [(_registration, attendance)] = door_lists.search(event.sessions[0], "olena")
    assert attendance is not None and attendance.checked_in_at == AT_DOOR


# --- the door's list of sessions --------------------------------------------------------------

def test_staff_see_todays_sessions(db, staff, make_event):
    seminar = make_event()
    series = make_event(kind="series", sessions=3)
    listed = checkin.door_sessions(staff, now=SESSION_START - timedelta(hours=5))
    assert {s.id for s in listed} == {seminar.sessions[0].id, series.sessions[0].id}
    assert checkin.door_sessions(staff, now=SESSION_START - timedelta(days=2)) == []


def test_door_staff_see_only_the_events_assigned_to_them(db, staff, make_user, make_event):
    assigned, other = make_event(), make_event(kind="networking")
    door = door_staff_for(db, make_user, staff, assigned)
    listed = checkin.door_sessions(door, now=SESSION_START - timedelta(hours=5))
    assert [s.id for s in listed] == [assigned.sessions[0].id]
    assert other.sessions[0].id not in {s.id for s in checkin.door_sessions(door, now=SESSION_START)}
    assert checkin.door_sessions(make_user(Role.DOOR), now=SESSION_START) == []


def test_door_list_leaves_out_cancelled_sessions(db, staff, make_event):
    event = make_event(kind="series", sessions=2)
    event_services.cancel_session(staff, event.sessions[0], now=NOW)
    db.session.commit()
    assert checkin.door_sessions(staff, now=SESSION_START) == []


def test_attendance_is_unique_per_person_and_session(db, staff, make_user, make_event):
    """Two scanners racing: the database keeps one attendance."""
    event = make_event()
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    db.session.commit()
    db.session.add(Attendance(registration_id=registration.id, session_id=event.sessions[0].id,
                              checked_in_at=AT_DOOR, method="scan"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count(db, Attendance) == 1
    assert db.session.scalar(select(Attendance.method)) == "scan"
