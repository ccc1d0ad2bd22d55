"""What my MSO has booked (/my/organisations/<id>/bookings): per upcoming event,
who of the MSO holds a seat or waits, and how many of the MSO's seats are used;
only its representatives and staff see it. A representative registered
themselves can still register colleagues from the event page. And the pages
for registering someone by hand (staff: the registrant list; representatives:
for their MSO), with the ticket to print."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from miado_events.database import utcnow
from miado_events.events import registration as reg
from miado_events.models.accounts import Role, User
from miado_events.models.events import Registration
from miado_events.models.orgs import MembershipRole

from .test_event_views import add_member, add_registration, at, make_event, make_org, slot_of, text_of


def words_of(response) -> str:
    """The page's text without its tags, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def _rep(db, make_user, org, name="Rana Vertreterin"):
    rep = make_user(name=name)
    add_member(db, rep, org, MembershipRole.REPRESENTATIVE)
    return rep


def _colleague(db, make_user, org, name):
    person = make_user(name=name)
    add_member(db, person, org)
    return person


def _register(db, person, slot, org):
    outcome = reg.register_participant(person, person, slot, org)
    db.session.commit()
    return outcome


def test_representative_sees_seats_and_waiting_list_of_their_mso(client, db, make_user, login):
    org = make_org(db)
    other = make_org(db, "Anderer Verein e.V.")
    rep = _rep(db, make_user, org)
    later = make_event(db, "Vernetzungstreffen Eving", [at(4, 2)], capacity=10)
    first = make_event(db, "Seminar Vereinsrecht", [at(3, 1)], capacity=4, org_seat_limit=2)
    untouched = make_event(db, "Seminar ohne uns", [at(3, 5)], capacity=10)
    past = make_event(db, "Vergangenes Treffen", [utcnow() - timedelta(days=3)])
    slot = slot_of(db, first)
    for name in ("Berna Zweite", "Ali Erster"):
        _register(db, _colleague(db, make_user, org, name), slot, org)
    waiting = _register(db, _colleague(db, make_user, org, "Cem Wartend"), slot, org)
    assert waiting.waitlist_reason == "org_quota_reached"
    _register(db, _colleague(db, make_user, other, "Fremde Person"), slot, other)
    _register(db, _colleague(db, make_user, org, "Dana Später"), slot_of(db, later), org)
    _register(db, _colleague(db, make_user, other, "Nur Anderer"), slot_of(db, untouched), other)
    cancelled = _register(db, _colleague(db, make_user, org, "Emre Abgesagt"), slot_of(db, later), org)
    reg.cancel_registration(rep, cancelled.registration)
    db.session.commit()
    add_registration(db, _colleague(db, make_user, org, "Frieda Vorbei"), slot_of(db, past), org=org)

    login(rep)
    response = client.get(f"/my/organisations/{org.id}/bookings")
    assert response.status_code == 200
    page = words_of(response)
    # The next event first; events without a booking of this MSO and past ones are not listed.
    assert page.index("Seminar Vereinsrecht") < page.index("Vernetzungstreffen Eving")
    assert "Seminar ohne uns" not in page and "Vergangenes Treffen" not in page
    assert "2 of 2 seats of your organisation used" in page
    assert "Confirmed Ali Erster Berna Zweite" in page
    assert "Cem Wartend – Position 1 on the waiting list" in page
    assert "1 seat taken (no limit per organisation)" in page
    assert "Dana Später" in page
    for name in ("Fremde Person", "Nur Anderer", "Emre Abgesagt", "Frieda Vorbei"):
        assert name not in page


def test_bookings_only_for_representatives_of_the_mso_and_staff(client, db, make_user, login):
    org = make_org(db)
    other = make_org(db, "Anderer Verein e.V.")
    url = f"/my/organisations/{org.id}/bookings"
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    for user in (_colleague(db, make_user, org, "Mira Mitglied"), _rep(db, make_user, other, "Otto Anders"),
                 make_user(Role.DOOR)):
        login(user)
        assert client.get(url).status_code == 403, user.name
        client.post("/logout")
    login(make_user(Role.STAFF))
    assert client.get(url).status_code == 200
    assert client.get("/my/organisations/424242/bookings").status_code == 404


def test_bookings_empty_state_and_links_from_my_organisations(client, db, make_user, login):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    member = _colleague(db, make_user, org, "Mira Mitglied")
    login(rep)
    assert "Nobody of your organisation is registered for an upcoming event." in text_of(
        client.get(f"/my/organisations/{org.id}/bookings"))
    link = f'href="/my/organisations/{org.id}/bookings"'
    assert link in client.get("/my/organisations").get_data(as_text=True)
    assert link in client.get(f"/orgs/{org.id}").get_data(as_text=True)
    client.post("/logout")
    login(member)
    assert link not in client.get("/my/organisations").get_data(as_text=True)
    assert link not in client.get(f"/orgs/{org.id}").get_data(as_text=True)


def test_bookings_are_paginated_by_event(client, db, make_user, login):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    person = _colleague(db, make_user, org, "Mira Mitglied")
    for day in range(1, 13):
        event = make_event(db, f"Treffen Nummer {day:02d}", [at(5, day)])
        _register(db, person, slot_of(db, event), org)
    login(rep)
    first = words_of(client.get(f"/my/organisations/{org.id}/bookings"))
    second = words_of(client.get(f"/my/organisations/{org.id}/bookings?page=2"))
    assert re.findall(r"Treffen Nummer (\d+)", first)[::2] == [f"{d:02d}" for d in range(1, 11)]
    assert re.findall(r"Treffen Nummer (\d+)", second)[::2] == ["11", "12"]
    assert "Page 2 of 2" in second


def test_representative_registered_themselves_can_still_register_a_colleague(client, db, make_user, login):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    colleague = _colleague(db, make_user, org, "Kemal Kollege")
    event = make_event(db, "Seminar Buchhaltung", [at(3, 1)])
    slot = slot_of(db, event)
    _register(db, rep, slot, org)
    login(rep)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "You are registered" in page
    assert f'action="/events/{event.id}/slots/{slot.id}/register-member"' in page
    assert f'value="{org.id}:{colleague.id}"' in page


# --- registering someone by hand: the pages ---------------------------------------------------

def _pdf_text(response) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)


def test_staff_take_a_phone_registration_by_name_and_print_the_ticket(client, db, make_user, login, outbox):
    staff = make_user(Role.STAFF, name="Stefan Staff")
    org = make_org(db)
    event = make_event(db, "Vernetzungstreffen Nord", [at(3, 1)], capacity=5)
    login(staff)
    listing = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    assert f'href="/staff/events/{event.id}/registrations/add"' in listing
    form = client.get(f"/staff/events/{event.id}/registrations/add")
    assert form.status_code == 200 and 'name="phone"' in form.get_data(as_text=True)

    response = client.post(f"/staff/events/{event.id}/registrations/add", data={
        "name": "Hatice Yıldız", "email": "", "phone": "0231 123456", "locale": "tr",
        "slot_id": str(slot_of(db, event).id), "organisation_id": str(org.id)})
    registration = db.session.scalar(select(Registration))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/staff/events/{event.id}/registrations?added={registration.id}#added")
    assert registration.is_confirmed and registration.organisation_id == org.id
    assert registration.user.email is None and registration.registered_by_id == staff.id
    assert outbox == []

    page = client.get(response.headers["Location"])
    words = words_of(page)
    assert "Hatice Yıldız is registered." in words
    assert "There is no e-mail address: please print the ticket and give it to the person." in words
    assert "added by Stefan Staff" in words
    ticket_url = f"/my/registrations/{registration.id}/ticket.pdf"
    assert f'href="{ticket_url}"' in page.get_data(as_text=True)
    text = _pdf_text(client.get(ticket_url))
    assert "Hatice" in text and "Vernetzungstreffen Nord" in text and registration.ticket_code_display in text


def test_staff_form_with_bad_input_is_shown_again_and_changes_nothing(client, db, make_user, login):
    from miado_events.events import question_editor
    from miado_events.events.question_editor import QuestionData

    staff = make_user(Role.STAFF)
    event = make_event(db, "Seminar", [at(3, 1)])
    question = question_editor.add_question(staff, event, QuestionData(kind="yes_no", text={"de": "Kinderbetreuung?"},
                                                                required=True))
    db.session.commit()
    answer = f"q_{question.id}"
    login(staff)
    url = f"/staff/events/{event.id}/registrations/add"
    slot_id = str(slot_of(db, event).id)
    for data in ({"name": "", "slot_id": slot_id, answer: "yes"},        # no name, no address
                 {"name": "Ali", "phone": "ruf an", "slot_id": slot_id, answer: "yes"},
                 {"name": "Ali", "slot_id": "abc", answer: "yes"},
                 {"name": "Ali", "slot_id": slot_id, answer: "yes", "organisation_id": "424242"},
                 {"name": "Ali", "slot_id": slot_id}):                    # the required answer missing
        response = client.post(url, data=data)
        assert response.status_code == 200, data
        assert 'class="flash flash-error"' in response.get_data(as_text=True), data
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 1
    response = client.post(url, data={"name": "Ali", "slot_id": slot_id, answer: "yes"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_representative_registers_a_person_without_an_account_and_sees_them_booked(
        client, db, make_user, login, outbox):
    org = make_org(db)
    rep = _rep(db, make_user, org)
    member = _colleague(db, make_user, org, "Mira Mitglied")
    event = make_event(db, "Seminar Vereinskasse", [at(3, 1)], org_seat_limit=2)
    slot = slot_of(db, event)
    login(rep)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    form_url = f"/events/{event.id}/register-person?slot={slot.id}"
    assert f'href="{form_url}"' in page
    form = client.get(form_url).get_data(as_text=True)
    assert f'name="organisation_id" value="{org.id}"' in form  # the MSO is fixed: theirs

    response = client.post(f"/events/{event.id}/register-person", data={
        "name": "Gülsen Arslan", "slot_id": str(slot.id), "organisation_id": str(org.id), "locale": "de"})
    registration = db.session.scalar(select(Registration))
    assert response.headers["Location"].endswith(
        f"/my/organisations/{org.id}/bookings?added={registration.id}#added")
    words = words_of(client.get(response.headers["Location"]))
    assert "Gülsen Arslan is registered." in words
    assert "1 of 2 seats of your organisation used" in words
    assert "Gülsen Arslan (added by Rana Vertreterin)" in words
    assert "Gülsen Arslan" in _pdf_text(client.get(f"/my/registrations/{registration.id}/ticket.pdf"))
    assert outbox == []
    # Later too, the bookings list links the tickets of the entries the representative
    # made, not those of colleagues who registered themselves.
    own = _register(db, member, slot, org).registration
    listing = client.get(f"/my/organisations/{org.id}/bookings").get_data(as_text=True)
    assert f'href="/my/registrations/{registration.id}/ticket.pdf"' in listing
    assert f"/my/registrations/{own.id}/ticket.pdf" not in listing
    # Nobody else of the MSO gets that ticket.
    client.post("/logout")
    login(member)
    assert client.get(f"/my/registrations/{registration.id}/ticket.pdf").status_code == 404


def test_register_person_page_only_for_representatives_and_only_for_their_mso(client, db, make_user, login):
    org = make_org(db)
    other = make_org(db, "Anderer Verein e.V.")
    rep = _rep(db, make_user, org)
    member = _colleague(db, make_user, org, "Mira Mitglied")
    event = make_event(db, "Seminar", [at(3, 1)])
    url = f"/events/{event.id}/register-person"
    login(member)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"name": "X", "slot_id": str(slot_of(db, event).id),
                                  "organisation_id": str(org.id)}).status_code == 403
    client.post("/logout")
    login(rep)
    for value in (str(other.id), "", "abc"):
        response = client.post(url, data={"name": "X", "slot_id": str(slot_of(db, event).id),
                                          "organisation_id": value})
        assert response.status_code == 200
        assert "Please choose your organisation." in words_of(response)
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert client.get("/events/424242/register-person").status_code == 404


def test_bookings_page_statements_do_not_grow_with_events_and_people(client, db, make_user):
    from .test_event_views import sign_in, statements_for

    org = make_org(db)
    rep = _rep(db, make_user, org)
    rep_email = rep.email

    def book(first_day: int, events: int, people: int) -> None:
        colleagues = [_colleague(db, make_user, org, f"Person {first_day}-{n}") for n in range(people)]
        for day in range(first_day, first_day + events):
            event = make_event(db, f"Treffen {day}", [at(6, day)], capacity=people, org_seat_limit=max(people - 1, 1))
            series = make_event(db, f"Reihe {day}", [at(7, day), at(8, day)], kind="series", capacity=50)
            for person in colleagues:
                _register(db, person, slot_of(db, event), org)
                _register(db, person, slot_of(db, series), org)

    book(1, 1, 2)
    sign_in(client, rep_email)
    url = f"/my/organisations/{org.id}/bookings"
    few = statements_for(client, db, url)
    book(10, 4, 4)
    many = statements_for(client, db, url)
    assert many == few, (few, many)
