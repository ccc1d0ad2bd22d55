"""The receiver against a real IMAP server (a private Dovecot): replies are
fetched, acted on once, moved to Processed; what the app cannot use stays in
the inbox, flagged, and is listed for staff. Nothing is ever deleted."""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from miado_events.calendar import ical, inbound, replies
from miado_events.events import queries
from miado_events.events import registration as reg
from miado_events.events import services
from miado_events.events.services import EventData, SessionData
from miado_events.models.accounts import Role
from miado_events.models.replies import CalendarReply

from ..dovecot import dovecot  # noqa: F401  (the fixture)
from ..fixtures.calendar_replies import reply

DAY = date(2027, 3, 10)


def full_seminar(db, make_user):
    staff = make_user(Role.STAFF)
    event = services.create_event(staff, EventData(kind="seminar", title="Fördermittel kompakt", capacity=1))
    services.add_session(staff, event, SessionData(day=DAY, start=time(18), end=time(20),
                                                   online_url="https://meet.example.org/x"))
    services.publish_event(staff, event)
    db.session.commit()
    member, waiting = make_user(email="ayse@example.org"), make_user(email="waiting@example.org")
    slot = queries.slot_for(event.sessions[0])
    taken = reg.register_participant(member, member, slot).registration
    queued = reg.register_participant(waiting, waiting, slot).registration
    db.session.commit()
    return event, member, taken, waiting, queued, staff


def _status(db, registration):
    db.session.expire_all()
    return db.session.get(type(registration), registration.id).status


def test_a_decline_is_acted_on_and_moved_mail_for_people_stays_unread(app, db, make_user, outbox, dovecot):  # noqa: F811
    app.config.update(dovecot.config())
    event, member, taken, waiting, queued, _staff = full_seminar(db, make_user)
    uid = ical.session_uid(event.sessions[0])
    dovecot.append(reply("outlook", uid=uid, attendee=member.email))
    dovecot.append(b"From: someone@example.org\r\nSubject: Danke!\r\nMessage-ID: <thanks@example.org>\r\n\r\n"
                   b"Bis bald.\r\n")
    outbox.clear()

    counts = inbound.receive()

    assert (counts.cancelled, counts.unusable, counts.for_people, counts.errors) == (1, 0, 1, [])
    assert _status(db, taken) == "cancelled"
    assert _status(db, queued) == "confirmed"
    assert {str(m["To"]) for m in outbox} == {member.email, waiting.email}
    inbox = dovecot.messages("INBOX")
    assert len(inbox) == 1 and b"Danke" in inbox[0][1]
    # Mail written by a person (ORGANIZER and Reply-To are the office's mailbox)
    # stays for the office as it came: unread, unflagged, not stored by the app.
    assert b"$MiadoForPeople" in inbox[0][0]
    assert b"\\Flagged" not in inbox[0][0] and b"\\Seen" not in inbox[0][0]
    assert db.session.scalar(select(func.count()).select_from(CalendarReply)) == 1
    processed = dovecot.messages("Processed")
    assert len(processed) == 1 and b"Abgelehnt" in processed[0][1]

    outbox.clear()
    again = inbound.receive()
    assert (again.cancelled, again.recorded, again.unusable, again.already, again.for_people) == (0, 0, 0, 0, 0)
    assert outbox == []
    assert len(dovecot.messages("INBOX")) == 1 and len(dovecot.messages("Processed")) == 1


def test_a_receiver_that_died_after_its_commit_only_files_the_message(app, db, make_user, outbox,
                                                                       dovecot):  # noqa: F811
    app.config.update(dovecot.config())
    event, member, taken, *_ = full_seminar(db, make_user)
    raw = reply("gmail", uid=ical.session_uid(event.sessions[0]), attendee=member.email)
    dovecot.append(raw)
    replies.process_message(raw)  # the first receiver committed, then died before the MOVE
    db.session.commit()
    outbox.clear()

    counts = inbound.receive()

    assert counts.already == 1 and counts.cancelled == 0
    assert outbox == []
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages("Processed")) == 1
    assert db.session.scalar(select(func.count(CalendarReply.id))) == 1


def test_a_too_large_message_is_left_for_the_office_and_listed(app, db, make_user, client, login,
                                                                dovecot):  # noqa: F811
    app.config.update(dovecot.config(), INBOUND_MAX_MESSAGE_BYTES=2000)
    event, member, taken, _w, _q, staff = full_seminar(db, make_user)
    big = reply("thunderbird", uid=ical.session_uid(event.sessions[0]), attendee=member.email)
    big = big.replace(b"\r\n\r\nThis is a multi-part", b"\r\nX-Padding: " + b"x" * 3000
                      + b"\r\n\r\nThis is a multi-part")
    dovecot.append(big)

    counts = inbound.receive()

    assert counts.unusable == 1
    assert _status(db, taken) == "confirmed"
    assert b"$MiadoUnusable" in dovecot.messages("INBOX")[0][0]
    login(staff)
    page = client.get("/staff/calendar-replies").get_data(as_text=True)
    assert "The message is too large to be read." in page
    assert "Abgelehnt: Test seminar" in page
    assert "1 calendar reply needs the office" in client.get("/staff/").get_data(as_text=True)

    # Staff have looked at it: it leaves the list and the dashboard's count.
    listed = db.session.scalar(select(CalendarReply))
    response = client.post(f"/staff/calendar-replies/{listed.id}/handled")
    assert response.status_code == 302
    page = client.get("/staff/calendar-replies").get_data(as_text=True)
    assert "Abgelehnt: Test seminar" not in page and "No replies need the office." in page
    assert "0 calendar replies need the office" in client.get("/staff/").get_data(as_text=True)
    assert b"$MiadoUnusable" in dovecot.messages("INBOX")[0][0]  # still there for the office


def test_the_command_reads_the_mailbox(app, db, make_user, dovecot):  # noqa: F811
    app.config.update(dovecot.config())
    event, member, taken, *_ = full_seminar(db, make_user)
    dovecot.append(reply("apple", uid=ical.session_uid(event.sessions[0]), attendee=member.email,
                         partstat="ACCEPTED", sender="ayse.private@icloud.example"))
    result = app.test_cli_runner().invoke(args=["mail", "receive"])
    assert result.exit_code == 0, result.output
    assert "recorded 1" in result.output
    assert _status(db, taken) == "confirmed"
    assert len(dovecot.messages("Processed")) == 1


def test_the_command_without_a_mailbox_says_so(app):
    app.config["INBOUND_IMAP_HOST"] = ""
    result = app.test_cli_runner().invoke(args=["mail", "receive"])
    assert result.exit_code != 0
    assert "INBOUND_IMAP_HOST" in result.output


def test_staff_see_each_calendar_answer_and_the_seats_declines_freed(app, db, make_user, client, login):
    event, member, taken, waiting, queued, staff = full_seminar(db, make_user)
    uid = ical.session_uid(event.sessions[0])
    replies.process_message(reply("apple", uid=uid, attendee=waiting.email, partstat="TENTATIVE"))
    db.session.commit()
    login(staff)
    page = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    assert "Calendar answer" in page and "Tentative" in page and "no answer" in page
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "0 seats freed by declines in calendar apps in the last 30 days." in dashboard

    replies.process_message(reply("outlook", uid=uid, attendee=member.email))
    db.session.commit()
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert "1 seat freed by a decline in a calendar app in the last 30 days." in dashboard
    page = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    assert "Tentative" in page  # the colleague, now with the seat


def test_a_wrong_password_is_an_error_and_changes_nothing(app, db, make_user, dovecot):  # noqa: F811
    app.config.update(dovecot.config(), INBOUND_IMAP_PASSWORD="wrong")
    event, member, taken, *_ = full_seminar(db, make_user)
    dovecot.append(reply("outlook", uid=ical.session_uid(event.sessions[0]), attendee=member.email))
    result = app.test_cli_runner().invoke(args=["mail", "receive"])
    assert result.exit_code != 0
    assert _status(db, taken) == "confirmed"
    assert len(dovecot.messages("INBOX")) == 1
