"""The demo data: realistic, fictional, and safe to load twice."""
from __future__ import annotations

from sqlalchemy import func, select

from miado_events.models.accounts import User
from miado_events.models.orgs import Membership, Organisation, OrgStatus


def _counts(db):
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, Organisation, Membership))


def test_demo_command_is_safe_to_run_twice(app, db, outbox):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = _counts(db)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert _counts(db) == counts
    assert "admin@demo.example.org" in first.output and "demo-passwort" in first.output
    assert outbox == []  # demo data mails nobody


def test_demo_covers_every_role_and_the_registry(app, db, client):
    app.test_cli_runner().invoke(args=["demo"])
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "staff", "door", "member"}
    statuses = list(db.session.scalars(select(Organisation.status)))
    assert statuses.count(OrgStatus.LISTED.value) >= 10
    assert OrgStatus.PENDING.value in statuses and OrgStatus.NEEDS_CHANGES.value in statuses
    districts = {t.value for o in db.session.scalars(select(Organisation)) for t in o.tags if t.kind == "district"}
    assert len(districts) >= 10
    html = client.get("/orgs").get_data(as_text=True)
    assert "Deutsch-Türkischer Kulturverein" in html
    assert "Tamilischer Kulturverein" not in html  # pending ones stay out of the directory
    # Everyone with an address has a demo one (people registered by phone have none).
    assert all(u.email is None or u.email.endswith("@demo.example.org") for u in db.session.scalars(select(User)))


def test_demo_has_registrations_taken_by_phone_by_staff_and_by_a_representative(app, db, outbox):
    from miado_events.models.events import Registration

    app.test_cli_runner().invoke(args=["demo"])
    app.test_cli_runner().invoke(args=["demo"])
    by_hand = db.session.execute(
        select(User.name, Registration.registered_by_id, Registration.organisation_id)
        .join(Registration, Registration.user_id == User.id).where(User.email.is_(None))).all()
    assert sorted(name for name, _, _ in by_hand) == ["Fatma Telefon (Demo)", "Yusuf Ohne-Mail (Demo)"]
    makers = {name: db.session.get(User, maker).role for name, maker, _ in by_hand}
    assert makers == {"Fatma Telefon (Demo)": "admin", "Yusuf Ohne-Mail (Demo)": "member"}
    assert outbox == []


def test_demo_has_no_event_on_christmas_eve_or_new_years_eve(app, db, monkeypatch):
    # Loaded on 7 December, the seminar 17 days ahead would fall on 24 December.
    from datetime import datetime, timezone

    from miado_events import demo
    from miado_events.models.events import EventSession
    from miado_events.timeutil import to_local

    monkeypatch.setattr(demo, "utcnow", lambda: datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc))
    demo.load_demo_data()
    days = {(to_local(s.starts_at).month, to_local(s.starts_at).day) for s in db.session.scalars(select(EventSession))}
    assert days and not days & {(12, 24), (12, 31)}


def test_demo_has_an_office_mailing_and_an_mso_that_agreed_to_news_at_its_address(app, db, outbox):
    from miado_events.models.mail import Mailing

    app.test_cli_runner().invoke(args=["demo"])
    app.test_cli_runner().invoke(args=["demo"])
    [mailing] = db.session.scalars(select(Mailing).where(Mailing.kind == "office")).all()
    assert mailing.recipients >= 2 and mailing.filters == {"district": ["Innenstadt-Nord"]}
    assert db.session.scalar(select(func.count()).select_from(Organisation)
                             .where(Organisation.news_to_contact_email.is_(True))) == 1
    assert outbox == []


def test_demo_networking_meeting_asks_interpreting_and_access_needs(app, db, outbox):
    from miado_events.demo import NETWORKING_TITLE
    from miado_events.events import questions
    from miado_events.models.events import Event
    from miado_events.models.questions import QuestionAnswer

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    meeting = db.session.scalar(select(Event).where(Event.title == NETWORKING_TITLE))
    asked = questions.questions_for(meeting)
    assert [q.sensitive for q in asked] == [False, True] and asked[0].text["tr"]
    assert db.session.scalar(select(func.count()).select_from(QuestionAnswer)) == 2


def test_demo_has_a_guest_whose_personal_link_is_printed(app, db, client, outbox):
    import re
    from urllib.parse import urlsplit

    from miado_events.models.events import Registration

    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    link = re.search(r"personal link: (\S+/manage/\S+)", second.output).group(1)
    guest = db.session.scalar(select(User).where(User.email == "gast@demo.example.org"))
    assert guest is not None and not guest.has_account
    assert db.session.scalar(select(func.count(Registration.id)).where(Registration.user_id == guest.id)) == 1
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and "Maria Gast (Demo)" in page.get_data(as_text=True)
    assert outbox == []
