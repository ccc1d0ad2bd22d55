"""Self check-in: the entrance screen shows a code that changes every
three minutes (SELF_CHECKIN_ROTATE_SECONDS); a registered member scans it
with their phone and is checked in."""
from __future__ import annotations

from datetime import timedelta

from miado_events.checkin import self_checkin as checkin

from .checkin_support import WINDOW_CLOSES, WINDOW_OPENS, attendances, minutes, seat
from .events_support import SESSION_START

# SESSION_START is a whole hour, so a new code starts exactly then.
ROTATE = timedelta(seconds=180)


def seconds(n: int) -> timedelta:
    return timedelta(seconds=n)


# --- the rotating code -------------------------------------------------------------

def test_code_is_valid_while_shown_and_one_rotation_after(make_event):
    session = make_event().sessions[0]
    code = checkin.self_checkin_code(session, SESSION_START)
    for later in (seconds(0), seconds(179), ROTATE, ROTATE + seconds(179)):
        assert checkin.self_checkin_code_valid(session, code, SESSION_START + later), later


def test_code_two_rotations_old_is_no_longer_valid(make_event):
    session = make_event().sessions[0]
    code = checkin.self_checkin_code(session, SESSION_START)
    assert not checkin.self_checkin_code_valid(session, code, SESSION_START + 2 * ROTATE)


def test_code_changes_every_rotation_and_differs_per_session(make_event):
    first, second = make_event(kind="series", sessions=2).sessions
    now = SESSION_START
    assert checkin.self_checkin_code(first, now) == checkin.self_checkin_code(first, now + seconds(179))
    assert checkin.self_checkin_code(first, now) != checkin.self_checkin_code(first, now + ROTATE)
    assert checkin.self_checkin_code(first, now) != checkin.self_checkin_code(second, now)
    assert not checkin.self_checkin_code_valid(second, checkin.self_checkin_code(first, now), now)


def test_code_typed_in_lowercase_is_accepted(make_event):
    session = make_event().sessions[0]
    code = checkin.self_checkin_code(session, SESSION_START)
    assert checkin.self_checkin_code_valid(session, code.lower(), SESSION_START)


# --- checking oneself in -----------------------------------------------------------------

def test_wrong_or_old_code_is_refused(db, make_user, make_event):
    session = make_event().sessions[0]
    member = make_user()
    seat(db, member, session.event)
    old = checkin.self_checkin_code(session, SESSION_START - 2 * ROTATE)
    for code in ("WRONGCODE", old, "", None):
        result = checkin.self_check_in(member, session, code, now=SESSION_START)
        assert (result.outcome, result.tone) == ("code_expired", "red")
    assert attendances(db) == []


def test_registered_member_checks_in_with_the_current_code(db, make_user, make_event):
    session = make_event().sessions[0]
    registration = seat(db, member := make_user(name="Olena Shevchenko"), session.event)
    now = SESSION_START + minutes(4)
    result = checkin.self_check_in(member, session, checkin.self_checkin_code(session, now), now=now)
    db.session.commit()
    assert (result.outcome, result.tone) == ("checked_in", "green")
    assert "Olena Shevchenko" in result.message
    [attendance] = attendances(db)
    assert attendance.registration_id == registration.id
    assert (attendance.method, attendance.checked_in_by_id, attendance.checked_in_at) == ("self", member.id, now)


def test_checking_oneself_in_twice_records_once(db, make_user, make_event):
    session = make_event().sessions[0]
    seat(db, member := make_user(), session.event)
    code = checkin.self_checkin_code(session, SESSION_START)
    checkin.self_check_in(member, session, code, now=SESSION_START)
    again = checkin.self_check_in(member, session, code, now=SESSION_START + minutes(1))
    db.session.commit()
    assert again.outcome == "already_checked_in"
    assert len(attendances(db)) == 1


def test_member_without_registration_is_not_registered(db, make_user, make_event):
    event = make_event()
    seat(db, make_user(), event)  # someone else is
    session = event.sessions[0]
    result = checkin.self_check_in(make_user(), session, checkin.self_checkin_code(session, SESSION_START),
                                   now=SESSION_START)
    assert (result.outcome, result.tone) == ("not_registered", "red")
    assert attendances(db) == []


def test_member_on_the_waiting_list_is_not_let_in(db, make_user, make_event):
    event = make_event(capacity=1)
    seat(db, make_user(), event)
    seat(db, member := make_user(), event)
    session = event.sessions[0]
    result = checkin.self_check_in(member, session, checkin.self_checkin_code(session, SESSION_START),
                                   now=SESSION_START)
    assert result.outcome == "waitlisted"
    assert attendances(db) == []


def test_member_of_a_series_checks_in_to_each_session(db, make_user, make_event):
    event = make_event(kind="series", sessions=2)
    seat(db, member := make_user(), event)
    for week, session in enumerate(event.sessions):
        now = SESSION_START + timedelta(weeks=week)
        assert checkin.self_check_in(member, session, checkin.self_checkin_code(session, now),
                                     now=now).outcome == "checked_in"
    assert len(attendances(db)) == 2


def test_self_check_in_outside_the_window_is_closed(db, make_user, make_event):
    session = make_event().sessions[0]
    seat(db, member := make_user(), session.event)
    for now in (WINDOW_OPENS - minutes(1), WINDOW_CLOSES + minutes(1)):
        result = checkin.self_check_in(member, session, checkin.self_checkin_code(session, now), now=now)
        assert result.outcome == "closed"
    assert attendances(db) == []
