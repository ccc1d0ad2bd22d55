"""Office news to MSOs: who receives them (filters, each address once,
opt-outs), in which language, with which headers; Reply-To on every mail;
the office as ORGANIZER of invites."""
from __future__ import annotations

import email.policy
from email import message_from_bytes
from types import SimpleNamespace

import pytest
from icalendar import Calendar
from sqlalchemy import select

from miado_events.database import utcnow
from miado_events.errors import DomainError
from miado_events.mail import render_message
from miado_events.models.mail import Mailing, OutboxMessage
from miado_events.models.orgs import OrganisationTag
from miado_events.outreach import services, unsubscribe
from miado_events.outreach.audience import AudienceFilter, build_audience
from miado_events.outreach.services import Draft

from .events_support import NOW, register, slot_of


@pytest.fixture
def msos(db, make_org, make_member):
    """Three listed MSOs and one waiting for review, with tags and representatives."""
    def org(name, *tags, status="listed", email=None, news=False):
        o = make_org(name, status=status)
        o.tags = [OrganisationTag(kind=k, value=v) for k, v in tags]
        o.email, o.news_to_contact_email = email, news
        db.session.commit()
        return o

    eving = org("Eving e.V.", ("district", "Eving"), ("language", "ar"), ("field", "youth"))
    hoerde = org("Hörde e.V.", ("district", "Hörde"), ("language", "tr"), email="info@hoerde.example", news=True)
    mitte = org("Mitte e.V.", ("district", "Innenstadt-Nord"), ("language", "ar"),
                email="post@mitte.example", news=False)
    pending = org("Neu e.V.", ("district", "Eving"), status="pending")
    people = {
        "eving": make_member(eving, "representative", email="amal@example.org", locale="ar"),
        "hoerde": make_member(hoerde, "representative", email="mert@example.org", locale="tr"),
        "mitte": make_member(mitte, "representative", email="olga@example.org", locale="ru"),
        "member": make_member(eving, "member", email="member@example.org"),
        "pending": make_member(pending, "representative", email="neu@example.org"),
    }
    return {"eving": eving, "hoerde": hoerde, "mitte": mitte, "pending": pending, **{f"rep_{k}": v for k, v in people.items()}}


def addresses(audience) -> list[str]:
    return [r.address for r in audience.recipients]


def sent(db, outbox, staff, **draft):
    draft.setdefault("subject", "Neuigkeiten")
    draft.setdefault("body", "Liebe Vereine, ...")
    mailing = services.send_office_news(staff, Draft(**draft))
    db.session.commit()
    return mailing, {str(m["To"]): m for m in outbox}


def test_all_listed_msos_by_default_representatives_and_agreed_contact_addresses(db, msos):
    audience = build_audience(AudienceFilter())
    assert addresses(audience) == ["amal@example.org", "info@hoerde.example", "mert@example.org",
                                   "olga@example.org"]
    # Not the plain member, not the MSO waiting for review, not Mitte's address (no consent).


def test_filters_of_one_kind_widen_of_different_kinds_narrow(db, msos):
    one_kind = build_audience(AudienceFilter.of({"district": ["Eving", "Hörde"]}))
    assert addresses(one_kind) == ["amal@example.org", "info@hoerde.example", "mert@example.org"]
    two_kinds = build_audience(AudienceFilter.of({"district": ["Eving", "Innenstadt-Nord"], "language": ["ar"],
                                                  "field": ["youth"]}))
    assert addresses(two_kinds) == ["amal@example.org"]
    assert [o.name for o in two_kinds.organisations] == ["Eving e.V."]


def test_each_address_once_case_insensitively(db, msos, join):
    join(msos["rep_eving"], msos["mitte"], "representative")  # Amal speaks for two MSOs
    msos["mitte"].email, msos["mitte"].news_to_contact_email = "Amal@Example.org", True  # and it is Mitte's address
    db.session.commit()
    audience = build_audience(AudienceFilter())
    assert [a.lower() for a in addresses(audience)].count("amal@example.org") == 1
    amal = next(r for r in audience.recipients if r.address.lower() == "amal@example.org")
    assert amal.user == msos["rep_eving"] and {o.name for o in amal.organisations} == {"Eving e.V.", "Mitte e.V."}


def test_people_who_opted_out_are_left_out_and_counted(db, msos, make_user):
    msos["rep_hoerde"].office_news_opt_out_at = utcnow()
    # The contact address of Mitte belongs to an account that opted out too.
    owner = make_user(email="post@mitte.example")
    owner.office_news_opt_out_at = utcnow()
    msos["mitte"].news_to_contact_email = True
    db.session.commit()
    audience = build_audience(AudienceFilter())
    assert addresses(audience) == ["amal@example.org", "info@hoerde.example", "olga@example.org"]
    assert audience.left_out == 2


def test_the_recipient_reads_their_language_where_a_translation_is_given_else_german(db, msos, staff, outbox):
    _mailing, mails = sent(db, outbox, staff, subject="Einladung", body="Hallo zusammen",
                           translations={"ar": {"subject": "دعوة", "body": "مرحبا"}})
    assert str(mails["amal@example.org"]["Subject"]) == "دعوة"
    assert mails["amal@example.org"]["Content-Language"] == "ar"
    assert "مرحبا" in mails["amal@example.org"].get_body(("plain",)).get_content()
    for german in ("mert@example.org", "olga@example.org", "info@hoerde.example"):
        assert str(mails[german]["Subject"]) == "Einladung" and mails[german]["Content-Language"] == "de"


def test_a_translation_needs_subject_and_message(db, msos, staff):
    with pytest.raises(DomainError) as err:
        services.send_office_news(staff, Draft(subject="A", body="B", translations={"en": {"subject": "Only"}}))
    assert err.value.code == "mailing_invalid"


def test_news_carry_one_click_unsubscribe_and_the_mailing_is_archived(db, msos, staff, outbox):
    mailing, mails = sent(db, outbox, staff, draft_key="k1")
    for msg in mails.values():
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link, mailto = [part.strip(" <>") for part in msg["List-Unsubscribe"].split(",")]
        assert link.startswith("http://localhost/unsubscribe/") and mailto.startswith("mailto:")
    person = unsubscribe.target(mails["amal@example.org"]["List-Unsubscribe"].split(">")[0].rsplit("/", 1)[1])
    contact = unsubscribe.target(mails["info@hoerde.example"]["List-Unsubscribe"].split(">")[0].rsplit("/", 1)[1])
    assert person == msos["rep_eving"] and contact == msos["hoerde"]
    stored = db.session.get(Mailing, mailing.id)
    assert (stored.kind, stored.recipients, stored.left_out) == ("office", 4, 0)
    assert db.session.scalar(select(OutboxMessage.template).where(OutboxMessage.to_address == "amal@example.org")) \
        == "office_news"


def test_a_second_send_of_the_same_preview_sends_nothing(db, msos, staff, outbox):
    sent(db, outbox, staff, draft_key="same")
    outbox.clear()
    with pytest.raises(DomainError) as err:
        services.send_office_news(staff, Draft(subject="Neuigkeiten", body="x", draft_key="same"))
    assert err.value.code == "mailing_already_sent"
    db.session.rollback()
    assert outbox == [] and len(db.session.scalars(select(Mailing)).all()) == 1


def test_an_attached_event_brings_its_link_and_calendar_file(db, msos, staff, outbox, make_event):
    event = make_event()
    event.title = "Vernetzungstreffen März"
    db.session.commit()
    _m, mails = sent(db, outbox, staff, event=event)
    msg = mails["olga@example.org"]
    assert f"/events/{event.id}" in msg.get_body(("plain",)).get_content()
    [ics] = [p for p in msg.iter_attachments() if p.get_filename() == f"event-{event.id}.ics"]
    calendar = Calendar.from_ical(ics.get_content())
    assert [str(v["summary"]) for v in calendar.walk("VEVENT")] == ["Vernetzungstreffen März"]


def test_unsubscribing_a_contact_address_stops_it_for_every_mso_with_it(db, msos, staff):
    msos["mitte"].email, msos["mitte"].news_to_contact_email = "INFO@hoerde.example", True
    db.session.commit()
    services.unsubscribe_by_link(unsubscribe.token_for_contact(msos["hoerde"]))
    db.session.commit()
    assert not msos["hoerde"].news_to_contact_email and not msos["mitte"].news_to_contact_email
    assert "info@hoerde.example" not in [a.lower() for a in addresses(build_audience(AudienceFilter()))]


def test_a_forged_or_foreign_link_names_nobody(app, db, msos):
    token = unsubscribe.token_for_person(msos["rep_eving"])
    assert unsubscribe.target(token[:-2] + "xx") is None
    assert unsubscribe.target("u.1") is None
    with pytest.raises(DomainError):
        services.unsubscribe_by_link("nonsense")


# --- every mail: Reply-To; invites: the office as ORGANIZER --------------------------------------

def test_every_mail_carries_reply_to_the_office(app):
    app.config.update(OFFICE_NAME="MIA-DO-KI Stadt Dortmund", OFFICE_EMAIL="mia-do-ki@dortmund.example",
                      MAIL_REPLY_TO="")
    msg = render_message("x@example.org", "verify_email", "de", user=SimpleNamespace(name="X"), verify_url="http://localhost/v", hours=48)
    assert msg["Reply-To"] == "MIA-DO-KI Stadt Dortmund <mia-do-ki@dortmund.example>"
    app.config["MAIL_REPLY_TO"] = "Büro <antwort@dortmund.example>"
    msg = render_message("x@example.org", "verify_email", "de", user=SimpleNamespace(name="X"), verify_url="http://localhost/v", hours=48)
    assert msg["Reply-To"].addresses[0].addr_spec == "antwort@dortmund.example"


def test_mail_about_ones_own_registration_has_reply_to_no_unsubscribe_and_the_office_as_organizer(
        app, db, make_event, make_user, outbox):
    app.config.update(OFFICE_NAME="MIA-DO-KI Stadt Dortmund", OFFICE_EMAIL="mia-do-ki@dortmund.example",
                      MAIL_DEFAULT_SENDER="MIA-DO Events <no-reply@dortmund.example>")
    event = make_event()
    person = make_user()
    person.office_news_opt_out_at = utcnow()  # opted out of news: still gets this
    db.session.commit()
    register(db, person, slot_of(event), now=NOW)
    [msg] = [m for m in outbox if str(m["To"]) == person.email]
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert "mia-do-ki@dortmund.example" in str(msg["Reply-To"])
    raw = message_from_bytes(bytes(msg), policy=email.policy.default)
    [part] = [p for p in raw.walk() if p.get_content_type() == "text/calendar"]
    [vevent] = Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert str(vevent["organizer"]) == "mailto:mia-do-ki@dortmund.example"
    assert vevent["organizer"].params["CN"] == "MIA-DO-KI Stadt Dortmund"


def test_a_deleted_persons_name_leaves_the_translations_of_office_news(db, msos, staff, outbox):
    from miado_events.privacy import services as privacy

    mailing, _mails = sent(db, outbox, staff, body="Mert Demir stellt vor.",
                           translations={"tr": {"subject": "Haber", "body": "Mert Demir sunuyor."}})
    person = msos["rep_hoerde"]
    person.name = "Mert Demir"
    db.session.commit()
    privacy.delete_account(person)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Mailing, mailing.id)
    assert "Mert Demir" not in stored.body and "Mert Demir" not in stored.translations["tr"]["body"]


def test_staff_stop_the_news_for_an_address_that_asked_by_mail(db, msos, staff):
    msos["mitte"].email, msos["mitte"].news_to_contact_email = "mert@example.org", True
    db.session.commit()
    assert services.stop_news_for_address(staff, " Mert@Example.org ") == msos["rep_hoerde"]  # and Mitte
    db.session.commit()
    assert msos["rep_hoerde"].office_news_opt_out_at is not None and not msos["mitte"].news_to_contact_email
    assert "mert@example.org" not in addresses(build_audience(AudienceFilter()))
    with pytest.raises(DomainError) as err:
        services.stop_news_for_address(staff, "nobody@example.org")
    assert err.value.code == "address_unknown"
    with pytest.raises(DomainError):
        services.stop_news_for_address(msos["rep_eving"], "amal@example.org")  # not staff
