"""The door ledger behind the scanner's sync: one answer per item whatever
goes wrong with another, replays answered from the ledger (pretix's nonce),
undo recorded as a row, nothing about other events' registrants, and offline
check-ins that arrive too late held for staff review."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from miado_events.checkin import ledger, self_checkin
from miado_events.checkin import services as checkin
from miado_events.checkin import tickets
from miado_events.errors import DomainError, PermissionDenied
from miado_events.models.audit import AuditEntry
from miado_events.models.checkin import CheckinScan
from miado_events.privacy.services import delete_account

from .checkin_support import WINDOW_CLOSES, attendances, door_staff_for, minutes, seat
from .events_support import NOW, SESSION_START

AT_DOOR = SESSION_START - minutes(10)


def scans(db) -> list[CheckinScan]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckinScan).order_by(CheckinScan.id)))


def iso(moment) -> str:
    return moment.isoformat()


# --- one bad item does not cost the others -------------------------------------------------

def test_an_item_naming_a_deleted_persons_registration_does_not_break_the_batch(
        db, staff, make_user, make_event):
    event = make_event(capacity=3)
    gone, here = make_user(name="Gerda Gone"), make_user(name="Hana Here")
    gone_registration = seat(db, gone, event)
    here_registration = seat(db, here, event)
    delete_account(gone, now=NOW)
    db.session.commit()
    answers = ledger.sync(staff, event.sessions[0], [
        {"ref": "r1", "registration_id": gone_registration.id, "at": iso(AT_DOOR), "offline": True},
        {"ref": "r2", "registration_id": here_registration.id, "at": iso(AT_DOOR), "offline": True},
    ], now=AT_DOOR)
    db.session.commit()
    assert [(a["ref"], a["outcome"], a["tone"]) for a in answers] == [
        ("r1", "invalid", "red"), ("r2", "checked_in", "green")]
    assert answers[0]["name"] is None
    assert [a.registration_id for a in attendances(db)] == [here_registration.id]


def test_any_failure_becomes_that_items_answer_and_the_rest_are_recorded(
        db, staff, make_user, make_event, monkeypatch):
    event = make_event(capacity=3)
    first, broken, last = (seat(db, make_user(), event) for _ in range(3))
    judge = checkin._judge

    def failing_judge(registration, session):
        if registration.id == broken.id:
            raise RuntimeError("something nobody foresaw")
        return judge(registration, session)

    monkeypatch.setattr(checkin, "_judge", failing_judge)
    answers = ledger.sync(staff, event.sessions[0], [
        {"ref": f"r{r.id}", "registration_id": r.id, "at": iso(AT_DOOR)} for r in (first, broken, last)
    ], now=AT_DOOR)
    db.session.commit()
    assert [a["outcome"] for a in answers] == ["checked_in", "error", "checked_in"]
    assert answers[1]["tone"] == "red" and answers[1]["ref"] == f"r{broken.id}"
    assert sorted(a.registration_id for a in attendances(db)) == sorted([first.id, last.id])
    # Nothing of the failed item stays half-written.
    assert [s.client_ref for s in scans(db)] == [f"r{first.id}", f"r{last.id}"]


# --- replays and undo --------------------------------------------------------------------------

def test_every_item_is_a_ledger_row_with_device_and_arrival_time(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    ledger.sync(staff, event.sessions[0], [
        {"ref": "in", "registration_id": registration.id, "at": iso(AT_DOOR - minutes(3)), "offline": True},
        {"ref": "out", "registration_id": registration.id, "at": iso(AT_DOOR - minutes(2)), "undo": True,
         "offline": True},
    ], now=AT_DOOR)
    db.session.commit()
    rows = scans(db)
    assert [(s.client_ref, s.kind, s.result, s.registration_id, s.user_id) for s in rows] == [
        ("in", "check_in", "checked_in", registration.id, staff.id),
        ("out", "undo", "undone", registration.id, staff.id)]
    assert [(s.device_at, s.received_at) for s in rows] == [
        (AT_DOOR - minutes(3), AT_DOOR), (AT_DOOR - minutes(2), AT_DOOR)]


def test_a_late_replay_of_an_undo_does_not_take_back_a_later_check_in(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    session = event.sessions[0]
    check_in = {"ref": "a", "registration_id": registration.id, "at": iso(AT_DOOR)}
    undo = {"ref": "u", "registration_id": registration.id, "at": iso(AT_DOOR + minutes(1)), "undo": True}
    again = {"ref": "b", "registration_id": registration.id, "at": iso(AT_DOOR + minutes(2))}
    ledger.sync(staff, session, [check_in, undo, again], now=AT_DOOR + minutes(2))
    db.session.commit()
    assert len(attendances(db)) == 1
    # The first batch arrives once more, late: each item gets its first answer.
    answers = ledger.sync(staff, session, [check_in, undo], now=AT_DOOR + minutes(20))
    db.session.commit()
    assert [(a["outcome"], a["replayed"]) for a in answers] == [("checked_in", True), ("undone", True)]
    [attendance] = attendances(db)
    assert attendance.checked_in_at == AT_DOOR + minutes(2)
    assert len(scans(db)) == 3


def test_a_ref_is_unique_per_session_in_the_database(db, staff, make_user, make_event):
    event = make_event(capacity=3)
    first, second = seat(db, make_user(), event), seat(db, make_user(), event)
    session = event.sessions[0]
    ledger.sync(staff, session, [{"ref": "same", "registration_id": first.id}], now=AT_DOOR)
    db.session.commit()
    # Another registration under a ref already used: the stored answer, no check-in.
    [answer] = ledger.sync(staff, session, [{"ref": "same", "registration_id": second.id}], now=AT_DOOR)
    db.session.commit()
    assert (answer["registration_id"], answer["replayed"]) == (first.id, True)
    assert [a.registration_id for a in attendances(db)] == [first.id]
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(CheckinScan(session_id=session.id, client_ref="same", kind="check_in",
                                       method="scan", result="invalid", received_at=AT_DOOR))
            db.session.flush()


def test_refusals_are_answered_per_item_with_their_reason(db, staff, make_user, make_event):
    event = make_event(kind="networking", sessions=2, capacity=1)
    cancelled = seat(db, make_user(name="Cem Cancelled"), event)
    other_session = seat(db, make_user(name="Olga Other"), event, index=1)
    waiting = seat(db, make_user(name="Wanda Waiting"), event)
    from miado_events.events import registration as reg

    reg.cancel_registration(staff, cancelled, now=NOW)
    db.session.commit()
    answers = ledger.sync(staff, event.sessions[0], [
        {"ref": "1", "registration_id": cancelled.id, "offline": True, "at": iso(AT_DOOR)},
        {"ref": "2", "registration_id": other_session.id, "offline": True, "at": iso(AT_DOOR)},
        {"ref": "3", "registration_id": waiting.id, "offline": True, "at": iso(AT_DOOR)},
    ], now=AT_DOOR)
    db.session.commit()
    outcomes = {a["ref"]: a["outcome"] for a in answers}
    assert outcomes["1"] == "cancelled"
    assert outcomes["2"] == "other_session"
    assert outcomes["3"] in ("waitlisted", "checked_in")  # the cancelled seat went to the waiting list
    assert {a["ref"]: a["name"] for a in answers}["2"] == "Olga Other"


# --- other events' registrants stay unknown -------------------------------------------------

def test_door_staff_learn_nothing_about_another_events_registration(
        db, staff, make_user, make_event, make_org, join):
    here, elsewhere = make_event(kind="seminar"), make_event(kind="networking")
    door = door_staff_for(db, make_user, staff, here)
    org = make_org("Verein Anderswo e.V.")
    join(person := make_user(name="Sabine Secret"), org)
    stranger = seat(db, person, elsewhere, org=org)
    for item in ({"ref": "p1", "registration_id": stranger.id},
                 {"ref": "p2", "registration_id": stranger.id, "undo": True},
                 {"ref": "p3", "scan": tickets.ticket_url(stranger)},
                 {"ref": "p4", "scan": stranger.ticket_code}):
        [answer] = ledger.sync(door, here.sessions[0], [item], now=AT_DOOR)
        assert answer["tone"] == "red", item
        assert answer["name"] is None and answer["organisation"] is None, item
        assert answer["registration_id"] is None, item
        text = str(answer)
        assert "Sabine" not in text and "Anderswo" not in text and "networking" not in text, item
    # The same answer as for an id that does not exist at all.
    [unknown] = ledger.sync(door, here.sessions[0], [{"ref": "p5", "registration_id": 999_999}], now=AT_DOOR)
    [by_id] = ledger.sync(door, here.sessions[0], [{"ref": "p6", "registration_id": stranger.id}], now=AT_DOOR)
    assert {k: v for k, v in unknown.items() if k != "ref"} == {k: v for k, v in by_id.items() if k != "ref"}
    result = checkin.check_in_registration_id(door, here.sessions[0], str(stranger.id), now=AT_DOOR)
    assert (result.outcome, result.registration) == ("invalid", None)
    assert checkin.door_registration(here.sessions[0], stranger.id) is None
    assert attendances(db) == []


# --- offline check-ins that arrive too late ------------------------------------------------------

def test_an_offline_check_in_sent_weeks_later_is_held_for_review_not_recorded(
        db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(name="Lena Late"), event)
    door = door_staff_for(db, make_user, staff, event)
    five_weeks_later = SESSION_START + timedelta(weeks=5)
    [answer] = ledger.sync(door, event.sessions[0], [
        {"ref": "old", "registration_id": registration.id, "at": iso(AT_DOOR), "offline": True}],
        now=five_weeks_later)
    db.session.commit()
    assert (answer["outcome"], answer["tone"]) == ("held_for_review", "amber")
    assert attendances(db) == []
    [scan] = scans(db)
    assert (scan.result, scan.device_at, scan.received_at) == ("held_for_review", AT_DOOR, five_weeks_later)
    assert ledger.pending_reviews(event) == [scan]
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "checkin.held" in actions


def test_an_online_item_with_a_backdated_time_is_held_too(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    door = door_staff_for(db, make_user, staff, event)
    [answer] = ledger.sync(door, event.sessions[0], [
        {"ref": "x", "registration_id": registration.id, "at": iso(AT_DOOR)}],
        now=SESSION_START + timedelta(days=3))
    assert answer["outcome"] == "held_for_review"
    assert attendances(db) == []


def test_within_the_grace_period_an_offline_check_in_is_recorded(db, app, staff, make_user, make_event):
    app.config["CHECKIN_SYNC_GRACE_MINUTES"] = 60
    event = make_event(capacity=3)
    on_time, late = seat(db, make_user(), event), seat(db, make_user(), event)
    session = event.sessions[0]
    [answer] = ledger.sync(staff, session, [
        {"ref": "1", "registration_id": on_time.id, "at": iso(AT_DOOR), "offline": True}],
        now=WINDOW_CLOSES + minutes(59))
    assert answer["outcome"] == "checked_in"
    [answer] = ledger.sync(staff, session, [
        {"ref": "2", "registration_id": late.id, "at": iso(AT_DOOR), "offline": True}],
        now=WINDOW_CLOSES + minutes(61))
    assert answer["outcome"] == "held_for_review"
    db.session.commit()
    [attendance] = attendances(db)
    assert (attendance.registration_id, attendance.checked_in_at, attendance.recorded_at) == (
        on_time.id, AT_DOOR, WINDOW_CLOSES + minutes(59))


def test_staff_accept_a_held_check_in_at_the_device_time(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    later = SESSION_START + timedelta(weeks=5)
    ledger.sync(staff, event.sessions[0], [
        {"ref": "old", "registration_id": registration.id, "at": iso(AT_DOOR), "offline": True}], now=later)
    db.session.commit()
    [scan] = ledger.pending_reviews(event)
    result = ledger.review_held_scan(staff, scan, accept=True, now=later + minutes(5))
    db.session.commit()
    assert result.outcome == "checked_in"
    [attendance] = attendances(db)
    assert (attendance.checked_in_at, attendance.method) == (AT_DOOR, "sync")
    assert (scan.review, scan.reviewed_by_id) == ("accepted", staff.id)
    assert ledger.pending_reviews(event) == []
    with pytest.raises(DomainError) as err:
        ledger.review_held_scan(staff, scan, accept=False)
    assert err.value.code == "already_reviewed"


def test_staff_reject_a_held_check_in_and_door_staff_cannot_review(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    door = door_staff_for(db, make_user, staff, event)
    ledger.sync(door, event.sessions[0], [
        {"ref": "old", "registration_id": registration.id, "at": iso(AT_DOOR), "offline": True}],
        now=SESSION_START + timedelta(weeks=5))
    db.session.commit()
    [scan] = ledger.pending_reviews(event)
    with pytest.raises(PermissionDenied):
        ledger.review_held_scan(door, scan, accept=True)
    ledger.review_held_scan(staff, scan, accept=False)
    db.session.commit()
    assert scan.review == "rejected"
    assert attendances(db) == []
    assert ledger.pending_reviews(event) == []


def test_a_late_offline_time_does_not_move_an_existing_check_in(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    checkin.check_in(staff, event.sessions[0], registration, method="scan", now=AT_DOOR)
    db.session.commit()
    [answer] = ledger.sync(staff, event.sessions[0], [
        {"ref": "x", "registration_id": registration.id, "at": iso(SESSION_START - timedelta(days=30)),
         "offline": True}], now=AT_DOOR + minutes(5))
    db.session.commit()
    assert answer["outcome"] == "already_checked_in"
    assert attendances(db)[0].checked_in_at == AT_DOOR


# --- one service behind every entry point ------------------------------------------------------

def test_every_entry_point_writes_the_same_ledger(db, app, staff, make_user, make_event):
    from miado_events.checkin.walkins import walk_in

    event = make_event(capacity=6)
    session = event.sessions[0]
    by_scan, by_code, by_id, by_self, by_cli = (seat(db, make_user(), event) for _ in range(5))
    checkin.check_in_scanned(staff, session, tickets.ticket_url(by_scan), now=AT_DOOR)
    checkin.check_in_scanned(staff, session, by_code.ticket_code, method="manual", now=AT_DOOR)
    checkin.check_in_registration_id(staff, session, str(by_id.id), now=AT_DOOR)
    self_checkin.self_check_in(by_self.user, session, self_checkin.self_checkin_code(session, AT_DOOR), now=AT_DOOR)
    walk_in(staff, session, name="Wim Walk-in", email="wim@example.org", now=AT_DOOR)
    db.session.commit()
    assert [s.method for s in scans(db)] == ["scan", "manual", "manual", "self", "walk_in"]
    assert {s.result for s in scans(db)} == {"checked_in"}
    # The CLI too (at the real time: let in or refused, it is recorded all the same).
    result = app.test_cli_runner().invoke(args=[
        "checkin", "scan", str(session.id), tickets.ticket_url(by_cli), "--as", staff.email])
    assert result.exit_code in (0, 1), result.output
    [cli] = [s for s in scans(db) if s.method == "cli"]
    assert (cli.registration_id, cli.kind) == (by_cli.id, "check_in")
