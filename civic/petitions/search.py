"""Text search over petitions: PostgreSQL full-text search, LIKE on SQLite.

One function per need, each with its SQLite fallback (DESIGN.md, "Runtime").
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from civic.extensions import db
from civic.petitions.models import Petition, PetitionState

_WORD = re.compile(r"\w{4,}", re.UNICODE)
# Common French and English words that make every petition look similar.
_STOP = {"pour", "dans", "avec", "sans", "leur", "leurs", "nous", "vous", "cette", "sont", "plus", "faire",
         "demander", "demandons", "demande", "mairie", "ville", "that", "this", "with", "from", "have", "should",
         "city", "council", "petition", "pétition", "toulouse", "place", "créer", "mettre"}


def _pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def _document():
    return sa.func.to_tsvector("french", sa.func.coalesce(Petition.title, "") + " " +
                               sa.func.coalesce(Petition.background, ""))


def keywords(text: str, limit: int = 8) -> list[str]:
    seen = []
    for w in _WORD.findall((text or "").lower()):
        if w not in _STOP and w not in seen and not w.isdigit():
            seen.append(w)
    return seen[:limit]


def match(stmt, q: str):
    """Restrict a select of petitions to those matching the search ``q``."""
    q = (q or "").strip()
    if not q:
        return stmt
    if _pg():
        return stmt.where(_document().op("@@")(sa.func.websearch_to_tsquery("french", q)))
    words = [w for w in re.findall(r"\w+", q.lower()) if len(w) > 1] or [q.lower()]
    for w in words[:8]:
        like = f"%{w}%"
        stmt = stmt.where(sa.or_(sa.func.lower(Petition.title).like(like),
                                 sa.func.lower(Petition.background).like(like)))
    return stmt


def similar_open(text: str, exclude_id: int | None = None, limit: int = 5) -> list[Petition]:
    """Open petitions sharing words with ``text``, best match first."""
    words = keywords(text)
    if not words:
        return []
    stmt = sa.select(Petition).where(Petition.state == PetitionState.OPEN)
    if exclude_id:
        stmt = stmt.where(Petition.id != exclude_id)
    if _pg():
        query = sa.func.to_tsquery("french", " | ".join(words))
        stmt = stmt.where(_document().op("@@")(query)).order_by(
            sa.func.ts_rank(_document(), query).desc(), Petition.signature_count.desc()).limit(limit)
        return db.session.scalars(stmt).all()
    conds = []
    for w in words:
        like = f"%{w}%"
        conds.append(sa.or_(sa.func.lower(Petition.title).like(like), sa.func.lower(Petition.background).like(like)))
    candidates = db.session.scalars(stmt.where(sa.or_(*conds)).limit(100)).all()

    def score(p):
        hay = f"{p.title} {p.background}".lower()
        return sum(1 for w in words if w in hay)

    return sorted(candidates, key=lambda p: (-score(p), -p.signature_count))[:limit]
