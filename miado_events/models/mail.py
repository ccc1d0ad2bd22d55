"""The durable outbox: every e-mail is a row, written in the same transaction
as the change that causes it."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db


class OutboxStatus(RichEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    # A recipe whose subject is gone (the registration was deleted before the
    # mail went out): nothing to tell, nothing sent, kept for staff to see.
    DROPPED = "dropped"


class OutboxMessage(db.Model):
    """One e-mail. Either rendered at once (``raw`` holds the message) or a
    recipe (``kind`` + ``payload`` + ``locale`` say what to send; the mail
    worker renders it, stores ``raw`` and sends those bytes, also on a retry)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        OutboxStatus.check_constraint("status", name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("raw IS NOT NULL OR kind IS NOT NULL", name="raw_or_kind"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    template: Mapped[str] = mapped_column(String(64))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # the whole RFC 5322 message, once rendered
    # A recipe: which renderer (``mail.register_renderer``), its JSON payload
    # (ids and scalar context, never rendered text) and the recipient's language.
    kind: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict | None] = mapped_column(JSON)
    locale: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_failed(self) -> bool:
        return self.status == OutboxStatus.FAILED.value

    @property
    def is_rendered(self) -> bool:
        return self.raw is not None


class MailingKind(RichEnum):
    """Whom a mailing was written to."""

    EVENT = "event", _l("People registered for an event")
    OFFICE = "office", _l("MSOs (office news)")


class Mailing(db.Model):
    """A message staff wrote: to the people registered for an event (kind
    ``event``), or office news to MSOs (kind ``office``: their representatives
    and the contact addresses of MSOs that agreed; see miado_events/outreach).
    One table for both, so the archive, the audit entry and the privacy scrub
    of free text cover every mailing the office sent."""

    __tablename__ = "mailings"
    __table_args__ = (
        MailingKind.check_constraint("kind", name="kind_valid"),
        CheckConstraint("recipients >= 0 AND left_out >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=MailingKind.EVENT.value,
                                      server_default=MailingKind.EVENT.value)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sender_name: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Office news only: the filters chosen ({"district": [...], "region": [...],
    # "language": [...], "field": [...]}; empty: every listed MSO), the texts in
    # other languages ({"en": {"subject": ..., "body": ...}}), how many people
    # were left out because they opted out, and the key of the preview it was
    # sent from (unique: a second click on "Send" sends nothing twice).
    filters: Mapped[dict | None] = mapped_column(JSON)
    translations: Mapped[dict | None] = mapped_column(JSON)
    left_out: Mapped[int] = mapped_column(default=0, server_default="0")
    draft_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    event = relationship("Event")

    @property
    def is_office_news(self) -> bool:
        return self.kind == MailingKind.OFFICE.value
