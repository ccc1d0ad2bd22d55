"""What staff publish after a meeting: the minutes of a session and its
materials (uploaded files).

Each item has a visibility (``ItemVisibility``) and is a draft until
published; who may see an item is decided in one place,
``miado_events.meetings.materials.can_see``. A material's bytes live in a
file under ``MATERIALS_DIR`` with a random name (``stored_name``); the row
keeps the name people see and the type sniffed from the bytes.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..enums import RichEnum
from ..extensions import db
from .accounts import User
from .events import EventSession


class ItemVisibility(RichEnum):
    PUBLIC = "public", _l("Everyone")
    PARTICIPANTS = "participants", _l("Participants and MSO members")
    STAFF = "staff", _l("Staff only")


class _Publishable:
    """What minutes and materials share: a visibility and a publication time."""

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def visibility_label(self):
        return ItemVisibility.label_of(self.visibility)


class SessionMinutes(_Publishable, db.Model):
    """The minutes of one session (Markdown, rendered by ``meetings.minutes``)."""

    __tablename__ = "session_minutes"
    __table_args__ = (
        ItemVisibility.check_constraint("visibility", name="visibility_valid"),
    )

    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), default=ItemVisibility.PARTICIPANTS.value)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The staff member who wrote last (None once their account is deleted).
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[EventSession] = relationship()
    updated_by: Mapped[User | None] = relationship()


class Material(_Publishable, db.Model):
    """One uploaded file of a session."""

    __tablename__ = "materials"
    __table_args__ = (
        ItemVisibility.check_constraint("visibility", name="visibility_valid"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        Index("ix_materials_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_sessions.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    #: The file name offered on download (cleaned; its extension fits the type).
    filename: Mapped[str] = mapped_column(String(200))
    #: The random name of the file under MATERIALS_DIR.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    #: The type sniffed from the bytes (a MIME type on the allow-list).
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    visibility: Mapped[str] = mapped_column(String(16), default=ItemVisibility.PARTICIPANTS.value)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: None once the uploader's account is deleted: the material stays.
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[EventSession] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
