"""Content travels in the reader's language (issue #19 point 3), in a real
browser with CSRF on and the mail going through SMTP: a member whose
language is Turkish registers for a seminar that has a Turkish title; the
confirmation mail and its invite (parsed with icalendar and vobject) carry
the Turkish title with LANGUAGE=tr, and so does their personal calendar feed.
A member whose language is Arabic, for which the seminar has no text, gets
the German title marked lang="de" dir="ltr" inside the right-to-left mail
and LANGUAGE=de in the invite.

(The pages themselves, with staff adding the translation, are H8's
tests/e2e/test_content_language.py.) Selectors use names and URLs only.
"""
from __future__ import annotations

from datetime import date, time, timedelta

import icalendar
import pytest
import vobject

from .test_org_registry import assert_pages_had_csp, log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI)
    expect = None

DE_TITLE = "Seminar Vereinsfinanzen"
TR_TITLE = "Dernek Finansmanı Semineri"
TR_ABOUT = "Bağış toplama, üyelik aidatları ve hibeler üzerine bir akşam."
TURKISH = {"email": "hatice@example.org", "name": "Hatice Yıldız", "password": "turkish-member-passphrase"}
ARABIC = {"email": "omar@example.org", "name": "Omar Haddad", "password": "arabic-member-passphrase"}
STAFF = {"email": "office@example.org", "name": "Olga Office", "password": "office-passphrase"}


@pytest.fixture
def seminar(live_server, make_live_user) -> dict:
    """A published seminar written in German with a Turkish title and description
    (no Arabic), and an MSO both members belong to."""
    from miado_events.events import services
    from miado_events.events.services import EventData, SessionData, VenueData
    from miado_events.extensions import db
    from miado_events.models.accounts import Role, User
    from miado_events.models.events import Slot
    from miado_events.models.orgs import Membership, Organisation
    from miado_events.models.translated import set_translation

    make_live_user(TURKISH["email"], TURKISH["name"], TURKISH["password"], locale="tr")
    make_live_user(ARABIC["email"], ARABIC["name"], ARABIC["password"], locale="ar")
    make_live_user(STAFF["email"], STAFF["name"], STAFF["password"])
    with live_server.app.app_context():
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        staff = users[STAFF["email"]]
        staff.role = Role.STAFF.value
        org = Organisation(name="Kulturbrücke Dortmund e.V.", legal_form="ev", status="listed")
        db.session.add(org)
        for person in (TURKISH, ARABIC):
            db.session.add(Membership(organisation=org, user=users[person["email"]], role="member",
                                      status="active"))
        venue = services.save_venue(staff, VenueData(name="Dietrich-Keuning-Haus",
                                                     address="Leopoldstraße 50–58, 44147 Dortmund"))
        event = services.create_event(staff, EventData(
            kind="seminar", title=DE_TITLE, capacity=5, languages=["de", "tr"],
            description="Ein Abend über Spenden, Mitgliedsbeiträge und Fördermittel."))
        set_translation(event, "tr", "title", TR_TITLE)
        set_translation(event, "tr", "description", TR_ABOUT)
        services.add_session(staff, event, SessionData(day=date.today() + timedelta(days=14), start=time(18),
                                                       end=time(20), venue_id=venue.id))
        services.publish_event(staff, event)
        db.session.commit()
        slot = db.session.scalar(db.select(Slot).where(Slot.event_id == event.id))
        world = {"event": event.id, "slot": slot.id}
        db.session.remove()
    return world


def register(page, live_server, seminar) -> None:
    page.goto(f"{live_server.url}/events/{seminar['event']}")
    form = page.locator(f'main form[action="/events/{seminar["event"]}/slots/{seminar["slot"]}/register"]')
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.flash-success")).to_be_visible()
    expect(page.locator(".flash.flash-error")).to_have_count(0)


def invite_of(msg) -> str:
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0].get_content()


def test_a_turkish_member_gets_mail_invite_and_feed_in_turkish(page, live_server, smtp_sink, traffic,
                                                               seminar):
    log_in(page, live_server, TURKISH["email"], TURKISH["password"])
    register(page, live_server, seminar)

    mail = smtp_sink.wait_for(TURKISH["email"])
    assert TR_TITLE in str(mail["Subject"]) and DE_TITLE not in str(mail["Subject"])
    assert TR_TITLE in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="tr"' in html and f"<bdi>{TR_TITLE}</bdi>" in html
    text = invite_of(mail)
    [vevent] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == TR_TITLE and vevent["SUMMARY"].params["LANGUAGE"] == "tr"
    assert str(vevent["DESCRIPTION"]).startswith(TR_ABOUT) and vevent["DESCRIPTION"].params["LANGUAGE"] == "tr"
    assert vevent["LOCATION"].params["LANGUAGE"] == "de"  # the place's name and address: German
    assert vobject.readOne(text).vevent.summary.value == TR_TITLE

    # Their personal feed, fetched as a calendar app does (no cookie, no language): Turkish too.
    page.goto(f"{live_server.url}/my/calendar")
    feed_url = page.locator("main input#feed-url").input_value()
    assert feed_url.startswith(live_server.url + "/feeds/me/")
    feed = page.context.request.get(feed_url, headers={"Accept-Language": "de"})
    assert feed.status == 200
    feed_text = feed.text()
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in feed_text
    [feed_event] = icalendar.Calendar.from_ical(feed_text).walk("VEVENT")
    assert str(feed_event["SUMMARY"]) == TR_TITLE
    assert_pages_had_csp(traffic, live_server)


def test_an_arabic_member_without_arabic_text_gets_german_marked_as_german(page, live_server, smtp_sink,
                                                                           seminar):
    log_in(page, live_server, ARABIC["email"], ARABIC["password"])
    register(page, live_server, seminar)

    mail = smtp_sink.wait_for(ARABIC["email"])
    assert DE_TITLE in str(mail["Subject"])
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl"' in html
    assert f'lang="de" dir="ltr">{DE_TITLE}<' in html
    [vevent] = icalendar.Calendar.from_ical(invite_of(mail)).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == DE_TITLE and vevent["SUMMARY"].params["LANGUAGE"] == "de"
