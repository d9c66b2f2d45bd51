"""Column types shared by every model."""

from __future__ import annotations

import enum

import sqlalchemy as sa


def enum_column(cls: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """The type of a state or choice column for ``cls`` (a ``StrEnum``):
    stored as the members' values in a VARCHAR on every database, with a
    CHECK constraint so that the database itself refuses a value the enum
    does not have (house rule 4).

    The constraint is named ``ck_<table>_<name>`` by the metadata's naming
    convention, ``name`` defaulting to the enum class in lower case; a table
    with two columns of the same enum names the second one."""
    return sa.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                   create_constraint=True, name=name or cls.__name__.lower())
