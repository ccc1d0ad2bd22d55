"""Mail that is never lost: written to the outbox in the same transaction as
the change that causes it, rendered in the recipient's language, delivered later.

Two ways to queue a message, both adding an ``OutboxMessage`` row to the
current transaction (a rolled-back request queues nothing, a committed one can
never lose its mail):

* ``queue_recipe(to, kind, locale, payload)`` – the row says *what* to send
  (a kind, a small JSON payload of ids and scalars, the language); the mail
  worker renders it (``outbox.deliver_one`` calls the renderer registered for
  the kind with ``register_renderer``), keeps the bytes in
  ``raw`` and sends those. Used for the mail about registrations
  (``notifications.registrations``): they carry the calendar invite and the
  ticket's QR code, the costly part, and they are written on the busiest
  write path (the registration POST) while a seat is taken. A recipe that
  fails to render is marked failed at once (staff see it on /staff/outbox and
  may send it again); its registration stays.
* ``send_message(to, template, …)`` – renders at once and stores the bytes.
  Kept for the rest (account verification, password reset, mailings, MSO
  notes …): cheap plain messages, sent off paths where time is not short,
  whose template errors are best seen in the request that causes them.

Delivery (``outbox.deliver_due``) runs in ``flask --app app mail send [--loop]``
and, with ``MAIL_SEND_INLINE`` (the default, for development and small
set-ups), right after each commit on a background thread of the process
(``mail.inline``): rendering and SMTP never run on a request's thread.
Backends:

* ``smtp``   – when ``MAIL_SERVER`` is set,
* ``file``   – development sink: one ``.eml`` file per message in ``instance/mail``,
* ``memory`` – tests: messages collect in ``app.extensions["mail_outbox"]``
  (a list whose reads first wait for the background thread to be idle).
"""
from __future__ import annotations

import email
import email.policy
import logging
import smtplib
import ssl
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from ..i18n import with_formats
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_QUEUED_IDS = "miado_queued_mail_ids"
_SUPPRESSED = "miado_mail_suppressed"


def init_app(app) -> None:
    from .inline import DeliveredList, InlineDeliverer

    backend = app.config.get("MAIL_BACKEND")
    if not backend:
        backend = "smtp" if app.config.get("MAIL_SERVER") else "file"
    app.config["MAIL_BACKEND"] = backend
    deliverer = app.extensions.setdefault("mail_deliverer", InlineDeliverer(app))
    app.extensions.setdefault("mail_outbox", DeliveredList(deliverer))


# --- recipes: rows that say what to send; the worker renders them ----------------------------

#: kind → renderer(payload, *, to, locale) -> EmailMessage, or None when what
#: the mail was about is gone (nothing is sent then).
_RENDERERS: dict = {}


def register_renderer(kind: str, fn) -> None:
    """Name the function that renders outbox recipes of ``kind`` (a higher
    layer fills this in when the app is created; the mail layer imports none)."""
    _RENDERERS[kind] = fn


def render_recipe(kind: str, payload: dict, *, to: str, locale: str) -> EmailMessage | None:
    try:
        fn = _RENDERERS[kind]
    except KeyError:
        raise LookupError(f"no renderer for mail kind {kind!r}") from None
    return fn(payload, to=to, locale=locale)


def queue_recipe(to: str | None, kind: str, locale: str | None, payload: dict, *, template: str) -> None:
    """Queue a message the mail worker renders: ``payload`` holds ids and
    scalars only (JSON), never rendered text. Nothing for an empty ``to``."""
    from ..extensions import db
    from ..models.mail import OutboxMessage

    if not to:
        return
    session = db.session()
    if not session.info.get(_SUPPRESSED):
        session.add(OutboxMessage(to_address=to, subject="", template=template[:64], kind=kind,
                                  payload=payload,
                                  locale=locale or current_app.config["BABEL_DEFAULT_LOCALE"]))


def deliver_after_commit(ids) -> None:
    """Hand these outbox rows to the inline deliverer once the current
    transaction commits (as new rows are; e.g. one staff asked to send again)."""
    from ..extensions import db

    db.session().info.setdefault(_QUEUED_IDS, []).extend(ids)


def reply_to_address() -> str:
    """Where answers to any of our mails go: ``MAIL_REPLY_TO``, else the
    office (``OFFICE_NAME`` <``OFFICE_EMAIL``>, ``CONTACT_EMAIL`` without one).
    The mails themselves come from ``MAIL_DEFAULT_SENDER``, which may be a
    no-reply address."""
    config = current_app.config
    if config.get("MAIL_REPLY_TO"):
        return config["MAIL_REPLY_TO"]
    address = config.get("OFFICE_EMAIL") or config.get("CONTACT_EMAIL")
    return formataddr((config.get("OFFICE_NAME") or "", address))


def render_message(to: str, template: str, locale: str, *, calendar: tuple[str, bytes] | None = None,
                   images: dict[str, bytes] | None = None, headers: dict[str, str] | None = None,
                   attachments: list[tuple[str, str, bytes]] | None = None, **context) -> EmailMessage:
    """Build the e-mail from ``emails/<template>.txt`` (blocks ``subject`` and
    ``body``) and ``emails/<template>.html`` (block ``body``). ``calendar`` is
    ``(method, ics_bytes)``: it goes in as a ``text/calendar; method=…`` part
    (mail clients show it as an invitation) and as an ``.ics`` attachment.
    ``images`` maps a content id to PNG bytes shown inline by the HTML part
    (``<img src="cid:<id>">``), e.g. the ticket's QR code. ``headers`` are
    added as they are (e.g. ``List-Unsubscribe``); ``attachments`` are
    ``(filename, content type, bytes)``. Every message carries ``Reply-To:``
    the office (``reply_to_address``), so an answer reaches people."""
    context.setdefault("base_url", current_app.config["BASE_URL"])
    with force_locale(with_formats(locale)):
        env = current_app.jinja_env
        txt = env.get_template(f"emails/{template}.txt")
        ctx_vars = dict(context)
        current_app.update_template_context(ctx_vars)
        subject = "".join(txt.blocks["subject"](txt.new_context(ctx_vars))).strip()
        text = render_template(f"emails/{template}.txt", subject=subject, **context)
        html = render_template(f"emails/{template}.html", subject=subject, lang=locale, **context)
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Reply-To"] = reply_to_address()
    for name, value in (headers or {}).items():
        msg[name] = value
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="mia-do-events")
    msg.set_content(text.strip() + "\n")
    msg.add_alternative(html, subtype="html")
    for cid, png in (images or {}).items():
        msg.get_body(("html",)).add_related(png, maintype="image", subtype="png",
                                            cid=f"<{cid}>", filename=f"{cid}.png",
                                            disposition="inline")
    if calendar is not None:
        method, ics = calendar
        msg.add_alternative(ics.decode("utf-8"), subtype="calendar", params={"method": method})
        msg.add_attachment(ics, maintype="application", subtype="ics",
                           filename="cancel.ics" if method == "CANCEL" else "invite.ics")
    for filename, content_type, data in attachments or ():
        maintype, subtype = content_type.split("/", 1)
        if maintype == "text":  # UTF-8 text keeps its charset
            msg.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    msg["Content-Language"] = locale  # after set_content, which clears Content-* headers
    return msg


def send_message(to: str | None, template: str, locale: str | None = None, *,
                 calendar: tuple[str, bytes] | None = None, images: dict[str, bytes] | None = None,
                 headers: dict[str, str] | None = None, attachments: list[tuple[str, str, bytes]] | None = None,
                 **context) -> EmailMessage | None:
    """Render one e-mail and queue it in the outbox, in the current transaction.

    A person without an e-mail address (registered by phone or at the door)
    gets nothing: ``to`` is empty, nothing is rendered or queued, None is returned."""
    from ..extensions import db
    from ..models.mail import OutboxMessage

    if not to:
        return None
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    msg = render_message(to, template, locale, calendar=calendar, images=images, headers=headers,
                         attachments=attachments, **context)
    session = db.session()
    if not session.info.get(_SUPPRESSED):
        session.add(OutboxMessage(to_address=to, subject=msg["Subject"][:300], template=template,
                                  raw=bytes(msg)))
    return msg


@contextmanager
def suppressed():
    """Queue no mail inside this block (e.g. while loading demo data)."""
    from ..extensions import db

    session = db.session()
    session.info[_SUPPRESSED] = True
    try:
        yield
    finally:
        session.info.pop(_SUPPRESSED, None)


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


# Remember which outbox rows this transaction wrote, to deliver them right
# after the commit when MAIL_SEND_INLINE is on.

@event.listens_for(Session, "after_flush")
def _remember_queued(session: Session, _flush_context) -> None:
    from ..models.mail import OutboxMessage

    new_ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new_ids:
        session.info.setdefault(_QUEUED_IDS, []).extend(new_ids)


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    # Releasing a savepoint fires this too; only the real commit makes the
    # rows visible to the sender.
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_QUEUED_IDS, None)
    if not ids or not current_app.config.get("MAIL_SEND_INLINE", True):
        return
    # Never on this thread (a request's): the process's delivery thread
    # renders and sends; a row it cannot send stays queued for the sender.
    current_app.extensions["mail_deliverer"].submit(ids)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_QUEUED_IDS, None)


def deliver(msg: EmailMessage) -> None:
    """Hand one message to the configured backend; raise when it fails."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions["mail_outbox"].append(msg)
    elif backend == "file":
        folder = Path(current_app.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        name = msg["Message-ID"].strip("<>").replace("@", "_") + ".eml"
        (folder / name).write_bytes(bytes(msg))
        log.info("mail to %s written to %s", msg["To"], folder / name)
    elif backend == "smtp":
        _deliver_smtp(msg)
    else:
        raise RuntimeError(f"unknown MAIL_BACKEND {backend!r}")


def _deliver_smtp(msg: EmailMessage) -> None:
    cfg = current_app.config
    host, port = cfg["MAIL_SERVER"], cfg["MAIL_PORT"]
    timeout = cfg.get("MAIL_TIMEOUT", 30)
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, context=ssl.create_default_context(), timeout=timeout)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)
