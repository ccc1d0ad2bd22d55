"""Enums that carry their labels and their CHECK constraint.

One definition per set of codes: the value stored in the database, the
label people read (lazily translated) and the CHECK constraint that makes
the database refuse any other value all come from the enum::

    class EventStatus(RichEnum):
        DRAFT = "draft", _l("Draft")
        PUBLISHED = "published", _l("Published")

    EventStatus.DRAFT.value                    # 'draft' (what is stored)
    EventStatus.DRAFT.label                    # 'Entwurf' in German
    EventStatus.labels()                       # {'draft': ..., 'published': ...}
    EventStatus.check_constraint("status", name="status_valid")

Like indico's ``RichEnum`` (``indico/util/enum.py``), but the label sits next
to the value instead of in a separate ``__titles__`` list. Members are
strings (``str`` mixin), so they compare equal to the stored value.
"""
from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint


def sql_in(column: str, values) -> str:
    """``column IN ('a', 'b')`` for a CHECK constraint or an index's WHERE
    clause. The values are the codes of an enum defined in this code base,
    never user input; a quote would make them unusable, so it is refused."""
    values = [v.value if isinstance(v, enum.Enum) else v for v in values]
    if not values or any("'" in v for v in values):
        raise ValueError(f"not usable as SQL literals: {values!r}")
    return f"{column} IN ({', '.join(repr_sql(v) for v in values)})"


def repr_sql(value: str) -> str:
    return f"'{value}'"


class RichEnum(str, enum.Enum):
    """A ``str`` enum whose members may carry a label: ``NAME = value, label``."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> dict:
        """``{value: label}`` in the enum's order (form choices, filters)."""
        return {member.value: member.label for member in cls}

    @classmethod
    def label_of(cls, code):
        """The label of a stored value; an unknown value is shown as it is."""
        try:
            return cls(code).label
        except ValueError:
            return code

    @classmethod
    def sql_in(cls, column: str, members=None) -> str:
        """``column IN (...)`` over all values, or over ``members``."""
        return sql_in(column, cls if members is None else members)

    @classmethod
    def check_constraint(cls, column: str, *, name: str) -> CheckConstraint:
        """The CHECK constraint that keeps ``column`` within the enum's values."""
        return CheckConstraint(cls.sql_in(column), name=name)
