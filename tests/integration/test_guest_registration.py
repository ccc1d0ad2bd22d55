"""Guests through the test client: registering without an account on the
event page, the mail with the personal management link, the management
page (ticket, cancel, delete the data), the rate limits, and a guest who
later signs up with the same address."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from miado_events.models.accounts import User
from miado_events.models.events import Registration
from miado_events.models.guests import RegistrationLink

from ..conftest import PASSWORD, link_from_mail
from .test_event_views import at, make_event, make_org, slot_of


def guest_url(event, slot) -> str:
    return f"/events/{event.id}/slots/{slot.id}/guest"


def form(**fields) -> dict:
    data = {"name": "Ayşe Yılmaz", "email": "ayse@example.org", "phone": "", "organisation_id": "",
            "privacy_consent": "y"}
    data.update(fields)
    return data


def registrations_of(db, email: str) -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).join(User, User.id == Registration.user_id)
                                   .where(User.email == email)))


def manage_link(outbox) -> str:
    return link_from_mail(outbox[-1], "/manage/")


@pytest.fixture
def event(db):
    return make_event(db, "Seminar Vereinsrecht", [at(5, 20)], capacity=2)


def test_the_event_page_offers_visitors_to_register_without_an_account(client, db, event):
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert guest_url(event, slot_of(db, event)) in page


def test_a_guest_registers_and_gets_the_ticket_and_a_personal_link(client, db, event, outbox):
    slot = slot_of(db, event)
    response = client.post(guest_url(event, slot), data=form(phone="0231 12345"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.id}")
    [registration] = registrations_of(db, "ayse@example.org")
    assert registration.is_confirmed
    person = registration.user
    assert not person.has_account and person.phone == "0231 12345"
    assert person.privacy_consent_version == "test"
    [mail] = outbox
    assert mail["To"] == "ayse@example.org"
    body = mail.get_body(("plain",)).get_content()
    assert registration.ticket_code_display in body
    assert "/my/registrations" not in body  # a guest has no account to log in to
    link = manage_link(outbox)
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Seminar Vereinsrecht" in html and registration.ticket_code_display in html
    assert page.headers["Cache-Control"] == "private, no-store"
    path = re.search(r'src="(/manage/[^"]+/ticket\.png)"', html).group(1)
    assert client.get(path).headers["Content-Type"] == "image/png"


def test_only_a_hash_of_the_link_is_stored(client, db, event, outbox):
    client.post(guest_url(event, slot_of(db, event)), data=form())
    token = manage_link(outbox).rsplit("/", 1)[1]
    stored = db.session.scalars(select(RegistrationLink.token_hash)).all()
    assert token not in stored and RegistrationLink.hash(token) in stored


def test_the_guest_cancels_through_the_link_and_the_link_stops_working(client, db, event, outbox):
    client.post(guest_url(event, slot_of(db, event)), data=form())
    link = manage_link(outbox)
    assert "Yes, cancel" in client.get(link + "/cancel").get_data(as_text=True)
    response = client.post(link + "/cancel")
    assert response.status_code == 302
    [registration] = registrations_of(db, "ayse@example.org")
    assert registration.status == "cancelled"
    assert "cancelled" in outbox[-1]["Subject"].lower()
    gone = client.get(link)
    assert gone.status_code == 404
    assert "not valid" in gone.get_data(as_text=True)


def test_a_guest_cancelling_after_the_deadline_is_told_it_counts_as_late(client, db, outbox):
    from datetime import timedelta

    from miado_events.database import utcnow

    soon = utcnow().replace(second=0, microsecond=0) + timedelta(hours=10)  # deadline: 24 h before
    event = make_event(db, "Kurzfristiger Workshop", [soon], capacity=2)
    client.post(guest_url(event, slot_of(db, event)), data=form())
    link = manage_link(outbox)
    page = client.get(link + "/cancel").get_data(as_text=True)
    assert "late cancellation" in page and "Yes, cancel" in page
    assert client.post(link + "/cancel").status_code == 302
    [registration] = registrations_of(db, "ayse@example.org")
    assert registration.status == "cancelled" and registration.cancelled_late


def test_a_freed_seat_goes_to_the_waiting_guest(client, db, outbox):
    event = make_event(db, "Kleiner Workshop", [at(5, 21)], capacity=1, waitlist_enabled=True)
    slot = slot_of(db, event)
    client.post(guest_url(event, slot), data=form(email="first@example.org"))
    first_link = manage_link(outbox)
    client.post(guest_url(event, slot), data=form(name="Second", email="second@example.org"))
    [waiting] = registrations_of(db, "second@example.org")
    assert waiting.is_waitlisted
    assert "position 1" in client.get(manage_link(outbox)).get_data(as_text=True)
    client.post(first_link + "/cancel")
    [promoted] = registrations_of(db, "second@example.org")
    assert promoted.is_confirmed
    assert outbox[-1]["To"] == "second@example.org"
    assert "/manage/" in outbox[-1].get_body(("plain",)).get_content()


def test_an_unknown_or_malformed_link_is_a_404_page(client):
    for token in ("x" * 43, "short", "a" * 300, "ä" * 43):
        response = client.get(f"/manage/{token}")
        assert response.status_code == 404
        assert "not valid" in response.get_data(as_text=True)
    assert client.get("/manage/%00").status_code == 400  # the input guard refuses control bytes
    assert client.get("/manage/" + "x" * 43 + "/ticket.png").status_code == 404
    assert client.post("/manage/" + "x" * 43 + "/cancel").status_code == 404
    assert client.post("/manage/" + "x" * 43 + "/delete", data={"confirm": "y"}).status_code == 404


def test_the_guest_deletes_their_data_through_the_link(client, db, event, outbox):
    client.post(guest_url(event, slot_of(db, event)), data=form())
    link = manage_link(outbox)
    assert client.post(link + "/delete", data={}).status_code == 400  # not confirmed: nothing happens
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "ayse@example.org")) == 1
    response = client.post(link + "/delete", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "ayse@example.org")) == 0
    [registration] = db.session.scalars(select(Registration)).all()
    assert registration.user_id is None and registration.status == "cancelled"
    assert client.get(link).status_code == 404


def test_a_guest_for_an_mso_counts_against_its_seat_limit(client, db, outbox):
    org = make_org(db)
    event = make_event(db, "Begrenzt", [at(5, 22)], capacity=5, org_seat_limit=1, waitlist_enabled=True)
    slot = slot_of(db, event)
    client.post(guest_url(event, slot), data=form(email="a@example.org", organisation_id=str(org.id)))
    client.post(guest_url(event, slot), data=form(email="b@example.org", organisation_id=str(org.id)))
    [first] = registrations_of(db, "a@example.org")
    [second] = registrations_of(db, "b@example.org")
    assert first.is_confirmed and first.organisation_id == org.id
    assert second.is_waitlisted and second.organisation_id == org.id


@pytest.mark.parametrize("fields, message", [
    ({"organisation_id": "999999"}, "Please choose an organisation from the list."),
    ({"organisation_id": "abc"}, "Please choose an organisation from the list."),
    ({"privacy_consent": ""}, "Please agree to the privacy notice."),
    ({"email": ""}, "This field is required."),
    ({"email": "not an address"}, "Invalid email address."),
    ({"phone": "call me maybe"}, "digits only"),
    ({"name": ""}, "This field is required."),
])
def test_bad_input_gets_a_clear_message_and_changes_nothing(client, db, event, outbox, fields, message):
    response = client.post(guest_url(event, slot_of(db, event)), data=form(**fields))
    assert response.status_code == 400
    assert message in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert outbox == []


def test_an_unlisted_mso_is_refused(client, db, event):
    pending = make_org(db, "Noch nicht gelistet e.V.", status="pending")
    response = client.post(guest_url(event, slot_of(db, event)), data=form(organisation_id=str(pending.id)))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_the_same_address_twice_is_refused_with_a_clear_message(client, db, event, outbox):
    slot = slot_of(db, event)
    client.post(guest_url(event, slot), data=form())
    response = client.post(guest_url(event, slot), data=form(name="Someone Else", email="AYSE@example.org"))
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    [registration] = registrations_of(db, "ayse@example.org")
    assert registration.user.name == "Ayşe Yılmaz"
    assert len(outbox) == 1


def test_an_address_with_an_account_registers_that_account_and_the_page_says_the_same(
        client, db, event, outbox, make_user):
    member = make_user(email="member@example.org", name="Real Member", verified=False)
    response = client.post(guest_url(event, slot_of(db, event)),
                           data=form(name="Impostor", email="member@example.org"))
    assert response.status_code == 302
    guest_page = client.get(response.headers["Location"]).get_data(as_text=True)
    [registration] = registrations_of(db, "member@example.org")
    assert registration.user_id == member.id and registration.user.name == "Real Member"
    subjects = sorted(m["Subject"] for m in outbox)
    assert any("Registered with your account" in s for s in subjects)
    # Nothing on the mails to the account offers a management link (they log in instead).
    assert all("/manage/" not in m.get_body(("plain",)).get_content() for m in outbox)
    assert db.session.scalar(select(func.count(RegistrationLink.id))) == 0
    # The visitor sees the same answer as for a new address.
    client.post(guest_url(event, slot_of(db, event)), data=form(email="new@example.org"))
    assert "Thank you, you are registered." in guest_page


def test_a_closed_registration_shows_no_form(client, db):
    event = make_event(db, "Vorbei", [at(5, 23)], registration_closes_at=at(1, 1, year=2020))
    response = client.get(guest_url(event, slot_of(db, event)))
    assert response.status_code == 200
    assert 'name="email"' not in response.get_data(as_text=True)
    post = client.post(guest_url(event, slot_of(db, event)), data=form())
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert post.status_code == 200


def test_a_draft_event_is_not_found(client, db):
    event = make_event(db, "Entwurf", [at(5, 24)], status="draft")
    assert client.get(guest_url(event, slot_of(db, event))).status_code == 404


def test_a_slot_of_another_event_is_not_found(client, db, event):
    other = make_event(db, "Anderes", [at(5, 25)])
    assert client.get(guest_url(event, slot_of(db, other))).status_code == 404


def test_a_logged_in_member_is_sent_to_the_event_page(client, db, event, make_user, login):
    login(make_user())
    response = client.get(guest_url(event, slot_of(db, event)))
    assert response.status_code == 302


def test_guest_registration_is_rate_limited_per_address(app, client, db, outbox):
    app.config["RATELIMIT_GUEST_EMAIL"] = "2 per hour"
    events = [make_event(db, f"E{i}", [at(6, 1 + i)]) for i in range(3)]
    answers = [client.post(guest_url(e, slot_of(db, e)), data=form(email="same@example.org"),
                           environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
               for i, e in enumerate(events)]
    assert [r.status_code for r in answers] == [302, 302, 429]
    assert "Too many attempts" in answers[2].get_data(as_text=True)
    assert len(registrations_of(db, "same@example.org")) == 2
    # Another address from the same client still gets through.
    ok = client.post(guest_url(events[2], slot_of(db, events[2])), data=form(email="other@example.org"))
    assert ok.status_code == 302


def test_guest_registration_is_rate_limited_per_client(app, client, db):
    app.config["RATELIMIT_GUEST_REGISTRATION"] = "2 per minute"
    event = make_event(db, "Viele", [at(6, 10)], capacity=20)
    slot = slot_of(db, event)
    codes = [client.post(guest_url(event, slot), data=form(email=f"p{i}@example.org")).status_code
             for i in range(3)]
    assert codes == [302, 302, 429]


# --- a guest who later signs up ---------------------------------------------------------------

def test_a_guest_who_signs_up_with_the_address_finds_their_registration(client, db, event, outbox):
    client.post(guest_url(event, slot_of(db, event)), data=form())
    link = manage_link(outbox)
    response = client.post("/signup", data={"name": "Ayşe Y.", "email": "Ayse@example.org",
                                            "password": PASSWORD, "locale": "en", "privacy_consent": "y"})
    assert response.status_code == 302
    verify = link_from_mail(outbox[-1], "/verify/")
    # Until the address is verified, nobody can log in with the new password.
    refused = client.post("/login", data={"email": "ayse@example.org", "password": PASSWORD})
    assert refused.status_code != 302 or "/login" in refused.headers.get("Location", "")
    client.get(verify)
    assert client.post("/login", data={"email": "ayse@example.org", "password": PASSWORD}).status_code == 302
    page = client.get("/my/registrations").get_data(as_text=True)
    assert "Seminar Vereinsrecht" in page
    people = db.session.scalars(select(User).where(User.email == "ayse@example.org")).all()
    # The name stays as registered until the person changes it in the account.
    assert len(people) == 1 and people[0].has_account and people[0].name == "Ayşe Yılmaz"
    # The personal link of the guest days leads to the account now: data deletion goes there.
    assert "account" in client.get(link + "/delete").get_data(as_text=True)


def test_signing_up_with_an_address_that_has_an_account_changes_nothing(client, db, make_user, outbox):
    member = make_user(email="taken@example.org", name="Owner")
    old_hash = member.password_hash
    response = client.post("/signup", data={"name": "Attacker", "email": "taken@example.org",
                                            "password": "attacker-password-1", "locale": "en",
                                            "privacy_consent": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    owner = db.session.get(User, member.id)
    assert owner.password_hash == old_hash and owner.name == "Owner"
    assert "already have an account" in outbox[-1]["Subject"]


# --- the event's registration questions ------------------------------------------------------------

def test_the_guest_form_asks_the_events_questions_and_stores_the_answers(client, db, event, make_user):
    from miado_events.events import question_editor, questions
    from miado_events.events.question_editor import QuestionData
    from miado_events.models.accounts import Role

    staff = make_user(Role.STAFF)
    childcare = question_editor.add_question(staff, event, QuestionData(
        kind="yes_no", required=True, text={"de": "Kinderbetreuung?", "en": "Childcare?"}))
    db.session.commit()
    field = f"q_{childcare.id}"
    url = guest_url(event, slot_of(db, event))
    assert f'name="{field}"' in client.get(url).get_data(as_text=True)
    missing = client.post(url, data=form())
    assert missing.status_code == 400
    assert "Please answer this question." in unescape(missing.get_data(as_text=True))
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert client.post(url, data=form(**{field: "yes"})).status_code == 302
    [registration] = registrations_of(db, "ayse@example.org")
    assert questions.answer_values([registration.id]) == {registration.id: {childcare.id: True}}


def test_the_link_gives_the_ticket_as_pdf_and_the_persons_data(client, db, event, outbox):
    import json

    client.post(guest_url(event, slot_of(db, event)), data=form(phone="0231 1"))
    link = manage_link(outbox)
    pdf = client.get(link + "/ticket.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    data = client.get(link + "/data.json")
    assert data.status_code == 200 and data.headers["Cache-Control"] == "private, no-store"
    exported = json.loads(data.get_data(as_text=True))
    assert exported["account"]["email"] == "ayse@example.org"
    assert exported["account"]["phone"] == "0231 1" and exported["account"]["has_account"] is False
    assert "Seminar Vereinsrecht" in data.get_data(as_text=True)


def test_the_personal_page_shows_the_online_link_to_a_guest_with_a_seat(client, db, event, outbox):
    client.post(guest_url(event, slot_of(db, event)), data=form())
    page = client.get(manage_link(outbox)).get_data(as_text=True)
    assert 'href="https://meet.example.org/r"' in page


# --- an MSO invitation through sign-up ---------------------------------------------------------------

def test_an_invitation_opened_before_signing_up_makes_a_member_at_verification(client, db, outbox, make_user):
    from miado_events.models.orgs import Membership
    from miado_events.orgs import membership as membership_services

    org = make_org(db)
    rep = make_user()
    db.session.add(Membership(organisation=org, user=rep, role="representative", status="active"))
    db.session.commit()
    _invitation, url = membership_services.create_share_link(rep, org, 7)
    db.session.commit()
    join_path = "/join/" + url.rsplit("/", 1)[1]
    assert client.get(join_path).status_code == 200
    client.post("/signup", data={"name": "Jan", "email": "jan@example.org", "password": PASSWORD,
                                 "locale": "en", "privacy_consent": "y"})
    verify = link_from_mail(outbox[-1], "/verify/")
    fresh = client.application.test_client()  # the link opened in another browser
    fresh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    landed = fresh.get(verify, follow_redirects=True).get_data(as_text=True)
    assert "You are now a member of Kulturbrücke Dortmund e.V." in unescape(landed)
    user = db.session.scalar(select(User).where(User.email == "jan@example.org"))
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)).is_active
    # Without the link in the session, a sign-up joins nobody.
    other = client.application.test_client()
    other.post("/signup", data={"name": "Eva", "email": "eva@example.org", "password": PASSWORD,
                                "locale": "en", "privacy_consent": "y"})
    other.get(link_from_mail(outbox[-1], "/verify/"))
    eva = db.session.scalar(select(User).where(User.email == "eva@example.org"))
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == eva.id)) == 0


def test_staff_send_a_guest_a_new_personal_link_from_the_registrations_page(client, db, event, outbox,
                                                                           make_user, login):
    from miado_events.models.accounts import Role

    client.post(guest_url(event, slot_of(db, event)), data=form())
    old = manage_link(outbox)
    [registration] = registrations_of(db, "ayse@example.org")
    login(make_user(Role.STAFF))
    page = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    action = f"/staff/registrations/{registration.id}/new-link"
    assert f'action="{action}"' in page
    response = client.post(action)
    assert response.status_code == 302
    assert "new personal link" in unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    new = manage_link(outbox)
    assert new != old and client.get(new).status_code == 200 and client.get(old).status_code == 404
