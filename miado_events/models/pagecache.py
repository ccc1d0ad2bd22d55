from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DataVersion(db.Model):
    """A value that changes (to a new random number) in every transaction that
    changes data shown on public pages; see ``miado_events.pagecache``."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
