"""Tickets: the signed URL a ticket's QR code carries, typed ticket codes,
and the QR code as people get it (confirmation e-mail, printable PDF),
read back with OpenCV the way a camera would."""
from __future__ import annotations

import io

from pypdf import PdfReader

from miado_events.checkin import services as checkin
from miado_events.checkin import tickets
from miado_events.checkin.ticket_pdf import ticket_pdf
from miado_events.events import registration as reg
from miado_events.models.events import new_ticket_token

from .checkin_support import decode_qr, english, seat
from .events_support import NOW, SESSION_START, body


def _flip(text: str, index: int) -> str:
    """``text`` with the character at ``index`` changed."""
    return text[:index] + ("B" if text[index] != "B" else "C") + text[index + 1:]


def _qr_part(msg):
    [part] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    return part


def _mail_to(outbox, person, subject_start: str):
    [msg] = [m for m in outbox if m["To"] == person.email and m["Subject"].startswith(subject_start)]
    return msg


# --- the signature ------------------------------------------------------------------

def test_signed_token_verifies(db, make_user, make_event):
    registration = seat(db, make_user(), make_event())
    token = registration.ticket_token
    assert tickets.verify(token, tickets.sign(token))
    assert tickets.ticket_url(registration) == f"http://localhost/t/{token}.{tickets.sign(token)}"
    assert tickets.parse_scan(tickets.ticket_url(registration)) == ("token", token)


def test_changed_token_is_forged(db, make_user, make_event):
    registration = seat(db, make_user(), make_event())
    url = tickets.ticket_url(registration)
    token, signature = url.rsplit("/", 1)[1].split(".")
    assert not tickets.verify(_flip(token, 0), signature)
    assert tickets.parse_scan(url.replace(token, _flip(token, 0))) == ("forged", None)


def test_changed_signature_is_forged(db, make_user, make_event):
    registration = seat(db, make_user(), make_event())
    url = tickets.ticket_url(registration)
    token, signature = url.rsplit("/", 1)[1].split(".")
    assert not tickets.verify(token, _flip(signature, 10))
    assert tickets.parse_scan(url.replace(signature, _flip(signature, 10))) == ("forged", None)


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_only_the_canonical_spelling_of_the_signature_is_accepted(db, staff, make_user, make_event):
    """The last of the 86 characters carries 2 bits of the signature and 4
    unused bits: the 15 other characters with the same 2 bits decode to the
    same bytes, and none of them may pass as genuine."""
    event = make_event()
    registration = seat(db, make_user(), event)
    url = tickets.ticket_url(registration)
    token, signature = url.rsplit("/", 1)[1].split(".")
    last = B64URL.index(signature[-1])
    variants = [signature[:-1] + c for c in B64URL if B64URL.index(c) >> 4 == last >> 4 and c != signature[-1]]
    assert len(variants) == 15
    for variant in variants:
        assert not tickets.verify(token, variant), variant
        assert tickets.parse_scan(url.replace(signature, variant)) == ("forged", None), variant
        result = checkin.check_in_scanned(staff, event.sessions[0], url.replace(signature, variant),
                                          now=SESSION_START)
        assert (result.outcome, result.registration) == ("invalid", None)
    assert tickets.verify(token, signature)


def test_code_rules_have_one_home_shared_by_certificates_and_the_scanner():
    from miado_events.checkin import certificates

    assert certificates.normalise_code("abcd-efgh-jkmn") == "ABCDEFGHJKMN"
    assert certificates.normalise_code("o1l3-i8zp-uuuu") == "011318ZPVVVV"
    rules = tickets.scanner_code_rules()
    assert (rules["length"], rules["alphabet"]) == (8, "0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert rules["fixes"] == {"O": "0", "I": "1", "L": "1", "U": "V"}


def test_signature_of_one_ticket_does_not_fit_another(db, make_user, make_event):
    event = make_event()
    first, second = seat(db, make_user(), event), seat(db, make_user(), event)
    assert not tickets.verify(second.ticket_token, tickets.sign(first.ticket_token))


def test_scan_with_another_host_is_accepted(db, make_user, make_event):
    registration = seat(db, make_user(), make_event())
    path = tickets.ticket_url(registration).removeprefix("http://localhost")
    for url in ("https://events.mia-do.de" + path, "http://192.168.0.5:5000" + path,
                "https://events.mia-do.de" + path + "?utm=print"):
        assert tickets.parse_scan(url) == ("token", registration.ticket_token)


def test_scan_of_something_else_names_nothing(db):
    assert tickets.parse_scan("https://example.org/") == (None, None)
    assert tickets.parse_scan("") == (None, None)
    assert tickets.parse_scan(None) == (None, None)


def test_typed_code_is_forgiving():
    assert tickets.normalise_code("7kq3-m8zp") == "7KQ3M8ZP"
    assert tickets.normalise_code(" 7KQ3 M8ZP ") == "7KQ3M8ZP"
    assert tickets.normalise_code("o1l3-i8zp") == "0113" + "18ZP"  # O→0, I/L→1
    assert tickets.normalise_code("OIL3M8ZP") == "0113M8ZP"
    assert tickets.parse_scan("7kq3-m8zp") == ("code", "7KQ3M8ZP")


def test_typed_code_of_the_wrong_shape_is_none():
    assert tickets.normalise_code("7KQ3M8Z") is None  # too short
    assert tickets.normalise_code("7KQ3M8ZPX") is None  # too long
    assert tickets.normalise_code("7KQ3M8Z!") is None
    assert tickets.normalise_code("") is None


def test_typed_code_finds_the_registration_at_the_door(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, make_user(), event)
    code = registration.ticket_code
    typed = f" {code[:4]} - {code[4:]} ".lower()
    result = checkin.check_in_scanned(staff, event.sessions[0], typed, method="manual",
                                      now=SESSION_START)
    assert result.outcome == "checked_in"
    assert result.registration.id == registration.id


# --- the QR code -----------------------------------------------------------------------

def test_qr_code_reads_back_as_the_ticket_url(db, make_user, make_event):
    registration = seat(db, make_user(), make_event())
    url = tickets.ticket_url(registration)
    assert decode_qr(tickets.qr_png(url)) == url
    for _ in range(10):  # tokens are random: a few more, as other tickets would have
        token = new_ticket_token()
        other = f"http://localhost/t/{token}.{tickets.sign(token)}"
        assert decode_qr(tickets.qr_png(other)) == other


def test_confirmation_mail_carries_the_qr_code_inline(db, make_user, make_event, outbox):
    person = make_user()
    registration = seat(db, person, make_event())
    msg = _mail_to(outbox, person, "Registration confirmed")
    part = _qr_part(msg)
    assert part["Content-ID"] == "<ticket-qr>"
    assert part.get_content_disposition() in (None, "inline")
    assert decode_qr(part.get_content()) == tickets.ticket_url(registration)
    assert 'src="cid:ticket-qr"' in msg.get_body(("html",)).get_content()
    assert registration.ticket_code_display in body(msg)


def test_cancelled_registration_ticket_scans_as_cancelled(db, staff, make_user, make_event):
    event = make_event()
    registration = seat(db, person := make_user(), event)
    url = tickets.ticket_url(registration)
    reg.cancel_registration(person, registration, now=NOW)
    db.session.commit()
    assert tickets.parse_scan(url) == ("token", registration.ticket_token)  # still signed…
    result = checkin.check_in_scanned(staff, event.sessions[0], url, now=SESSION_START)
    assert (result.outcome, result.tone) == ("cancelled", "red")  # …but refused


def test_promoted_registration_gets_the_qr_code_by_mail(db, make_user, make_event, outbox):
    event = make_event(capacity=1)
    first = seat(db, holder := make_user(), event)
    waiting = seat(db, person := make_user(), event)
    assert waiting.is_waitlisted
    outbox.clear()
    reg.cancel_registration(holder, first, now=NOW)
    db.session.commit()
    [msg] = [m for m in outbox if m["To"] == person.email]
    db.session.refresh(waiting)
    assert waiting.is_confirmed
    assert decode_qr(_qr_part(msg).get_content()) == tickets.ticket_url(waiting)
    assert waiting.ticket_code_display in body(msg)


def test_waitlist_mail_has_no_ticket(db, make_user, make_event, outbox):
    event = make_event(capacity=1)
    seat(db, make_user(), event)
    outbox.clear()
    waiting = seat(db, person := make_user(), event)
    [msg] = [m for m in outbox if m["To"] == person.email]
    assert [p for p in msg.walk() if p.get_content_type() == "image/png"] == []
    assert waiting.ticket_code_display not in body(msg)


# --- the printable ticket -----------------------------------------------------------------

def test_ticket_pdf_has_event_name_mso_code_and_qr(db, make_member, make_event, org):
    person = make_member(org, name="Ayşe Demir")
    registration = seat(db, person, make_event(), org=org)
    with english():
        pdf = PdfReader(io.BytesIO(ticket_pdf(registration)))
    [page] = pdf.pages
    text = page.extract_text()
    for expected in ("Test seminar", "Ayşe Demir", "Kulturbrücke Dortmund e.V.",
                     registration.ticket_code_display):
        assert expected in text
    [image] = page.images
    assert decode_qr(image.data) == tickets.ticket_url(registration)
