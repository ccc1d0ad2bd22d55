"""Reminders before a session: confirmed people only, within the lead time,
each person once per session however often the command runs."""
from __future__ import annotations

from datetime import timedelta

from miado_events.events import registration as reg
from miado_events.events.reminders import send_reminders

from .events_support import NOW, SESSION_START, register, slot_of

BEFORE = SESSION_START - timedelta(hours=20)   # within the default 24 h lead time


def _reminders(outbox):
    return [m for m in outbox if m["Subject"].startswith(("Reminder", "Erinnerung"))]


def test_confirmed_people_are_reminded_once(db, outbox, make_event, make_user):
    event = make_event(capacity=1)
    seated, waiting = make_user(), make_user()
    register(db, seated, slot_of(event))
    register(db, waiting, slot_of(event))
    outbox.clear()
    assert send_reminders(now=BEFORE) == 1
    db.session.commit()
    assert [m["To"] for m in _reminders(outbox)] == [seated.email]
    assert send_reminders(now=BEFORE + timedelta(hours=1)) == 0
    db.session.commit()
    assert len(_reminders(outbox)) == 1


def test_nothing_before_the_lead_time_or_after_the_start(db, outbox, make_event, make_user):
    event = make_event()
    register(db, make_user(), slot_of(event))
    assert send_reminders(now=NOW) == 0                              # nine days before
    assert send_reminders(now=SESSION_START + timedelta(minutes=1)) == 0


def test_each_session_of_a_series_gets_its_own_reminder(db, outbox, make_event, make_user):
    event = make_event(kind="series", sessions=2)
    person = make_user()
    register(db, person, event.slots[0])
    assert send_reminders(now=BEFORE) == 1
    assert send_reminders(now=BEFORE + timedelta(days=7)) == 1
    db.session.commit()


def test_cancelled_registrations_get_no_reminder(db, outbox, make_event, make_user):
    event = make_event()
    person = make_user()
    outcome = register(db, person, slot_of(event))
    reg.cancel_registration(person, outcome.registration, now=NOW)
    db.session.commit()
    assert send_reminders(now=BEFORE) == 0


def test_cli_command_queues_and_reports(app, db):
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "0 reminders queued" in result.output
