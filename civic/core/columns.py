"""Column types shared by every model."""

from __future__ import annotations

import enum

import sqlalchemy as sa


def enum_column(cls: type[enum.Enum], length: int = 20) -> sa.Enum:
    """A state or choice column for ``cls`` (a ``StrEnum``): stored as its
    values in a VARCHAR on every database, with a CHECK constraint so that
    the database itself refuses a value the enum does not have (house rule 4),
    and validated in Python before it gets there. The constraint is named
    ``ck_<table>_<enum class in lower case>`` by the metadata's convention."""
    return sa.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                   create_constraint=True, validate_strings=True, name=cls.__name__.lower())
