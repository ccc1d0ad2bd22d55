"""Mail: render a message in the recipient's language; deliver after commit.

``send_message`` is the single function callers use. The message is rendered
at once (so template errors surface in the request) but handed over for
delivery only when the surrounding database transaction commits; a rolled-back
transaction sends nothing. Backends:

* ``smtp``   – when ``MAIL_SERVER`` is set,
* ``file``   – development sink: one ``.eml`` file per message in ``instance/mail``,
* ``memory`` – tests: messages collect in ``app.extensions["mail_outbox"]``.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING_KEY = "miado_pending_mail"


def init_app(app) -> None:
    backend = app.config.get("MAIL_BACKEND")
    if not backend:
        backend = "smtp" if app.config.get("MAIL_SERVER") else "file"
    app.config["MAIL_BACKEND"] = backend
    app.extensions.setdefault("mail_outbox", [])


def render_message(to: str, template: str, locale: str, **context) -> EmailMessage:
    """Build the e-mail from ``emails/<template>.txt`` (blocks ``subject`` and
    ``body``) and ``emails/<template>.html`` (block ``body``)."""
    context.setdefault("base_url", current_app.config["BASE_URL"])
    with force_locale(locale):
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
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="mia-do-events")
    msg.set_content(text.strip() + "\n")
    msg.add_alternative(html, subtype="html")
    msg["Content-Language"] = locale  # after set_content, which clears Content-* headers
    return msg


def send_message(to: str, template: str, locale: str | None = None, **context) -> EmailMessage:
    """Render and queue one e-mail; it leaves when the current transaction commits."""
    from ..extensions import db

    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    msg = render_message(to, template, locale, **context)
    session = db.session()
    session.info.setdefault(_PENDING_KEY, []).append(msg)
    return msg


def discard_pending() -> None:
    """Drop the messages queued in this transaction (e.g. demo data needs no mail)."""
    from ..extensions import db

    db.session().info.pop(_PENDING_KEY, None)


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    for msg in pending:
        try:
            deliver(msg)
        except Exception:  # a failing mail server never breaks the request
            log.exception("could not deliver mail to %s", msg["To"])


@event.listens_for(Session, "after_soft_rollback")
def _discard_after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def deliver(msg: EmailMessage) -> None:
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
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, context=ssl.create_default_context(), timeout=30)
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
    with smtp:
        if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        smtp.send_message(msg)
