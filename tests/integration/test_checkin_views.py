"""Check-in through the test client: the door scanner without JavaScript
(counter, search, check-in by list or typed code, undo, walk-ins), its JSON
API (roster, sync, counts; CSRF), tickets (page, QR code, ticket link),
self check-in, certificates (download, public verification, revoking) and
the staff page that assigns door staff.

Views use the real clock, so the sessions here run now: inside the check-in
window (60 minutes before the start to 30 minutes after the end)."""
from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, format_date
from pypdf import PdfReader
from sqlalchemy import func, select

from miado_events import create_app
from miado_events.accounts.passwords import hash_password
from miado_events.checkin import self_checkin
from miado_events.checkin import tickets
from miado_events.database import utcnow
from miado_events.extensions import db as _db
from miado_events.extensions import limiter
from miado_events.i18n import with_formats
from miado_events.models.accounts import Role, User
from miado_events.models.checkin import Attendance, Certificate, DoorAssignment
from miado_events.models.events import Registration

from ..qr import decode_qr
from ..conftest import (
    PASSWORD,
    FreshGlobalsClient,
    app_config,
    csrf_token,
    reset_schema,
)
from .test_event_views import (
    add_member,
    add_registration,
    flashes,
    make_event,
    make_org,
    slot_of,
    text_of,
)


def running_now(db, title: str = "Vernetzungscafé heute", **kwargs):
    """A published event whose only session started 30 minutes ago (2 hours long)."""
    return make_event(db, title, [utcnow() - timedelta(minutes=30)], **kwargs)


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def attendances(db) -> list[Attendance]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attendance).order_by(Attendance.id)))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counter(response) -> tuple[int, int]:
    """The scanner's "checked in / confirmed" counter."""
    match = re.search(r'id="count-checked-in">(\d+)</strong> / <span id="count-confirmed">(\d+)</span>',
                      response.get_data(as_text=True))
    assert match, "no counter on the page"
    return int(match.group(1)), int(match.group(2))


def answer(response) -> tuple[str, str]:
    """(tone, text) of the scanner's answer box."""
    page = response.get_data(as_text=True)
    match = re.search(r'<div id="answer" class="answer answer-(\w+)"[^>]*>(.*?)</div>', page, re.DOTALL)
    assert match, "no answer on the page"
    return match.group(1), " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def log_in(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def staff(make_user):
    return make_user(Role.STAFF, name="Stefan Staff")


@pytest.fixture
def org(db):
    return make_org(db)


@pytest.fixture
def event(db):
    return running_now(db)


@pytest.fixture
def session(event):
    return event.sessions[0]


@pytest.fixture
def door(db, make_user, event):
    """Door staff assigned to ``event``."""
    user = make_user(Role.DOOR, name="Doris Door")
    db.session.add(DoorAssignment(event_id=event.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def ayse(db, make_user, org, event):
    """A member with a confirmed seat in the running session."""
    user = make_user(name="Ayşe Demir", email="ayse@example.org")
    add_member(db, user, org)
    add_registration(db, user, slot_of(db, event), org=org)
    return user


@pytest.fixture
def ayse_registration(db, ayse, event):
    return db.session.scalar(select(Registration).where(Registration.user_id == ayse.id,
                                                        Registration.event_id == event.id))


@pytest.fixture
def at_door(client, login, door):
    login(door)
    return client


# --- the scanner page without JavaScript ------------------------------------------------------

def test_scanner_shows_the_counter_and_finds_people_by_name(db, at_door, session, ayse_registration,
                                                            make_user):
    other = make_user(name="Bogdan Nowak")
    add_registration(db, other, slot_of(db, session.event))
    db.session.add(Attendance(registration_id=ayse_registration.id, session_id=session.id,
                              checked_in_at=utcnow(), recorded_at=utcnow(), method="manual"))
    db.session.commit()

    page = at_door.get(f"/door/sessions/{session.id}")
    assert page.status_code == 200
    assert counter(page) == (1, 2)

    found = at_door.get(f"/door/sessions/{session.id}?q=nowak")
    html = found.get_data(as_text=True)
    assert "Bogdan Nowak" in html
    bogdan = db.session.scalar(select(Registration).where(Registration.user_id == other.id))
    assert bogdan.ticket_code_display in html
    assert f'name="registration_id" value="{bogdan.id}"' in html
    assert "Ayşe Demir" not in text_of(found).split("Last check-ins")[0]

    checked_in = at_door.get(f"/door/sessions/{session.id}?q=Ay%C5%9Fe")
    assert "checked in at" in text_of(checked_in)

    nobody = at_door.get(f"/door/sessions/{session.id}?q=Zacharias")
    assert "Nobody registered for this event matches “Zacharias”" in text_of(nobody)


def test_check_in_from_the_list_answers_green_and_stores_the_attendance(db, at_door, door, session,
                                                                       ayse_registration):
    response = at_door.post(f"/door/sessions/{session.id}/checkin",
                            data={"registration_id": ayse_registration.id})
    assert response.status_code == 200
    tone, text = answer(response)
    assert tone == "green"
    assert "Welcome, Ayşe Demir!" in text
    assert "Kulturbrücke Dortmund e.V." in text_of(response)  # the MSO under the name
    assert counter(response) == (1, 1)
    [attendance] = attendances(db)
    assert (attendance.registration_id, attendance.session_id) == (ayse_registration.id, session.id)
    assert attendance.method == "manual"
    assert attendance.checked_in_by_id == door.id


def test_check_in_by_typed_code_forgives_case_and_dash_and_a_second_time_says_already(
        db, at_door, session, ayse_registration):
    typed = ayse_registration.ticket_code_display.lower()  # "abcd-efgh"
    first = at_door.post(f"/door/sessions/{session.id}/checkin", data={"code": typed})
    assert first.status_code == 200
    assert answer(first)[0] == "green"
    assert len(attendances(db)) == 1

    again = at_door.post(f"/door/sessions/{session.id}/checkin", data={"code": typed})
    tone, text = answer(again)
    assert tone == "amber"
    assert "already checked in" in text
    assert len(attendances(db)) == 1


def test_unknown_code_answers_red_and_stores_nothing(db, at_door, session, ayse_registration):
    response = at_door.post(f"/door/sessions/{session.id}/checkin", data={"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 200
    tone, text = answer(response)
    assert tone == "red"
    assert "Not a valid ticket." in text
    assert attendances(db) == []


def test_undo_takes_the_check_in_back(db, at_door, session, ayse_registration):
    at_door.post(f"/door/sessions/{session.id}/checkin", data={"registration_id": ayse_registration.id})
    assert len(attendances(db)) == 1
    response = at_door.post(f"/door/sessions/{session.id}/undo",
                            data={"registration_id": ayse_registration.id})
    assert response.status_code == 200
    assert "Check-in of Ayşe Demir taken back." in answer(response)[1]
    assert attendances(db) == []
    assert counter(response) == (0, 1)


def test_walk_in_with_a_bad_address_is_shown_again_with_an_error_and_creates_nothing(
        db, at_door, session, outbox):
    users, registrations = count(db, User), count(db, Registration)
    response = at_door.post(f"/door/sessions/{session.id}/walk-in",
                            data={"walkin-name": "Mehmet Kaya", "walkin-email": "not-an-address"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<details class="card" id="walk-in" open>', html)
    assert 'id="walkin-email-error"' in html
    assert 'value="Mehmet Kaya"' in html  # what was typed stays
    assert (count(db, User), count(db, Registration)) == (users, registrations)
    assert attendances(db) == []
    assert list(outbox) == []


def test_walk_in_registers_and_checks_the_person_in(db, at_door, session, outbox):
    response = at_door.post(f"/door/sessions/{session.id}/walk-in",
                            data={"walkin-name": "Mehmet Kaya", "walkin-email": "Mehmet.Kaya@example.org",
                                  "walkin-organisation_id": ""})
    assert response.status_code == 200
    tone, text = answer(response)
    assert tone == "green"
    assert "Mehmet Kaya" in text
    person = db.session.scalar(select(User).where(User.email == "mehmet.kaya@example.org"))
    assert person is not None and person.name == "Mehmet Kaya"
    registration = db.session.scalar(select(Registration).where(Registration.user_id == person.id))
    assert registration.status == "confirmed"
    assert registration.event_id == session.event_id
    [attendance] = attendances(db)
    assert attendance.registration_id == registration.id
    assert attendance.method == "walk_in"
    assert counter(response) == (1, 1)
    assert "mehmet.kaya@example.org" in [m["To"] for m in outbox]


def test_walk_in_of_a_member_counts_for_the_mso_chosen_at_the_door(db, at_door, session, org, make_user):
    second = make_org(db, "Brückenbauer Eving e.V.")
    jan = make_user(name="Jan Kowalski", email="jan@example.org")
    add_member(db, jan, org)
    add_member(db, jan, second)
    users = count(db, User)
    page = at_door.get(f"/door/sessions/{session.id}")
    assert f'<option value="{second.id}">Brückenbauer Eving e.V.</option>' in page.get_data(as_text=True)
    response = at_door.post(f"/door/sessions/{session.id}/walk-in",
                            data={"walkin-name": "Jan", "walkin-email": "JAN@example.org",
                                  "walkin-organisation_id": str(second.id)})
    assert answer(response)[0] == "green"
    assert count(db, User) == users  # no new account
    registration = db.session.scalar(select(Registration).where(Registration.user_id == jan.id))
    assert registration.organisation_id == second.id
    assert db.session.get(User, jan.id).name == "Jan Kowalski"  # the account is left as it was


# --- the JSON API ------------------------------------------------------------------------------

def sync(client, session, items, **kwargs):
    return client.post(f"/door/api/sessions/{session.id}/sync", json={"items": items}, **kwargs)


def test_sync_answers_each_item_of_a_batch(db, at_door, session, ayse_registration):
    url = tickets.ticket_url(ayse_registration)
    response = sync(at_door, session, [
        {"ref": "q-1", "scan": url, "at": utcnow().isoformat()},
        {"ref": "q-2", "scan": "https://example.com/not-a-ticket"},
    ])
    assert response.status_code == 200
    data = response.get_json()
    first, second = data["results"]
    assert (first["ref"], first["outcome"], first["tone"]) == ("q-1", "checked_in", "green")
    assert first["registration_id"] == ayse_registration.id
    assert first["name"] == "Ayşe Demir"
    assert (second["ref"], second["outcome"], second["tone"]) == ("q-2", "invalid", "red")
    assert second["name"] is None
    assert data["counts"] == {"checked_in": 1, "confirmed": 1}
    [attendance] = attendances(db)
    assert attendance.client_ref == "q-1"

    # The same queue sent again (the network dropped before the answer): nothing new.
    # The first answer again, from the door ledger.
    again = sync(at_door, session, [{"ref": "q-1", "scan": url}])
    assert again.get_json()["results"][0]["outcome"] == "checked_in"
    assert again.get_json()["results"][0]["replayed"] is True
    assert len(attendances(db)) == 1


def test_sync_answers_garbage_items_one_by_one(db, at_door, session, ayse_registration):
    garbage = ["just a string", 42, None, [], {}, {"registration_id": "x"}, {"registration_id": 2**70},
               {"registration_id": "99999999999999999999"}, {"registration_id": -1},
               {"registration_id": True}, {"registration_id": 1.5}, {"scan": ["x"]},
               {"ref": {"a": 1}, "scan": "x" * 10_000, "at": 5}, {"scan": "/t/" + "A" * 22 + "." + "B" * 86}]
    valid = {"registration_id": ayse_registration.id, "at": "yesterday"}  # a bad time: now
    response = sync(at_door, session, [*garbage, valid])
    assert response.status_code == 200
    outcomes = [r["outcome"] for r in response.get_json()["results"]]
    assert outcomes == ["invalid"] * len(garbage) + ["checked_in"]
    assert len(attendances(db)) == 1


@pytest.mark.parametrize("body", [
    {"items": "not a list"},
    {"items": {"ref": "q-1"}},
    {"nothing": []},
    [{"ref": "q-1"}],
    "items",
])
def test_sync_without_a_list_of_items_is_refused_with_a_message(db, at_door, session, ayse_registration,
                                                                 body):
    response = at_door.post(f"/door/api/sessions/{session.id}/sync", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "The request was not understood."
    assert attendances(db) == []


def test_sync_of_something_that_is_no_json_is_refused(db, at_door, session, ayse_registration):
    response = at_door.post(f"/door/api/sessions/{session.id}/sync", data="items=1",
                            content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert attendances(db) == []


def test_sync_of_more_than_500_items_is_refused_and_changes_nothing(db, at_door, session,
                                                                   ayse_registration):
    items = [{"ref": "q-0", "registration_id": ayse_registration.id}] + [
        {"ref": f"q-{i}", "scan": "nothing"} for i in range(1, 501)]
    response = sync(at_door, session, items)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert attendances(db) == []
    assert sync(at_door, session, items[:500]).status_code == 200  # 500 are fine


def test_manual_check_in_and_undo_with_impossible_ids_answer_without_an_error(db, at_door, session,
                                                                             ayse_registration):
    for value in ("99999999999999999999", "-1", "abc", "1e3"):
        response = at_door.post(f"/door/sessions/{session.id}/checkin", data={"registration_id": value})
        assert response.status_code == 200, value
        assert answer(response)[0] == "red"
        assert at_door.post(f"/door/sessions/{session.id}/undo",
                            data={"registration_id": value}).status_code == 404, value
    assert attendances(db) == []


def test_undo_of_a_registration_of_another_event_is_404(db, at_door, session, make_user):
    elsewhere = running_now(db, "Anderes Seminar")
    registration = add_registration(db, make_user(), slot_of(db, elsewhere))
    assert at_door.post(f"/door/sessions/{session.id}/undo",
                        data={"registration_id": registration.id}).status_code == 404


@pytest.mark.parametrize("big", [
    2**31,                    # one more than an id column holds (PostgreSQL: integer out of range)
    99999999999999999999,     # more than 64 bits (SQLite: OverflowError)
])
@pytest.mark.parametrize("url", [
    "/door/sessions/{}",
    "/door/sessions/{}/self-checkin",
    "/door/api/sessions/{}/roster",
    "/door/api/sessions/{}/counts",
    "/my/registrations/{}/ticket",
    "/my/registrations/{}/ticket.png",
    "/my/certificates/{}.pdf",
    "/checkin/{}/CODE",
    "/staff/events/{}/attendance",
    "/staff/events/{}/door",
])
def test_ids_larger_than_the_database_holds_are_404_not_500(db, client, login, staff, url, big):
    login(staff)
    assert client.get(url.format(big)).status_code == 404


def test_json_api_is_closed_to_door_staff_of_other_events(db, client, login, make_user, session,
                                                          ayse_registration):
    login(make_user(Role.DOOR))  # door staff, not assigned to this event
    assert client.get(f"/door/api/sessions/{session.id}/roster").status_code == 403
    assert client.get(f"/door/api/sessions/{session.id}/counts").status_code == 403
    response = sync(client, session, [{"ref": "q-1", "registration_id": ayse_registration.id}])
    assert response.status_code == 403
    assert attendances(db) == []


def test_roster_holds_token_hashes_never_the_tokens_and_a_csrf_token(db, at_door, session, event,
                                                                    ayse_registration, make_user):
    waiting = make_user(name="Wanda Warteliste")
    add_registration(db, waiting, slot_of(db, event), status="waitlisted")
    cancelled = make_user(name="Carl Cancelled")
    add_registration(db, cancelled, slot_of(db, event), status="cancelled")

    response = at_door.get(f"/door/api/sessions/{session.id}/roster")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_json()
    raw = response.get_data(as_text=True)
    assert data["session"]["id"] == session.id
    assert data["csrf_token"]
    assert data["public_key"] == tickets.public_key_b64()
    assert data["counts"] == {"checked_in": 0, "confirmed": 1}
    entries = {e["name"]: e for e in data["entries"]}
    assert set(entries) == {"Ayşe Demir", "Wanda Warteliste"}
    entry = entries["Ayşe Demir"]
    assert entry["id"] == ayse_registration.id
    assert entry["code"] == ayse_registration.ticket_code
    assert entry["token_hash"] == hashlib.sha512(ayse_registration.ticket_token.encode()).hexdigest()[:32]
    assert entry["status"] == "confirmed" and entry["here"] is True
    assert entries["Wanda Warteliste"]["status"] == "waitlisted"
    for registration in db.session.scalars(select(Registration)):
        assert registration.ticket_token not in raw
        assert tickets.sign(registration.ticket_token) not in raw
    assert not any("token" in key and key != "token_hash" for e in data["entries"] for key in e)
    assert "email" not in json.dumps(data["entries"])


def test_counts_follow_check_ins(db, at_door, session, ayse_registration):
    assert at_door.get(f"/door/api/sessions/{session.id}/counts").get_json() == {
        "checked_in": 0, "confirmed": 1}
    sync(at_door, session, [{"ref": "q-1", "registration_id": ayse_registration.id}])
    response = at_door.get(f"/door/api/sessions/{session.id}/counts")
    assert response.get_json() == {"checked_in": 1, "confirmed": 1}
    assert "no-store" in response.headers["Cache-Control"]


@pytest.fixture
def csrf_app(tmp_path):
    app = create_app(app_config(tmp_path, WTF_CSRF_ENABLED=True))
    app.test_client_class = FreshGlobalsClient
    reset_schema(app)
    limiter.reset()
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


def new_user(db, email: str, name: str, role: Role = Role.MEMBER) -> User:
    """A user without the ``make_user`` fixture (which belongs to the other app)."""
    user = User(email=email, name=name, role=role.value, locale="en", password_hash=hash_password(PASSWORD),
                email_verified_at=utcnow(), privacy_consent_version="test", privacy_consent_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


def test_sync_needs_the_rosters_csrf_token_when_csrf_is_on(csrf_app):
    db = _db
    event = running_now(db)
    session = event.sessions[0]
    door = new_user(db, "door@example.org", "Doris Door", Role.DOOR)
    db.session.add(DoorAssignment(event_id=event.id, user_id=door.id))
    person = new_user(db, "ayse@example.org", "Ayşe Demir")
    registration = add_registration(db, person, slot_of(db, event))
    registration_id = registration.id
    client = csrf_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                           "email": door.email, "password": PASSWORD})
    assert response.status_code == 302

    token = client.get(f"/door/api/sessions/{session.id}/roster").get_json()["csrf_token"]
    items = {"items": [{"ref": "q-1", "registration_id": registration_id}]}
    refused = client.post(f"/door/api/sessions/{session.id}/sync", json=items)
    assert refused.status_code == 400
    assert attendances(db) == []
    wrong = client.post(f"/door/api/sessions/{session.id}/sync", json=items,
                        headers={"X-CSRFToken": "not-the-token"})
    assert wrong.status_code == 400
    assert attendances(db) == []

    accepted = client.post(f"/door/api/sessions/{session.id}/sync", json=items,
                           headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert accepted.get_json()["results"][0]["outcome"] == "checked_in"
    assert len(attendances(db)) == 1


# --- tickets -----------------------------------------------------------------------------------

def test_ticket_page_is_the_members_own(db, client, login, ayse, ayse_registration, make_user):
    other = make_user(name="Bogdan Nowak")
    login(other)
    url = f"/my/registrations/{ayse_registration.id}/ticket"
    for suffix in ("", ".png", ".pdf"):
        assert client.get(url + suffix).status_code == 404, suffix

    client.post("/logout")
    login(ayse)
    page = client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    assert "Ayşe Demir" in text and ayse_registration.ticket_code_display in text
    assert f'src="/my/registrations/{ayse_registration.id}/ticket.png"' in page.get_data(as_text=True)


def test_ticket_png_decodes_to_the_signed_ticket_url(db, client, login, ayse, ayse_registration):
    login(ayse)
    response = client.get(f"/my/registrations/{ayse_registration.id}/ticket.png")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    decoded = decode_qr(response.data)
    assert decoded == tickets.ticket_url(ayse_registration)
    assert decoded.startswith("http://localhost/t/")
    assert ayse_registration.ticket_token in decoded
    assert tickets.parse_scan(decoded) == ("token", ayse_registration.ticket_token)


def test_ticket_pdf_names_the_person_and_the_code(db, client, login, ayse, ayse_registration):
    login(ayse)
    response = client.get(f"/my/registrations/{ayse_registration.id}/ticket.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(response.data)
    assert "Ayşe Demir" in text
    assert ayse_registration.ticket_code_display in text


def test_ticket_link_tells_a_stranger_nothing_personal(db, client, ayse, ayse_registration, org):
    path = "/t/" + tickets.payload(ayse_registration)
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This is a ticket for an event" in text_of(response)
    for personal in ("Ayşe", "Demir", ayse.email, org.name, ayse_registration.ticket_code):
        assert personal not in html
    assert "<form" not in html.split('id="main"')[1].split("</main>")[0]


def test_ticket_link_takes_its_owner_to_the_ticket_page(db, client, login, ayse, ayse_registration):
    login(ayse)
    response = client.get("/t/" + tickets.payload(ayse_registration))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/my/registrations/{ayse_registration.id}/ticket")


def test_ticket_link_gives_door_staff_a_check_in_button(db, at_door, session, ayse_registration):
    response = at_door.get("/t/" + tickets.payload(ayse_registration))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ayşe Demir" in text_of(response)
    form = re.search(r'<form method="post" action="(/door/[^"]+)".*?</form>', html, re.DOTALL)
    assert form and form.group(1) == f"/door/sessions/{session.id}/checkin"
    assert f'name="registration_id" value="{ayse_registration.id}"' in form.group(0)
    assert "Check in for" in text_of(response)

    done = at_door.post(form.group(1), data={"registration_id": ayse_registration.id})
    assert answer(done)[0] == "green"
    assert len(attendances(db)) == 1


def test_ticket_link_of_door_staff_of_another_event_shows_no_name(db, client, login, make_user,
                                                                   ayse_registration):
    login(make_user(Role.DOOR))
    response = client.get("/t/" + tickets.payload(ayse_registration))
    assert response.status_code == 200
    assert "Ayşe" not in response.get_data(as_text=True)


def test_ticket_link_with_a_changed_signature_is_not_valid(db, client, at_door, ayse_registration):
    token, signature = tickets.payload(ayse_registration).split(".")
    changed = signature[:20] + ("A" if signature[20] != "A" else "B") + signature[21:]
    for path in (f"/t/{token}.{changed}", f"/t/{token[:-1]}{'a' if token[-1] != 'a' else 'b'}.{signature}"):
        response = at_door.get(path)
        assert response.status_code == 404, path
        assert "This is not a valid ticket." in text_of(response)
        assert "Ayşe" not in response.get_data(as_text=True)


# --- self check-in -------------------------------------------------------------------------------

def test_self_check_in_with_a_stale_code_says_expired(db, client, login, ayse, session, app):
    login(ayse)
    rotate = app.config["SELF_CHECKIN_ROTATE_SECONDS"]
    stale = self_checkin.self_checkin_code(session, utcnow() - timedelta(seconds=3 * rotate))
    page = client.get(f"/checkin/{session.id}/{stale}")
    assert page.status_code == 200
    assert "This check-in code has expired" in text_of(page)
    posted = client.post(f"/checkin/{session.id}/{stale}")
    assert "This check-in code has expired" in text_of(posted)
    assert attendances(db) == []


def test_self_check_in_with_the_current_code_checks_the_member_in(db, client, login, ayse,
                                                                  ayse_registration, session):
    login(ayse)
    code = self_checkin.self_checkin_code(session)
    page = client.get(f"/checkin/{session.id}/{code}")
    assert page.status_code == 200
    assert "Check me in" in text_of(page)
    assert "expired" not in text_of(page)
    response = client.post(f"/checkin/{session.id}/{code}")
    assert response.status_code == 200
    assert 'class="answer answer-green"' in response.get_data(as_text=True)
    assert "Welcome, Ayşe Demir!" in text_of(response)
    [attendance] = attendances(db)
    assert (attendance.registration_id, attendance.method) == (ayse_registration.id, "self")


def test_self_check_in_of_someone_not_registered_records_nothing(db, client, login, make_user, session):
    login(make_user(name="Nina Niemand"))
    response = client.post(f"/checkin/{session.id}/{self_checkin.self_checkin_code(session)}")
    assert response.status_code == 200
    assert "You are not registered for this event." in text_of(response)
    assert attendances(db) == []


def test_self_check_in_screen_shows_a_qr_code_of_the_current_link(db, at_door, session):
    page = at_door.get(f"/door/sessions/{session.id}/self-checkin")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    png = at_door.get(f"/door/sessions/{session.id}/self-checkin.png")
    assert png.headers["Content-Type"] == "image/png"
    decoded = decode_qr(png.data)
    assert re.fullmatch(rf"http://localhost/checkin/{session.id}/[A-Z2-7]+", decoded)
    assert self_checkin.self_checkin_code_valid(session, decoded.rsplit("/", 1)[1])
    # The same address as text, for phones that cannot read the code.
    assert re.search(r'id="self-screen-url"[^>]*>' + re.escape(decoded) + "<", page.get_data(as_text=True))


def test_self_check_in_screen_updates_by_script_or_by_a_link_never_by_meta_refresh(db, at_door, session):
    """A meta refresh is a time limit the person cannot turn off (WCAG 2.2.1):
    the screen's own script swaps the code; without JavaScript a link loads
    the current one."""
    url = f"/door/sessions/{session.id}/self-checkin"
    page = at_door.get(url)
    html = page.get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html.lower()
    assert "Refresh" not in page.headers
    assert re.search(r'<script src="/static/js/self-screen\.js(\?v=\w+)?" defer></script>', html)
    link = re.search(r'<a [^>]*id="self-screen-reload" href="([^"]+)">([^<]+)</a>', html)
    assert link and link.group(1) == url and link.group(2) == "Show the current code"
    assert "The code changes every few minutes." in text_of(page)


def test_self_check_in_screen_answers_its_script_with_the_current_code_as_json(db, at_door, session,
                                                                                ayse_registration):
    url = f"/door/sessions/{session.id}/self-checkin"
    response = at_door.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.content_type == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Accept" in response.headers["Vary"]
    data = response.get_json()
    assert data["window_state"] == "open"
    assert self_checkin.self_checkin_code_valid(session, data["code"])
    assert data["url"] == f"http://localhost/checkin/{session.id}/{data['code']}"
    assert data["qr"] == f"{url}.png?c={data['code']}"
    assert decode_qr(at_door.get(data["qr"]).data) == data["url"]
    assert 5 <= data["refresh"] <= checkin_rotate_seconds() + 1
    assert data["counts"] == {"checked_in": 0, "confirmed": 1}
    # A browser's own Accept header still gets the page.
    page = at_door.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.content_type.startswith("text/html")


def test_self_check_in_screen_json_is_closed_to_door_staff_of_other_events(db, client, login, make_user,
                                                                           session):
    login(make_user(Role.DOOR))  # door staff, not assigned to this event
    response = client.get(f"/door/sessions/{session.id}/self-checkin", headers={"Accept": "application/json"})
    assert response.status_code == 403


def checkin_rotate_seconds() -> int:
    from flask import current_app

    return current_app.config["SELF_CHECKIN_ROTATE_SECONDS"]


# --- certificates --------------------------------------------------------------------------------

@pytest.fixture
def series(db):
    """A training series that ended last week: two sessions, certificate at 50 %."""
    now = utcnow()
    return make_event(db, "Weiterbildungsreihe Vereinsfinanzen",
                      [now - timedelta(weeks=2), now - timedelta(weeks=1)], kind="series",
                      certificate_threshold=50)


def attend(db, registration, *sessions) -> None:
    for s in sessions:
        db.session.add(Attendance(registration_id=registration.id, session_id=s.id,
                                  checked_in_at=s.starts_at, recorded_at=s.starts_at, method="scan"))
    db.session.commit()


@pytest.fixture
def graduate(db, make_user, org, series):
    """A member who attended one of the series' two sessions (enough: 50 %)."""
    user = make_user(name="Ayşe Demir", email="ayse@example.org")
    registration = add_registration(db, user, slot_of(db, series), org=org)
    attend(db, registration, series.sessions[0])
    return user


def download_certificate(client, login, user, series) -> tuple[Certificate, bytes]:
    login(user)
    response = client.get(f"/my/certificates/{series.id}.pdf")
    assert response.status_code == 200, response.headers.get("Location")
    assert response.headers["Content-Type"] == "application/pdf"
    certificate = _db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
    return certificate, response.data


def test_certificate_download_after_the_series_gives_a_pdf_with_the_name(db, client, login, graduate,
                                                                        series):
    certificate, data = download_certificate(client, login, graduate, series)
    text = pdf_text(data)
    assert "Ayşe Demir" in text
    assert "Weiterbildungsreihe Vereinsfinanzen" in text
    assert certificate.code_display in text
    assert (certificate.sessions_attended, certificate.sessions_total) == (1, 2)
    again = client.get(f"/my/certificates/{series.id}.pdf")
    assert again.status_code == 200
    assert count(db, Certificate) == 1  # the same certificate, not a second one


def test_my_certificates_page_lists_the_series_with_a_download(db, client, login, graduate, series):
    login(graduate)
    response = client.get("/my/certificates")
    assert response.status_code == 200
    assert "Weiterbildungsreihe Vereinsfinanzen" in text_of(response)
    assert f"/my/certificates/{series.id}.pdf" in response.get_data(as_text=True)


def test_no_certificate_below_the_threshold(db, client, login, make_user, series):
    absent = make_user(name="Bogdan Nowak")
    add_registration(db, absent, slot_of(db, series))
    login(absent)
    response = client.get(f"/my/certificates/{series.id}.pdf")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("/my/certificates")
    assert "You attended 0 of 2 sessions" in flashes(client.get("/my/certificates"))
    assert count(db, Certificate) == 0


def test_verify_page_shows_name_series_and_date_and_no_email(db, app, client, login, graduate, series):
    certificate, _data = download_certificate(client, login, graduate, series)
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for url in (f"/certificates/verify/{certificate.code}",
                f"/certificates/verify?code={certificate.code_display.lower()}"):
        response = visitor.get(url)
        assert response.status_code == 200, url
        text = text_of(response)
        assert "This certificate is valid." in text
        assert "Ayşe Demir" in text
        assert "Weiterbildungsreihe Vereinsfinanzen" in text
        with app.test_request_context(), force_locale(with_formats("en")):
            assert format_date(certificate.issued_at, "long") in text
        assert graduate.email not in response.get_data(as_text=True)
        assert "@" not in response.get_data(as_text=True).split('id="main"')[1].split("</main>")[0]


def test_verify_page_with_an_altered_code_says_no_valid_certificate(db, app, client, login, graduate,
                                                                    series):
    certificate, _data = download_certificate(client, login, graduate, series)
    code = certificate.code
    altered = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = app.test_client().get(f"/certificates/verify/{altered}",
                                     headers={"Accept-Language": "en"})
    assert response.status_code == 404
    text = text_of(response)
    assert "No valid certificate has this code" in text
    assert "Ayşe" not in text


def test_revoking_without_a_reason_is_refused_and_keeps_the_certificate(db, app, client, login, make_user,
                                                                       graduate, series):
    certificate, _data = download_certificate(client, login, graduate, series)
    client.post("/logout")
    login(make_user(Role.STAFF))
    response = client.post(f"/staff/certificates/{certificate.id}/revoke", data={"reason": "  "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/events/{series.id}/attendance")
    page = client.get(response.headers["Location"])
    assert "Please give a reason." in flashes(page)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None
    assert app.test_client().get(f"/certificates/verify/{certificate.code}").status_code == 200

    client.post(f"/staff/certificates/{certificate.id}/revoke", data={"reason": "Issued by mistake"})
    db.session.expire_all()
    revoked = db.session.get(Certificate, certificate.id)
    assert revoked.revoked_at is not None and revoked.revoke_reason == "Issued by mistake"
    assert app.test_client().get(f"/certificates/verify/{certificate.code}").status_code == 404


def test_attendance_page_lists_who_came(db, client, login, staff, graduate, series):
    login(staff)
    response = client.get(f"/staff/events/{series.id}/attendance")
    assert response.status_code == 200
    text = text_of(response)
    assert "Ayşe Demir" in text
    assert "1 / 2 (50%)" in text
    assert "Earned; created when the person downloads it." in text


def test_staff_issue_a_certificate_by_hand(db, client, login, staff, make_user, series):
    absent = make_user(name="Bogdan Nowak")
    add_registration(db, absent, slot_of(db, series))
    login(staff)
    response = client.post(f"/staff/events/{series.id}/certificates/{absent.id}")
    assert response.status_code == 302
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == absent.id))
    assert certificate is not None and certificate.issued_by_id == staff.id
    assert "A certificate has been issued to Bogdan Nowak." in flashes(
        client.get(response.headers["Location"]))


# --- door staff assignments ----------------------------------------------------------------------

def test_staff_assign_and_remove_door_staff(db, app, client, login, staff, make_user, event, session):
    doris = make_user(Role.DOOR, name="Doris Door")
    login(staff)
    page = client.get(f"/staff/events/{event.id}/door")
    assert page.status_code == 200
    assert "No door staff assigned yet." in text_of(page)
    assert f'<option value="{doris.id}">' in page.get_data(as_text=True)

    response = client.post(f"/staff/events/{event.id}/door", data={"user_id": str(doris.id)})
    assert response.status_code == 302
    assert db.session.get(DoorAssignment, (event.id, doris.id)) is not None
    page = client.get(response.headers["Location"])
    assert "Doris Door now works the door of this event." in flashes(page)
    assert "No door staff assigned yet." not in text_of(page)

    door_client = app.test_client()
    log_in(door_client, doris)
    assert door_client.get(f"/door/sessions/{session.id}").status_code == 200

    response = client.post(f"/staff/events/{event.id}/door", data={"user_id": str(doris.id), "remove": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DoorAssignment, (event.id, doris.id)) is None
    assert "no longer works the door" in flashes(client.get(response.headers["Location"]))
    assert door_client.get(f"/door/sessions/{session.id}").status_code == 403


def test_only_door_staff_accounts_can_be_assigned(db, client, login, staff, make_user, event):
    member = make_user(name="Mira Mitglied")
    login(staff)
    response = client.post(f"/staff/events/{event.id}/door", data={"user_id": str(member.id)})
    assert response.status_code == 302
    assert "This person has no door staff role." in flashes(client.get(response.headers["Location"]))
    assert count(db, DoorAssignment) == 0
    assert client.post(f"/staff/events/{event.id}/door", data={"user_id": "999999"}).status_code == 400
