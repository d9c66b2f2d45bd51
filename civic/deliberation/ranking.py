"""The "most constructive" ordering: a bridging score.

A comment ranks high when people on *both* sides of the question found it
useful, not when one side cheers it on. The help page
(``/debates/how-sorting-works``) explains this to residents with the same
formula; keep the two in step.

For a comment c, each "useful" / "not useful" reaction is counted in the
group of the person who gave it:

- the person's **stance** on the item is the alignment (for / against /
  neutral) of their latest top-level comment on it that is still visible;
  people who never took a side count as neutral;
- per side x in {for, against}: U_x useful, N_x not useful, and
  ``smoothed_x = (U_x + 1) / (U_x + N_x + 2)`` (Laplace smoothing: no votes
  gives 1/2, one vote moves it only a little);
- ``score = min(smoothed_for, smoothed_against)``: the comment is only as
  good as its reception on the side that likes it least.

Ties are broken, in order, by the neutral participants' smoothed usefulness
(higher first), then by the total of "useful" reactions (higher first), then
by age (older first, i.e. lower id). On items without sides (a petition),
every reaction is in one group and the score is ``(U + 1) / (U + N + 2)``.

When another module inferred opinion groups for the item's participants
from their votes (a conversation on the debate, through
``content.opinion_groups``), those groups replace the declared sides: the
score is the minimum of the smoothed usefulness over the groups, and
people in no group count with the neutral ones in the tie-break.
Deleted and hidden comments keep their place in their thread but go after
all the others. Fractions are exact, so the order is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sqlalchemy as sa

from civic.deliberation.models import Alignment, Comment, Reaction, ReactionValue
from civic.extensions import db

GROUPS = ("for", "against", "neutral")


@dataclass
class Counts:
    """Reactions to one comment, per group of the people who reacted."""

    useful: dict = field(default_factory=lambda: {g: 0 for g in GROUPS})
    not_useful: dict = field(default_factory=lambda: {g: 0 for g in GROUPS})

    @property
    def total_useful(self) -> int:
        return sum(self.useful.values())

    @property
    def total_not_useful(self) -> int:
        return sum(self.not_useful.values())


def smoothed(useful: int, not_useful: int) -> Fraction:
    """Laplace-smoothed share of "useful": (U + 1) / (U + N + 2)."""
    return Fraction(useful + 1, useful + not_useful + 2)


def bridging_score(counts: Counts, sided: bool = True) -> Fraction:
    """min(smoothed_for, smoothed_against), or the smoothed share of all
    reactions on items without sides."""
    if not sided:
        return smoothed(counts.total_useful, counts.total_not_useful)
    return min(smoothed(counts.useful["for"], counts.not_useful["for"]),
               smoothed(counts.useful["against"], counts.not_useful["against"]))


def sort_key(comment_id: int, counts: Counts, sided: bool = True, gone: bool = False) -> tuple:
    """Ascending sort key: best first, with the documented tie-break."""
    return (
        1 if gone else 0,
        -bridging_score(counts, sided),
        -smoothed(counts.useful["neutral"], counts.not_useful["neutral"]) if sided else 0,
        -counts.total_useful,
        comment_id,
    )


def stance_subquery(kind: str, object_id: int):
    """(author_id, alignment) of each person's latest visible top-level comment on the item."""
    rn = sa.func.row_number().over(partition_by=Comment.author_id,
                                   order_by=(Comment.created_at.desc(), Comment.id.desc())).label("rn")
    latest = (sa.select(Comment.author_id.label("author_id"), Comment.alignment.label("alignment"), rn)
              .where(Comment.kind == kind, Comment.object_id == object_id, Comment.parent_id.is_(None),
                     Comment.deleted_at.is_(None), Comment.hidden_at.is_(None), Comment.alignment.is_not(None),
                     Comment.author_id.is_not(None))
              .subquery())
    return sa.select(latest.c.author_id, latest.c.alignment).where(latest.c.rn == 1).subquery()


def group_score(counts: Counts, group_names) -> Fraction:
    """With opinion groups inferred from votes: the smoothed usefulness in the
    group that likes the comment least (people in no group do not count)."""
    return min(smoothed(counts.useful.get(g, 0), counts.not_useful.get(g, 0)) for g in group_names)


def group_counts(kind: str, object_id: int, group_of: dict) -> dict[int, Counts]:
    """Counts per top-level comment of the item and per opinion group of the
    reacting person (``group_of``: user id -> group); one query."""
    stmt = (sa.select(Reaction.comment_id, Reaction.user_id, Reaction.value)
            .join(Comment, Comment.id == Reaction.comment_id)
            .where(Comment.kind == kind, Comment.object_id == object_id, Comment.parent_id.is_(None)))
    out: dict[int, Counts] = {}
    for comment_id, user_id, value in db.session.execute(stmt):
        group = f"group-{group_of[user_id]}" if user_id in group_of else "neutral"
        counts = out.setdefault(comment_id, Counts())
        target = counts.useful if ReactionValue(value) == ReactionValue.USEFUL else counts.not_useful
        target[group] = target.get(group, 0) + 1
    return out


def rank_by_groups(rows, counts: dict[int, Counts], group_names) -> list:
    """Order ``rows`` by the bridging score across inferred opinion groups, with
    the documented tie-break (usefulness among people in no group, total
    useful, age)."""
    def key(r):
        c = counts.get(r.id) or Counts()
        return (1 if r.gone else 0, -group_score(c, group_names),
                -smoothed(c.useful["neutral"], c.not_useful["neutral"]), -c.total_useful, r.id)
    return sorted(rows, key=key)


def reaction_counts(kind: str, object_id: int, comment_ids=None, top_level_only: bool = True) -> dict[int, Counts]:
    """Counts per comment of the item and per group of the reacting person (one query)."""
    stance = stance_subquery(kind, object_id)
    stmt = (sa.select(Reaction.comment_id, stance.c.alignment, Reaction.value, sa.func.count())
            .join(Comment, Comment.id == Reaction.comment_id)
            .outerjoin(stance, stance.c.author_id == Reaction.user_id)
            .where(Comment.kind == kind, Comment.object_id == object_id)
            .group_by(Reaction.comment_id, stance.c.alignment, Reaction.value))
    if top_level_only:
        stmt = stmt.where(Comment.parent_id.is_(None))
    if comment_ids is not None:
        stmt = stmt.where(Reaction.comment_id.in_(list(comment_ids)))
    out: dict[int, Counts] = {}
    for comment_id, alignment, value, n in db.session.execute(stmt):
        group = alignment.value if isinstance(alignment, Alignment) else (alignment or "neutral")
        counts = out.setdefault(comment_id, Counts())
        target = counts.useful if ReactionValue(value) == ReactionValue.USEFUL else counts.not_useful
        target[group] += n
    return out


def rank(rows, counts: dict[int, Counts], sided: bool) -> list:
    """Order ``rows`` (objects with ``id`` and a ``gone`` flag) by constructiveness."""
    return sorted(rows, key=lambda r: sort_key(r.id, counts.get(r.id) or Counts(), sided, r.gone))
