"""Calendar replies: parsing the four clients' replies, matching them to a
registration, acting once, and refusing what is hostile or stale."""
from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from miado_events.calendar import ical
from miado_events.calendar import replies
from miado_events.extensions import db as _db
from miado_events.models.replies import CalendarReply, RegistrationAnswer

from ..fixtures.calendar_replies import CLIENTS, reply
from .events_support import NOW, assert_seat_counters_match, body, register, slot_of, status_of

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def full_session(db, make_user, make_event):
    """A seminar with one seat: ``member`` has it, ``waiting`` is first on the list."""
    event = make_event(capacity=1)
    member = make_user(email="ayse@example.org", name="Ayşe")
    waiting = make_user(email="waiting@example.org")
    taken = register(db, member, slot_of(event)).registration
    queued = register(db, waiting, slot_of(event)).registration
    assert taken.is_confirmed and queued.is_waitlisted
    return event, member, taken, waiting, queued


def _uid(event, index=0):
    return ical.session_uid(event.sessions[index])


def _process(raw, now=LATER):
    result = replies.process_message(raw, now=now)
    _db.session.commit()
    return result


# --- parsing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_each_clients_reply_is_read(client):
    raw = reply(client, uid="session-7@localhost", attendee="Ayse@Example.org", sequence=2)
    parsed = replies.parse_message(raw)
    assert parsed.problem is None
    assert [(i.uid, i.attendee, i.partstat, i.sequence) for i in parsed.items] == [
        ("session-7@localhost", "ayse@example.org", "DECLINED", 2)]


def test_samples_carry_the_calendar_encoded_as_the_clients_send_it():
    assert b"BEGIN:VCALENDAR" not in reply("outlook", uid="u", attendee="a@example.org")  # base64
    apple = reply("apple", uid="u", attendee="a@example.org")
    assert b"quoted-printable" in apple and b"=C5=9F" in apple  # the ş of the CN, encoded
    thunderbird = reply("thunderbird", uid="u", attendee="a@example.org")
    assert b"method=" not in thunderbird.lower().split(b"begin:vcalendar")[0]


def test_method_only_in_the_mime_parameters_is_enough():
    raw = reply("gmail", uid="session-7@localhost", attendee="a@example.org")
    raw = raw.replace(b"METHOD:REPLY\r\n", b"")  # the 7bit part keeps method=REPLY in its header
    parsed = replies.parse_message(raw)
    assert [i.partstat for i in parsed.items] == ["DECLINED"]


def test_a_message_without_calendar_part_is_unusable():
    raw = b"From: a@example.org\r\nSubject: Thanks\r\nMessage-ID: <x@y>\r\n\r\nSee you there!\r\n"
    assert replies.parse_message(raw).problem.value == "no_calendar"


def test_a_forwarded_invitation_is_not_a_reply():
    raw = reply("apple", uid="session-7@localhost", attendee="a@example.org").replace(
        b"METHOD:REPLY", b"METHOD:REQUEST").replace(b"method=REPLY", b"method=REQUEST")
    assert replies.parse_message(raw).problem.value == "not_a_reply"


def test_a_malformed_vcalendar_is_unusable():
    raw = (b"From: a@example.org\r\nMessage-ID: <m@y>\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
           b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID;;;\r\n")
    assert replies.parse_message(raw).problem.value == "malformed"


def test_garbage_bytes_never_raise():
    assert replies.parse_message(b"\x00\xff" * 100).problem is not None


def test_a_huge_attachment_is_not_parsed():
    huge = base64.encodebytes(b"BEGIN:VCALENDAR\r\n" + b"X" * (replies.MAX_CALENDAR_BYTES + 10))
    raw = (b"From: a@example.org\r\nMessage-ID: <h@y>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: application/ics; name=invite.ics\r\nContent-Transfer-Encoding: base64\r\n\r\n" + huge)
    assert replies.parse_message(raw).problem.value == "too_large"


def test_a_reply_naming_two_attendees_is_refused():
    raw = reply("thunderbird", uid="session-7@localhost", attendee="a@example.org")
    raw = raw.replace(b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: 8bit")
    cal = ("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:session-7@localhost\r\n"
           "DTSTAMP:20270301T100000Z\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@example.org\r\n"
           "ATTENDEE;PARTSTAT=DECLINED:mailto:b@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    raw = (b"From: a@example.org\r\nMessage-ID: <two@y>\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
           + cal)
    assert replies.parse_message(raw).problem.value == "not_one_attendee"


# --- acting ------------------------------------------------------------------------------------

@pytest.mark.parametrize("client", CLIENTS)
def test_a_decline_cancels_and_gives_the_seat_to_the_waiting_list(db, outbox, full_session, client):
    event, member, taken, waiting, queued = full_session
    outbox.clear()
    result = _process(reply(client, uid=_uid(event), attendee=member.email.upper(), dtstamp=LATER))
    assert (result.outcome, result.freed_seat) == ("cancelled", True)
    assert status_of(db, taken) == "cancelled"
    assert status_of(db, queued) == "confirmed"
    assert_seat_counters_match(db)
    mails = {str(m["To"]): m for m in outbox}
    cancel = mails[member.email]
    assert "declined the invitation in your calendar" in body(cancel)
    calendar = [p for p in cancel.walk() if p.get_content_type() == "text/calendar"][0]
    assert b"METHOD:CANCEL" in calendar.get_payload(decode=True)
    assert waiting.email in mails  # the next person is told at once


def test_a_cancellation_on_the_site_does_not_speak_of_the_calendar(db, outbox, full_session):
    from miado_events.events import registration as reg

    event, member, taken, *_ = full_session
    outbox.clear()
    reg.cancel_registration(member, taken, now=NOW)
    db.session.commit()
    cancel = next(m for m in outbox if str(m["To"]) == member.email)
    assert "calendar" not in body(cancel)


def test_the_same_message_twice_changes_nothing_more(db, outbox, full_session):
    event, member, taken, waiting, queued = full_session
    raw = reply("outlook", uid=_uid(event), attendee=member.email, dtstamp=LATER)
    _process(raw)
    outbox.clear()
    with pytest.raises(replies.AlreadyProcessed):
        replies.process_message(raw, now=LATER)
    db.session.rollback()
    assert outbox == []
    assert db.session.scalar(select(func.count(CalendarReply.id))) == 1


def test_a_reply_from_another_address_of_the_same_person_counts(db, full_session):
    event, member, taken, *_ = full_session
    result = _process(reply("apple", uid=_uid(event), attendee=member.email, sender="ayse.private@icloud.example",
                            dtstamp=LATER))
    assert result.outcome == "cancelled"
    assert status_of(db, taken) == "cancelled"


@pytest.mark.parametrize("answer", ["ACCEPTED", "TENTATIVE"])
def test_accept_and_tentative_are_recorded_for_staff(db, full_session, answer):
    event, member, taken, *_ = full_session
    result = _process(reply("gmail", uid=_uid(event), attendee=member.email, partstat=answer, dtstamp=LATER))
    assert result.outcome == "recorded"
    assert status_of(db, taken) == "confirmed"
    recorded = db.session.get(RegistrationAnswer, (taken.id, event.sessions[0].id))
    assert recorded.answer == answer.lower()


def test_a_decline_from_the_waiting_list_is_only_recorded(db, full_session):
    event, member, taken, waiting, queued = full_session
    result = _process(reply("thunderbird", uid=_uid(event), attendee=waiting.email, dtstamp=LATER))
    assert result.outcome == "recorded"
    assert status_of(db, queued) == "waitlisted"
    assert status_of(db, taken) == "confirmed"


def test_an_attendee_who_is_not_registered_changes_nothing(db, full_session, make_user):
    event, member, taken, *_ = full_session
    stranger = make_user(email="stranger@example.org")
    result = _process(reply("outlook", uid=_uid(event), attendee=stranger.email, dtstamp=LATER))
    assert (result.outcome, result.problem) == ("unusable", "not_registered")
    assert status_of(db, taken) == "confirmed"


def test_another_person_cannot_decline_for_a_registered_member(db, full_session, make_user):
    event, member, taken, *_ = full_session
    other = make_user(email="other@example.org")
    result = _process(reply("gmail", uid=_uid(event), attendee=member.email, sender=other.email, dtstamp=LATER))
    assert (result.outcome, result.problem) == ("unusable", "someone_else")
    assert status_of(db, taken) == "confirmed"


def test_an_old_sequence_changes_nothing(db, full_session):
    event, member, taken, *_ = full_session
    event.sessions[0].sequence = 3
    db.session.commit()
    result = _process(reply("outlook", uid=_uid(event), attendee=member.email, sequence=2, dtstamp=LATER))
    assert (result.outcome, result.problem) == ("unusable", "old_sequence")
    assert status_of(db, taken) == "confirmed"


def test_a_reply_older_than_the_registration_changes_nothing(db, full_session):
    event, member, taken, *_ = full_session
    result = _process(reply("outlook", uid=_uid(event), attendee=member.email,
                            dtstamp=taken.created_at - timedelta(days=2)))
    assert (result.outcome, result.problem) == ("unusable", "stale")


def test_unknown_uid_is_listed(db, full_session):
    event, member, *_ = full_session
    result = _process(reply("outlook", uid="session-99999@localhost", attendee=member.email, dtstamp=LATER))
    assert (result.outcome, result.problem) == ("unusable", "unknown_uid")
    result = _process(reply("outlook", uid=f"session-{event.sessions[0].id}@evil.example",
                            attendee=member.email, dtstamp=LATER))
    assert result.problem == "unknown_uid"


def test_a_reply_after_the_session_changes_nothing(db, full_session):
    event, member, taken, *_ = full_session
    after = event.sessions[0].ends_at + timedelta(hours=1)
    result = _process(reply("apple", uid=_uid(event), attendee=member.email, dtstamp=after), now=after)
    assert (result.outcome, result.problem) == ("unusable", "session_over")
    assert status_of(db, taken) == "confirmed"


def test_a_reply_for_a_cancelled_registration_is_listed(db, full_session):
    from miado_events.events import registration as reg

    event, member, taken, *_ = full_session
    reg.cancel_registration(member, taken, now=NOW)
    db.session.commit()
    result = _process(reply("gmail", uid=_uid(event), attendee=member.email, dtstamp=LATER))
    assert (result.outcome, result.problem) == ("unusable", "registration_cancelled")


def test_a_decline_after_the_deadline_cancels_and_counts_as_late(db, full_session):
    event, member, taken, *_ = full_session
    late = event.sessions[0].starts_at - timedelta(hours=1)
    result = _process(reply("outlook", uid=_uid(event), attendee=member.email, dtstamp=late), now=late)
    assert result.outcome == "cancelled"
    assert status_of(db, taken) == "cancelled" and taken.cancelled_late is True


def test_a_decline_once_the_session_has_started_is_left_for_the_office(db, full_session):
    event, member, taken, *_ = full_session
    started = event.sessions[0].starts_at + timedelta(minutes=10)
    result = _process(reply("outlook", uid=_uid(event), attendee=member.email, dtstamp=started), now=started)
    assert (result.outcome, result.problem) == ("unusable", "deadline_passed")
    assert status_of(db, taken) == "confirmed"


def test_with_an_authserv_id_only_authenticated_replies_count(app, db, full_session):
    event, member, taken, *_ = full_session
    app.config["INBOUND_AUTHSERV_ID"] = "mx.stadtdo.example"
    forged = reply("gmail", uid=_uid(event), attendee=member.email, dtstamp=LATER)
    # A header the sender wrote itself, naming another server, counts for nothing.
    forged = b"Authentication-Results: mx.evil.example; dkim=pass\r\n" + forged
    result = _process(forged)
    assert (result.outcome, result.problem) == ("unusable", "not_authenticated")
    good = b"Authentication-Results: mx.stadtdo.example;\r\n dkim=pass header.d=example.org\r\n" + reply(
        "gmail", uid=_uid(event), attendee=member.email, dtstamp=LATER)
    assert _process(good).outcome == "cancelled"


def test_a_decline_of_one_date_of_a_series_is_recorded_not_cancelled(db, make_user, make_event):
    event = make_event(kind="series", sessions=3, capacity=5)
    member = make_user()
    taken = register(db, member, slot_of(event)).registration
    result = _process(reply("outlook", uid=_uid(event, 1), attendee=member.email, dtstamp=LATER))
    assert result.outcome == "recorded"
    assert status_of(db, taken) == "confirmed"


# --- exactly once, two receivers at the same moment ---------------------------------------------

def test_two_receivers_with_the_same_message_act_once(app, db, full_session, outbox):
    event, member, taken, waiting, queued = full_session
    raw = reply("outlook", uid=_uid(event), attendee=member.email, dtstamp=LATER)
    outbox.clear()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def receiver():
        with app.app_context():
            parsed = replies.parse_message(raw)
            barrier.wait()
            try:
                replies.process_message(raw, parsed=parsed, now=LATER)
                _db.session.commit()
                results.append("done")
            except replies.AlreadyProcessed:
                _db.session.rollback()
                results.append("seen")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=receiver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["done", "seen"]
    db.session.expire_all()
    assert status_of(db, queued) == "confirmed"
    assert db.session.scalar(select(func.count(CalendarReply.id))) == 1
    assert sum(1 for m in outbox if str(m["To"]) == member.email) == 1
    assert_seat_counters_match(db)


def test_only_staff_mark_an_unusable_reply_done_and_only_once(db, full_session, staff):
    from miado_events.errors import DomainError

    event, member, *_ = full_session
    unusable = _process(reply("outlook", uid="session-99999@localhost", attendee=member.email, dtstamp=LATER))
    with pytest.raises(DomainError) as exc:
        replies.mark_handled(member, unusable)
    assert exc.value.code == "forbidden"
    replies.mark_handled(staff, unusable, now=LATER)
    db.session.commit()
    assert db.session.scalars(replies.unusable_replies_query()).all() == []
    with pytest.raises(DomainError) as exc:
        replies.mark_handled(staff, unusable)
    assert exc.value.code == "already_handled"
    used = _process(reply("gmail", uid=_uid(event), attendee=member.email, partstat="ACCEPTED", dtstamp=LATER))
    with pytest.raises(DomainError) as exc:
        replies.mark_handled(staff, used)
    assert exc.value.code == "not_for_the_office"


def test_used_replies_keep_no_addresses_and_old_records_can_be_purged(db, full_session):
    event, member, *_ = full_session
    used = _process(reply("apple", uid=_uid(event), attendee=member.email, sender="ayse.private@icloud.example",
                          partstat="ACCEPTED", dtstamp=LATER))
    assert (used.from_address, used.attendee, used.subject) == (None, None, None)
    unusable = _process(reply("apple", uid="session-99999@localhost", attendee=member.email, dtstamp=LATER))
    assert unusable.from_address == member.email  # the office needs to know who wrote
    assert replies.purge_replies(LATER + timedelta(days=1)) == 2
    db.session.commit()
    assert db.session.scalar(select(func.count(CalendarReply.id))) == 0
