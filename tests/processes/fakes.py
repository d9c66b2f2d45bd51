"""Test-only stand-ins for the budgets and consultations modules, reached
through the content registry exactly as the real ones are."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.extensions import db


class FakeLinkedItem(db.Model):
    """A budget edition or a consultation, as far as processes can see."""

    __tablename__ = "test_processes_linked_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))


class FakeBudgetProject(db.Model):
    __tablename__ = "test_processes_budget_project"
    id: Mapped[int] = mapped_column(primary_key=True)
    budget_id: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    district_id: Mapped[int | None] = mapped_column(sa.Integer)
    source_kind: Mapped[str] = mapped_column(sa.String(40))
    source_id: Mapped[int] = mapped_column(sa.Integer)
