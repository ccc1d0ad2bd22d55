"""Event content in the reader's language wherever it travels (issue #19
point 3): the mails (rendered in the recipient's language), their calendar
invites (SUMMARY/DESCRIPTION/LOCATION with the LANGUAGE parameter naming the
language the text is really in), the personal feed (its owner's language),
public feeds and downloads (``?lang=``, one copy and one ETag per language),
and the PDFs (ticket and certificate in the person's language, the MSO list
in the requested one). Invites and feeds are read back with icalendar and
vobject; PDFs with pypdf."""
from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import icalendar
import vobject
from pypdf import PdfReader

from miado_events.calendar import feeds, ical
from miado_events.checkin import certificates
from miado_events.checkin import services as checkin
from miado_events.checkin.ticket_pdf import ticket_pdf
from miado_events.meetings import agenda
from miado_events.meetings.agenda import ItemData
from miado_events.models.accounts import Role
from miado_events.models.events import Venue
from miado_events.models.translated import set_translation

from .checkin_support import SESSION_END
from .events_support import NOW, SESSION_START, register, slot_of

TR_TITLE = "Dernek Finansmanı Semineri"
TR_ABOUT = "Bağış toplama ve muhasebe üzerine bir akşam."
AR_TITLE = "ندوة تمويل الجمعيات"
DE_TITLE = "Seminar Vereinsfinanzen"
DE_ABOUT = "Ein Abend über Spenden und Buchhaltung."


def translated_event(db, make_event, *, arabic: bool = False, **fields):
    """A seminar written in German with a Turkish title and description (and an Arabic title)."""
    event = make_event(**fields)
    event.title, event.description = DE_TITLE, DE_ABOUT
    set_translation(event, "tr", "title", TR_TITLE)
    set_translation(event, "tr", "description", TR_ABOUT)
    if arabic:
        set_translation(event, "ar", "title", AR_TITLE)
    db.session.commit()
    return event


def only_mail_to(outbox, user):
    mails = [m for m in outbox if m["To"] == user.email]
    assert len(mails) == 1, [m["Subject"] for m in mails]
    return mails[0]


def invite_text(msg) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    return part.get_content()


def vevents(text: str | bytes) -> list:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def language_of(vevent, name: str) -> str | None:
    return vevent[name].params.get("LANGUAGE")


def html_of(msg) -> str:
    return msg.get_body(("html",)).get_content()


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


# --- mails and their invites ----------------------------------------------------------------------

def test_a_turkish_members_confirmation_and_invite_carry_the_turkish_title(db, make_event, make_user,
                                                                            outbox):
    event = translated_event(db, make_event)
    member = make_user(locale="tr")
    outbox.clear()
    register(db, member, slot_of(event))

    mail = only_mail_to(outbox, member)
    assert TR_TITLE in mail["Subject"] and DE_TITLE not in mail["Subject"]
    assert TR_TITLE in mail.get_body(("plain",)).get_content()
    html = html_of(mail)
    assert f"<bdi>{TR_TITLE}</bdi>" in html  # in the mail's own language: no lang of its own
    assert 'lang="de"' not in html
    text = invite_text(mail)
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in text
    [vevent] = vevents(text)
    assert str(vevent["SUMMARY"]) == TR_TITLE and language_of(vevent, "SUMMARY") == "tr"
    assert str(vevent["DESCRIPTION"]).startswith(TR_ABOUT) and language_of(vevent, "DESCRIPTION") == "tr"
    # A second parser reads the same.
    assert vobject.readOne(text).vevent.summary.value == TR_TITLE


def test_a_reader_without_a_translation_gets_german_marked_as_german(db, make_event, make_user, outbox):
    event = translated_event(db, make_event)  # Turkish, but no Russian
    member = make_user(locale="ru")
    outbox.clear()
    register(db, member, slot_of(event))

    mail = only_mail_to(outbox, member)
    assert DE_TITLE in mail["Subject"]
    assert f'lang="de" dir="ltr">{DE_TITLE}<' in html_of(mail)
    [vevent] = vevents(invite_text(mail))
    assert str(vevent["SUMMARY"]) == DE_TITLE and language_of(vevent, "SUMMARY") == "de"
    assert str(vevent["DESCRIPTION"]).startswith(DE_ABOUT) and language_of(vevent, "DESCRIPTION") == "de"


def test_german_in_an_arabic_mail_reads_left_to_right(db, make_event, make_user, outbox):
    event = translated_event(db, make_event)
    member = make_user(locale="ar")
    outbox.clear()
    register(db, member, slot_of(event))

    html = html_of(only_mail_to(outbox, member))
    assert 'dir="rtl"' in html  # the mail itself
    assert f'lang="de" dir="ltr">{DE_TITLE}<' in html  # its German title isolated


def test_an_arabic_title_in_an_arabic_invite_and_the_place_says_german(db, make_event, make_user, outbox):
    event = translated_event(db, make_event, arabic=True)
    venue = Venue(name="Dietrich-Keuning-Haus", address="Leopoldstraße 50-58, 44147 Dortmund")
    db.session.add(venue)
    event.sessions[0].venue = venue
    db.session.commit()
    member = make_user(locale="ar")
    outbox.clear()
    register(db, member, slot_of(event))

    [vevent] = vevents(invite_text(only_mail_to(outbox, member)))
    assert str(vevent["SUMMARY"]) == AR_TITLE and language_of(vevent, "SUMMARY") == "ar"
    # No Arabic description: German, and said so.
    assert language_of(vevent, "DESCRIPTION") == "de"
    assert "Dietrich-Keuning-Haus" in str(vevent["LOCATION"]) and language_of(vevent, "LOCATION") == "de"


def test_the_agenda_in_an_invite_update_is_in_the_readers_language(db, staff, make_event, make_user,
                                                                   outbox):
    meeting = translated_event(db, make_event, kind="networking", capacity=10)
    member = make_user(locale="tr")
    register(db, member, slot_of(meeting))
    session = meeting.sessions[0]
    item = agenda.add_item(staff, session, ItemData(title="Masterplan Integration: Stand 2027",
                                                     kind="masterplan", minutes=20), now=NOW)
    set_translation(item, "tr", "title", "Entegrasyon Master Planı: 2027 durumu")
    outbox.clear()
    agenda.publish_agenda(staff, session, now=NOW)
    db.session.commit()

    mail = only_mail_to(outbox, member)
    assert "Entegrasyon Master Planı: 2027 durumu" in mail.get_body(("plain",)).get_content()
    [vevent] = vevents(invite_text(mail))
    description = str(vevent["DESCRIPTION"])
    assert "Entegrasyon Master Planı: 2027 durumu" in description and "Stand 2027" not in description


def test_a_cancellation_mail_and_its_cancel_speak_the_readers_language(db, make_event, make_user, outbox):
    from miado_events.events import registration as reg

    event = translated_event(db, make_event)
    member = make_user(locale="tr")
    registration = register(db, member, slot_of(event)).registration
    outbox.clear()
    reg.cancel_registration(member, registration, now=NOW)
    db.session.commit()

    mail = only_mail_to(outbox, member)
    assert TR_TITLE in mail["Subject"]
    [vevent] = vevents(invite_text(mail))
    assert language_of(vevent, "SUMMARY") == "tr" and str(vevent["SUMMARY"]) == TR_TITLE


# --- feeds and downloads ----------------------------------------------------------------------------

def test_the_personal_feed_speaks_its_owners_language_whoever_fetches_it(db, client, make_event, make_user):
    event = translated_event(db, make_event)
    turkish, russian = make_user(locale="tr"), make_user(locale="ru")
    for person in (turkish, russian):
        register(db, person, slot_of(event))
        feeds.ensure_feed_token(person)
    db.session.commit()

    response = client.get(f"/feeds/me/{turkish.feed_token}.ics")  # the client asks for English
    text = response.get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in text
    assert "X-WR-CALNAME:Etkinliklerim (MIA-DO Events)" in text
    other = client.get(f"/feeds/me/{russian.feed_token}.ics").get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=de:{DE_TITLE}" in other

    # A change of language is a new feed (new ETag), not a 304 with the old text.
    etag = response.headers["ETag"]
    turkish.locale = "de"
    db.session.commit()
    again = client.get(f"/feeds/me/{turkish.feed_token}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert f"SUMMARY;LANGUAGE=de:{DE_TITLE}" in again.get_data(as_text=True)


def test_public_feed_has_one_copy_and_one_etag_per_language(db, client, make_event):
    translated_event(db, make_event, arabic=True)
    by_language = {}
    for query in ("?lang=tr", "?lang=ar", ""):
        response = client.get("/feeds/public.ics" + query)
        assert response.status_code == 200
        by_language[query] = response
    turkish, arabic, plain = by_language["?lang=tr"], by_language["?lang=ar"], by_language[""]
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in turkish.get_data(as_text=True)
    assert [r.headers["Content-Language"] for r in (turkish, arabic, plain)] == ["tr", "ar", "en"]
    assert f"SUMMARY;LANGUAGE=ar:{AR_TITLE}" in arabic.get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=de:{DE_TITLE}" in plain.get_data(as_text=True)  # English: no translation
    assert len({r.headers["ETag"] for r in by_language.values()}) == 3
    assert len({r.data for r in by_language.values()}) == 3
    # Asked again (from the body cache), each language still gets its own text.
    assert client.get("/feeds/public.ics?lang=tr").data == turkish.data
    assert client.get("/feeds/public.ics?lang=ar").data == arabic.data
    # The Turkish copy's ETag does not make the Arabic feed "not modified".
    assert client.get("/feeds/public.ics?lang=ar",
                      headers={"If-None-Match": turkish.headers["ETag"]}).status_code == 200
    assert client.get("/feeds/public.ics?lang=tr",
                      headers={"If-None-Match": turkish.headers["ETag"]}).status_code == 304
    # Without ?lang= the copy depends on the reader's language.
    assert "Accept-Language" in plain.headers.get("Vary", "")


def test_an_unknown_lang_gives_german_and_never_an_error(db, client, make_event):
    event = translated_event(db, make_event)
    for value in ("xx", "", "tr-TR-x-" + "a" * 300, "../../etc", "%C3%BC"):
        response = client.get(f"/feeds/public.ics?lang={value}")
        assert response.status_code == 200, value
    assert f"SUMMARY;LANGUAGE=de:{DE_TITLE}" in client.get("/feeds/public.ics?lang=xx").get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in client.get("/feeds/public.ics?lang=tr-TR").get_data(as_text=True)
    assert client.get(f"/events/{event.id}/calendar.ics?lang=klingon").status_code == 200


def test_downloads_take_lang(db, client, make_event):
    event = translated_event(db, make_event)
    response = client.get(f"/events/{event.id}/calendar.ics?lang=tr")
    assert response.headers["Content-Language"] == "tr"
    text = response.get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in text and f"X-WR-CALNAME:{TR_TITLE}" in text
    session_text = client.get(f"/sessions/{event.sessions[0].id}/calendar.ics?lang=tr").get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=tr:{TR_TITLE}" in session_text
    german = client.get(f"/events/{event.id}/calendar.ics?lang=de").get_data(as_text=True)
    assert f"SUMMARY;LANGUAGE=de:{DE_TITLE}" in german and TR_TITLE not in german


def test_the_download_function_alone_follows_the_language_it_is_given(db, make_event):
    event = translated_event(db, make_event)
    [vevent] = vevents(ical.event_download(event, "tr"))
    assert str(vevent["SUMMARY"]) == TR_TITLE


# --- PDFs ---------------------------------------------------------------------------------------------

def test_the_ticket_prints_in_the_persons_language_whoever_prints_it(db, client, login, make_event,
                                                                    make_user):
    event = translated_event(db, make_event)
    member = make_user(locale="tr", name="Hatice Yıldız")
    registration = register(db, member, slot_of(event)).registration
    login(make_user(Role.STAFF))  # staff, whose pages are in English
    text = pdf_text(client.get(f"/my/registrations/{registration.id}/ticket.pdf").data)
    assert TR_TITLE in text and "Bilet kodu" in text and "Hatice Yıldız" in text
    assert DE_TITLE not in text and "Ticket code" not in text


def test_the_certificate_prints_in_its_holders_language(db, staff, make_event, make_user):
    series = translated_event(db, make_event, kind="series", sessions=2, capacity=10, certificate_threshold=50)
    holder = make_user(locale="tr", name="Ayşe Demir")
    registration = register(db, holder, slot_of(series)).registration
    assert checkin.check_in(staff, series.sessions[0], registration, method="scan", now=SESSION_START).ok
    db.session.commit()
    certificate = certificates.claim(holder, series, now=SESSION_END + timedelta(weeks=2))
    db.session.commit()
    text = pdf_text(certificates.certificate_pdf(certificate))
    assert TR_TITLE in text and "Katılım belgesi" in text and "Ayşe Demir" in text


def test_the_mso_list_prints_descriptions_in_the_requested_language(db, client, make_org):
    org = make_org("Kulturbrücke Dortmund e.V.")
    org.description = "Wir machen Kulturarbeit im Dortmunder Norden."
    org.published_fields = ["description"]
    set_translation(org, "tr", "description", "Dortmund'un kuzeyinde kültür çalışması yapıyoruz.")
    db.session.commit()
    turkish = pdf_text(client.get("/orgs/list.pdf?lang=tr").data)
    assert "kültür çalışması" in turkish and "Kulturarbeit" not in turkish
    english = pdf_text(client.get("/orgs/list.pdf").data)  # no English text: the German one
    assert "Kulturarbeit" in english
    assert "Kulturarbeit" in pdf_text(client.get("/orgs/list.pdf?lang=zz").data)


def test_the_calendar_page_subscribes_to_the_feed_in_its_own_language(db, client):
    # A calendar app sends no cookie and rarely a language: the link itself names it.
    html = client.get("/calendar", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert 'href="/feeds/public.ics?lang=tr"' in html
    month = client.get("/calendar/2027/3", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'href="/feeds/public.ics?lang=ar"' in month


def test_the_confirmation_tells_how_to_get_there_in_the_readers_language(db, make_event, make_user, outbox):
    event = translated_event(db, make_event)
    venue = Venue(name="Dietrich-Keuning-Haus", address="Leopoldstraße 50-58, 44147 Dortmund",
                  accessibility_notes="Stufenloser Zugang, Aufzug.", directions="U-Bahn Leopoldstraße.")
    db.session.add(venue)
    event.sessions[0].venue = venue
    set_translation(venue, "tr", "directions", "Leopoldstraße metro durağı.")
    db.session.commit()
    turkish, arabic = make_user(locale="tr"), make_user(locale="ar")
    outbox.clear()
    register(db, turkish, slot_of(event))
    register(db, arabic, slot_of(event))

    mail = only_mail_to(outbox, turkish)
    plain = mail.get_body(("plain",)).get_content()
    assert "Leopoldstraße metro durağı." in plain and "U-Bahn" not in plain
    assert "Stufenloser Zugang, Aufzug." in plain  # not translated: German
    html = html_of(mail)
    assert "<bdi>Leopoldstraße metro durağı.</bdi>" in html
    assert 'lang="de" dir="ltr">Stufenloser Zugang, Aufzug.<' in html
    assert 'lang="de" dir="ltr">U-Bahn Leopoldstraße.<' in html_of(only_mail_to(outbox, arabic))


def test_the_sign_in_sheet_prints_in_the_staff_members_language(db, client, login, make_event, make_user):
    event = translated_event(db, make_event)
    register(db, make_user(name="Zeynep Aydın"), slot_of(event))
    login(make_user(Role.STAFF, locale="tr"))
    text = pdf_text(client.get(f"/staff/events/{event.id}/signin.pdf").data)
    assert TR_TITLE in text and DE_TITLE not in text and "Zeynep Aydın" in text


def test_an_arabic_ticket_keeps_the_arabic_title_shaped(db, make_event, make_user, tmp_path):
    event = translated_event(db, make_event, arabic=True)
    registration = register(db, make_user(locale="ar", name="Omar Haddad"), slot_of(event)).registration
    path = tmp_path / "ticket-ar.pdf"
    path.write_bytes(ticket_pdf(registration))
    # Shaped and in reading order: pdftotext gives the title back as it was written.
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    plain = "".join(c for c in text if c not in "\u202a\u202b\u202c\u202d\u202e\u200e\u200f")
    assert AR_TITLE in plain and "Omar Haddad" in plain


def test_office_news_attach_the_event_in_each_recipients_language(db, staff, make_event, make_org, make_member,
                                                                  outbox):
    from miado_events.outreach import services as outreach
    from miado_events.outreach.services import Draft

    event = translated_event(db, make_event)
    make_member(make_org("Hörde e.V."), "representative", email="mert@example.org", locale="tr")
    make_member(make_org("Mitte e.V."), "representative", email="olga@example.org", locale="ru")
    outbox.clear()
    outreach.send_office_news(staff, Draft(subject="Einladung", body="Hallo zusammen", event=event,
                                           translations={"tr": {"subject": "Davet", "body": "Merhaba"}}))
    db.session.commit()
    mails = {str(m["To"]): m for m in outbox}

    def attached_summary(msg) -> str:
        [ics] = [p for p in msg.iter_attachments() if p.get_filename() == f"event-{event.id}.ics"]
        [vevent] = vevents(ics.get_content())
        return f"{vevent['SUMMARY'].params['LANGUAGE']}:{vevent['SUMMARY']}"

    assert attached_summary(mails["mert@example.org"]) == f"tr:{TR_TITLE}"
    assert TR_TITLE in html_of(mails["mert@example.org"])
    # The news has no Russian text, so that mail is German, its event too.
    assert attached_summary(mails["olga@example.org"]) == f"de:{DE_TITLE}"
