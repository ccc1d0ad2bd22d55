"""A "Decline" in the member's calendar app frees the seat, end to end: the
member registers in the browser for a seminar with one seat while a colleague
waits; the invitation from her confirmation mail (SMTP) is answered with a
DECLINE in the format of Outlook, Gmail, Apple Calendar or Thunderbird,
delivered to a real IMAP mailbox (Dovecot, by APPEND); ``flask mail receive``
runs; her registration is cancelled (she is told, with METHOD:CANCEL), the
colleague gets the seat and is mailed, the reply leaves the inbox, and staff
see the freed seat on the dashboard. A second run changes nothing.
"""
from __future__ import annotations

import pytest

from ..dovecot import dovecot  # noqa: F401  (the fixture)
from ..fixtures.calendar_replies import CLIENTS, reply
from .test_event_registration import (FIRST, SECOND, SEMINAR_TITLE, STAFF, events_world,  # noqa: F401
                                      mails_to, promoted_subject, register_form, translated, wait_for_subject)
from .test_org_registry import log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None


def _invite(msg):
    import icalendar

    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    assert str(calendar["method"]) == "REQUEST"
    vevent = next(iter(calendar.walk("VEVENT")))
    return str(vevent["uid"]), int(vevent.get("sequence", 0)), str(vevent["organizer"]).removeprefix("mailto:")


def _ngettext(live_server, singular: str, plural: str, num: int, locale: str = "de") -> str:
    from flask_babel import force_locale, ngettext

    with live_server.app.test_request_context(), force_locale(locale):
        return ngettext(singular, plural, num)


def _status(live_server, email: str, event_id: int) -> str:
    from miado_events.extensions import db
    from miado_events.models.accounts import User
    from miado_events.models.events import Registration

    with live_server.app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        status = db.session.scalar(db.select(Registration.status).where(
            Registration.user_id == user.id, Registration.event_id == event_id)
            .order_by(Registration.id.desc()))
        db.session.remove()
        return status


@pytest.mark.parametrize("client", CLIENTS)
def test_a_decline_in_the_calendar_frees_the_seat(client, page, live_server, smtp_sink, dovecot,  # noqa: F811
                                                  events_world):  # noqa: F811
    world = events_world
    app = live_server.app
    app.config.update(dovecot.config())
    seminar_url = f"{live_server.url}/events/{world['seminar']}"

    # The member takes the one seat in the browser; her colleague waits.
    log_in(page, live_server, FIRST["email"], FIRST["password"])
    page.goto(seminar_url)
    register_form(page, world).locator("button[type=submit]").click()
    expect(page.locator(".flash.flash-success")).to_be_visible()
    with app.app_context():
        from miado_events.events import registration as reg
        from miado_events.extensions import db
        from miado_events.models.accounts import User
        from miado_events.models.events import Slot

        second = db.session.scalar(db.select(User).where(User.email == SECOND["email"]))
        slot = db.session.get(Slot, world["slot"])
        outcome = reg.register_participant(second, second, slot, reg.default_organisation(second))
        db.session.commit()
        assert outcome.waitlist_reason == "event_full"
        db.session.remove()
    uid, sequence, organizer = _invite(smtp_sink.wait_for(FIRST["email"]))

    # She declines in her calendar app: the reply reaches the office's mailbox.
    dovecot.append(reply(client, uid=uid, attendee=FIRST["email"], sequence=sequence, organizer=organizer,
                         title=SEMINAR_TITLE))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "receive"])
    assert result.exit_code == 0, result.output
    assert "cancelled 1" in result.output

    assert _status(live_server, FIRST["email"], world["seminar"]) == "cancelled"
    assert _status(live_server, SECOND["email"], world["seminar"]) == "confirmed"
    wait_for_subject(smtp_sink, SECOND["email"], promoted_subject(live_server))
    cancelled = wait_for_subject(smtp_sink, FIRST["email"], translated(
        live_server, "Registration cancelled: %(title)s", title=SEMINAR_TITLE))
    assert translated(live_server, "We did this because you declined the invitation in your calendar. "
                      "If that was a mistake, you can register again on the event page while seats are "
                      "free:") in " ".join(cancelled.get_body(("plain",)).get_content().split())
    cancel_part = next(p for p in cancelled.walk() if p.get_content_type() == "text/calendar")
    assert b"METHOD:CANCEL" in cancel_part.get_payload(decode=True) and uid.encode() in \
        cancel_part.get_payload(decode=True)
    assert dovecot.messages("INBOX") == []
    assert len(dovecot.messages("Processed")) == 1

    # Her page offers registering again (the seat went on; the waiting list is open).
    page.goto(seminar_url)
    expect(register_form(page, world)).to_have_count(1)

    # A second run changes nothing more.
    sent = len(smtp_sink.messages)
    again = runner.invoke(args=["mail", "receive"])
    assert again.exit_code == 0, again.output
    assert "cancelled 0, recorded 0, left for the office 0" in again.output
    assert _status(live_server, SECOND["email"], world["seminar"]) == "confirmed"
    assert len(smtp_sink.messages) == sent
    subject = promoted_subject(live_server)
    assert [" ".join(str(m["Subject"]).split()) for m in mails_to(smtp_sink, SECOND["email"])].count(subject) == 1

    # Staff see the freed seat on the dashboard.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login")
    page.locator('main input[name="email"]').fill(STAFF["email"])
    page.locator('main input[name="password"]').fill(STAFF["password"])
    page.locator("main form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/staff/")  # staff land on the dashboard
    expect(page.locator("main")).to_contain_text(_ngettext(
        live_server, "%(num)d seat freed by a decline in a calendar app in the last 30 days.",
        "%(num)d seats freed by declines in calendar apps in the last 30 days.", 1))
