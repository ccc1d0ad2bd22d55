from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DataVersion(db.Model):
    """The version of one scope of the public pages (``site`` or
    ``event:<id>``): it grows, by a random step, in every transaction that
    changes data of that scope; see ``miado_events.pagecache``."""

    __tablename__ = "data_versions"
    __table_args__ = (
        # Every row only grows from a positive start, so sums over rows grow too.
        CheckConstraint("version > 0", name="version_positive"),
    )

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
