"""Office news through the pages: compose, preview (nothing written), send
(outbox rows and the archive), one-click unsubscribe without a session or
CSRF token (GET only asks), the account's choice, the MSO's consent for its
contact address, and the offer to announce a published event."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from miado_events.database import utcnow
from miado_events.models.accounts import Role
from miado_events.models.events import Event, EventSession, Slot
from miado_events.models.mail import Mailing, OutboxMessage
from miado_events.models.orgs import Membership, Organisation, OrganisationTag
from miado_events.outreach import unsubscribe


@pytest.fixture
def world(db, make_user):
    staff = make_user(Role.STAFF, email="staff@example.org")
    reps = {}
    for name, district, email in (("Eving e.V.", "Eving", "amal@example.org"),
                                  ("Hörde e.V.", "Hörde", "mert@example.org")):
        org = Organisation(name=name, legal_form="ev", status="listed",
                           tags=[OrganisationTag(kind="district", value=district)])
        rep = make_user(email=email, name=name.split()[0] + " Rep")
        db.session.add_all([org, Membership(organisation=org, user=rep, role="representative")])
        reps[district] = (org, rep)
    reps["Hörde"][0].email, reps["Hörde"][0].news_to_contact_email = "info@hoerde.example", True
    db.session.commit()
    return staff, reps


def outbox_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


DRAFT = {"subject": "Fördermittel 2027", "body": "Liebe Vereine, ...", "draft_key": "key-1"}


def test_the_preview_counts_and_lists_the_recipients_and_writes_nothing(client, login, db, world):
    staff, _reps = world
    login(staff)
    page = client.post("/staff/outreach", data={**DRAFT, "district": ["Hörde"], "action": "preview"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 addresses receive this message" in html
    assert "info@hoerde.example" in html and "mert@example.org" in html and "amal@example.org" not in html
    assert outbox_count(db) == 0 and db.session.scalar(select(func.count()).select_from(Mailing)) == 0


def test_sending_queues_one_message_per_address_and_archives_the_mailing(client, login, db, world, outbox):
    staff, _reps = world
    login(staff)
    response = client.post("/staff/outreach", data={**DRAFT, "action": "send"})
    assert response.status_code == 302
    assert sorted(str(m["To"]) for m in outbox) == ["amal@example.org", "info@hoerde.example", "mert@example.org"]
    mailing = db.session.scalar(select(Mailing))
    assert response.headers["Location"].endswith(f"/staff/outreach/mailings/{mailing.id}")
    detail = client.get(f"/staff/outreach/mailings/{mailing.id}").get_data(as_text=True)
    assert "Fördermittel 2027" in detail and "3 addresses" in detail
    assert "Fördermittel 2027" in client.get("/staff/outreach/mailings").get_data(as_text=True)
    assert "Fördermittel 2027" in client.get("/staff/mailings").get_data(as_text=True)
    # The same preview sent again (a double click, a reload): nothing more.
    client.post("/staff/outreach", data={**DRAFT, "action": "send"})
    assert len(outbox) == 3 and db.session.scalar(select(func.count()).select_from(Mailing)) == 1


def test_a_message_without_text_is_answered_with_the_form(client, login, db, world):
    login(world[0])
    response = client.post("/staff/outreach", data={"subject": "", "body": "", "action": "send"})
    assert response.status_code == 400 and outbox_count(db) == 0


def test_one_click_unsubscribe_needs_no_session_and_no_csrf_token(app, client, db, world):
    app.config["WTF_CSRF_ENABLED"] = True
    _org, rep = world[1]["Eving"]
    token = unsubscribe.token_for_person(rep)
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert rep.office_news_opt_out_at is not None


def test_opening_the_link_only_asks(client, db, world):
    org, _rep = world[1]["Hörde"]
    token = unsubscribe.token_for_contact(org)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    db.session.expire_all()
    assert org.news_to_contact_email is True
    client.post(f"/unsubscribe/{token}")
    db.session.expire_all()
    assert org.news_to_contact_email is False


def test_a_representative_opts_out_and_in_again_on_the_account_page(client, login, db, world):
    _org, rep = world[1]["Eving"]
    login(rep)
    assert 'name="wanted" value="y" checked' in client.get("/account").get_data(as_text=True)
    client.post("/account/office-news", data={})
    db.session.expire_all()
    assert rep.office_news_opt_out_at is not None
    assert 'name="wanted" value="y" checked' not in client.get("/account").get_data(as_text=True)
    client.post("/account/office-news", data={"wanted": "y"})
    db.session.expire_all()
    assert rep.office_news_opt_out_at is None


def test_the_representative_agrees_to_news_at_the_contact_address_on_the_edit_form(client, login, db, world):
    org, rep = world[1]["Eving"]
    login(rep)
    form = {"name": org.name, "legal_form": "ev", "districts": ["Eving"], "email": "kontakt@eving.example",
            "news_to_contact_email": "y"}
    response = client.post(f"/orgs/{org.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert org.news_to_contact_email is True and org.email == "kontakt@eving.example"
    client.post("/logout")
    login(world[0])
    review = client.get(f"/staff/orgs/{org.id}").get_data(as_text=True)
    assert "The office may also send its news to MSOs to this address" in review
    assert "receives no office news" not in review
    rep.office_news_opt_out_at = utcnow()
    db.session.commit()
    assert "receives no office news" in client.get(f"/staff/orgs/{org.id}").get_data(as_text=True)


def test_publishing_offers_to_announce_with_the_event_and_a_suggested_text(client, login, db, world):
    staff, _reps = world
    event = Event(kind="networking", title="Vernetzungstreffen Mai", status="draft", capacity=30, languages=["de"])
    starts = utcnow().replace(microsecond=0).replace(year=utcnow().year + 1)
    session = EventSession(event=event, starts_at=starts, ends_at=starts + timedelta(hours=2),
                           online_url="https://meet.example.org/x")
    db.session.add_all([event, session, Slot(event=event, session=session, capacity=30)])
    db.session.commit()
    login(staff)
    response = client.post(f"/staff/events/{event.id}/publish", data={})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/staff/outreach?event={event.id}" in page
    compose = client.get(f"/staff/outreach?event={event.id}").get_data(as_text=True)
    assert "Vernetzungstreffen Mai" in compose and f'selected value="{event.id}"' in compose
    assert outbox_count(db) == 0  # nothing is sent by itself


def test_staff_stop_the_news_for_an_address_that_asked_by_mail(client, login, db, world):
    staff, reps = world
    _org, rep = reps["Eving"]
    login(staff)
    assert 'action="/staff/outreach/stop"' in client.get("/staff/outreach/mailings").get_data(as_text=True)
    response = client.post("/staff/outreach/stop", data={"address": "AMAL@example.org"})
    assert response.status_code == 302
    db.session.expire_all()
    assert rep.office_news_opt_out_at is not None
    client.post("/staff/outreach/stop", data={"address": "not-an-address"})
    page = client.get("/staff/outreach/mailings").get_data(as_text=True)
    assert "Please enter an e-mail address." in page
