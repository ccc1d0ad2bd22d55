"""Office news to MSOs: send a mailing, opt out, opt in again.

``send_office_news`` queues one outbox message per address in the caller's
transaction (the request's unit of work) and archives the mailing; the
preview's key is unique on the mailing, so a second click on "Send" (or a
reload) sends nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..accounts.services import get_user_by_email, normalise_email
from ..calendar import ical
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import with_formats
from ..mail import send_message
from ..models.accounts import User
from ..models.events import Event
from ..models.mail import Mailing, MailingKind
from ..models.orgs import Organisation
from ..permissions import ensure, is_staff
from ..urls import external_url
from . import unsubscribe
from .audience import Audience, AudienceFilter, Recipient, build_audience

MAX_SUBJECT, MAX_BODY = 200, 20_000
TEMPLATE = "office_news"


def translation_locales() -> list[str]:
    """The languages a mailing may be translated into (all but the default)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return [code for code in current_app.config["LANGUAGES"] if code != default]


@dataclass
class Draft:
    subject: str
    body: str
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    filters: AudienceFilter = field(default_factory=AudienceFilter)
    event: Event | None = None
    draft_key: str | None = None

    def text_for(self, locale: str) -> tuple[str, str, str]:
        """(language, subject, body) for a reader of ``locale``: their
        language where a translation is given, else the default (German)."""
        text = self.translations.get(locale)
        if text:
            return locale, text["subject"], text["body"]
        return current_app.config["BABEL_DEFAULT_LOCALE"], self.subject, self.body


def _invalid(message) -> DomainError:
    return DomainError("mailing_invalid", message)


def clean_draft(draft: Draft) -> Draft:
    """Normalise and check a draft; raise ``mailing_invalid`` naming the problem."""
    draft.subject = " ".join((draft.subject or "").split())
    draft.body = (draft.body or "").strip()
    if not draft.subject or not draft.body:
        raise _invalid(_l("Please write a subject and a message in German."))
    if len(draft.subject) > MAX_SUBJECT or len(draft.body) > MAX_BODY:
        raise _invalid(_l("The subject or the message is too long."))
    names = current_app.config["LANGUAGES"]
    translations = {}
    for locale in translation_locales():
        text = draft.translations.get(locale) or {}
        subject, body = " ".join((text.get("subject") or "").split()), (text.get("body") or "").strip()
        if bool(subject) != bool(body):
            raise _invalid(_l("Please write both the subject and the message in %(language)s, or neither.",
                              language=names[locale]))
        if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
            raise _invalid(_l("The subject or the message is too long."))
        if subject:
            translations[locale] = {"subject": subject, "body": body}
    draft.translations = translations
    if draft.event is not None and (not draft.event.is_published or draft.event.is_cancelled):
        raise _invalid(_l("Only a published event can be attached."))
    return draft


def preview(actor: User, draft: Draft) -> Audience:
    """Who would receive ``draft`` now (nothing is written)."""
    ensure(is_staff, actor)
    clean_draft(draft)
    return build_audience(draft.filters)


def _unsubscribe_token(recipient: Recipient) -> str:
    if recipient.user is not None:
        return unsubscribe.token_for_person(recipient.user)
    return unsubscribe.token_for_contact(recipient.organisations[0])


def send_office_news(actor: User, draft: Draft, *, now: datetime | None = None) -> Mailing:
    """Queue the mailing, one message per address, and archive it. The
    caller commits."""
    now = now or utcnow()
    ensure(is_staff, actor)
    clean_draft(draft)
    audience = build_audience(draft.filters)
    if not audience.recipients:
        raise DomainError("no_recipients", _l("No MSO matches these filters, or nobody there receives office news."))
    mailing = Mailing(kind=MailingKind.OFFICE.value, event_id=draft.event.id if draft.event else None,
                      sender_id=actor.id, sender_name=actor.name[:120], subject=draft.subject,
                      body=draft.body, audience=["representatives", "contact_addresses"],
                      filters=draft.filters.as_dict(), translations=draft.translations or None,
                      recipients=audience.count, left_out=audience.left_out, sent_at=now,
                      draft_key=draft.draft_key or None)
    try:
        with db.session.begin_nested():
            db.session.add(mailing)
    except IntegrityError:
        raise DomainError("mailing_already_sent", _l("This message has already been sent.")) from None
    attachments, event_url = None, None
    calendars: dict[str, bytes] = {}  # the attached event in each recipient's language, built once per language
    if draft.event is not None:
        event_url = external_url("events.detail", event_id=draft.event.id)
    for recipient in audience.recipients:
        locale, subject, body = draft.text_for(recipient.locale)
        if draft.event is not None:
            if locale not in calendars:
                calendars[locale] = ical.event_download(draft.event, locale)
            attachments = [(f"event-{draft.event.id}.ics", "text/calendar", calendars[locale])]
        token = _unsubscribe_token(recipient)
        send_message(recipient.address, TEMPLATE, locale, headers=unsubscribe.headers(token),
                     attachments=attachments, news_subject=subject, news_body=body,
                     recipient=recipient, event=draft.event, event_url=event_url,
                     unsubscribe_url=external_url("outreach.unsubscribe", token=token))
    audit.record(actor, "mailing.send", mailing, draft.subject, now=now, kind=MailingKind.OFFICE.value,
                 recipients=audience.count, left_out=audience.left_out)
    return mailing


def suggested_text(event: Event) -> tuple[str, str]:
    """A subject and message announcing ``event``, in the default language,
    for staff to edit (nothing is sent by itself)."""
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(with_formats(locale)):
        template = current_app.jinja_env.get_template("outreach/suggestion.txt")
        context = {"event": event, "event_url": external_url("events.detail", event_id=event.id),
                   "office_name": current_app.config.get("OFFICE_NAME") or ""}
        current_app.update_template_context(context)
        subject = "".join(template.blocks["subject"](template.new_context(context)))
        body = "".join(template.blocks["body"](template.new_context(context)))
    return " ".join(subject.split()), body.strip()


# --- opting out and in -------------------------------------------------------------------

def unsubscribe_by_link(token: str, *, now: datetime | None = None) -> User | Organisation:
    """Opt out whoever the link names (a person, or an MSO's contact address:
    every MSO with that address); doing it twice changes nothing."""
    who = unsubscribe.target(token)
    if who is None:
        raise DomainError("unsubscribe_invalid", _l("This link is not valid. Please use the link from the latest e-mail."))
    if isinstance(who, User):
        if who.office_news_opt_out_at is None:
            who.office_news_opt_out_at = now or utcnow()
    elif who.email:
        db.session.execute(update(Organisation)
                           .where(func.lower(Organisation.email) == who.email.lower())
                           .values(news_to_contact_email=False)
                           .execution_options(synchronize_session="fetch"))
    else:
        who.news_to_contact_email = False
    return who


def stop_news_for_address(actor: User, address: str, *, now: datetime | None = None) -> User | Organisation:
    """Staff act on a request to stop the news that came by e-mail (the
    ``mailto:`` of ``List-Unsubscribe``, or a reply): the account with that
    address opts out, and every MSO with it as contact address stops
    receiving them there. Returns the account, else the first such MSO."""
    ensure(is_staff, actor)
    now = now or utcnow()
    address = normalise_email(address)
    if "@" not in address:
        raise DomainError("address_invalid", _l("Please enter an e-mail address."))
    user = get_user_by_email(address)
    if user is not None and user.office_news_opt_out_at is not None:
        user = None  # opted out already
    if user is not None:
        user.office_news_opt_out_at = now
    orgs = list(db.session.scalars(select(Organisation).where(
        func.lower(Organisation.email) == address, Organisation.news_to_contact_email.is_(True))
        .order_by(Organisation.id)))
    for org in orgs:
        org.news_to_contact_email = False
    named = user or (orgs[0] if orgs else None)
    if named is None:
        raise DomainError("address_unknown", _l("No one receives the office's news at this address."))
    audit.record(actor, "office_news.stop", named, named.name, now=now,
                 account=user is not None, organisations=[o.id for o in orgs])
    return named


def set_office_news(user: User, wanted: bool, *, now: datetime | None = None) -> None:
    """The person's own choice on their account page."""
    if wanted:
        user.office_news_opt_out_at = None
    elif user.office_news_opt_out_at is None:
        user.office_news_opt_out_at = now or utcnow()


def office_mailings():
    """SELECT of the office news sent, newest first."""
    return (select(Mailing).where(Mailing.kind == MailingKind.OFFICE.value)
            .order_by(Mailing.sent_at.desc(), Mailing.id.desc()))
