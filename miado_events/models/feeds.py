"""Calendar feeds as built, shared by every app process (see
``miado_events.calendar.feeds``): a copy is served while the data version
and the date are those it was built for.

Not a table the page cache watches: writing a copy changes no data version.
A personal copy belongs to its person (``user_id``) and goes with them.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class SharedFeed(db.Model):
    """One feed in one language: ``me:<user id>:<language>`` or
    ``public:<kind or all>:<language>``."""

    __tablename__ = "feed_copies"
    __table_args__ = (
        # A personal feed's copy is deleted with its person (ON DELETE CASCADE).
        CheckConstraint("name NOT LIKE 'me:%' OR user_id IS NOT NULL", name="personal_has_owner"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: ``pagecache.current_version()`` read before the feed's data.
    version: Mapped[int] = mapped_column(BigInteger)
    #: The UTC date it was built for (the last month counts from its start).
    day: Mapped[date] = mapped_column(Date)
    etag: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    #: Last-Modified: when this content was first built (kept while rebuilds give the same ETag).
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())
