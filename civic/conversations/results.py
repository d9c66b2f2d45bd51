"""Computing a conversation's opinion groups from its stored votes, and reading
the stored result back for the pages.

``compute_and_store`` is what the job runs: it reads the votes of the visible
statements (one query), runs :func:`civic.conversations.groups.compute`, and
replaces the stored result. It is idempotent: the same votes give the same
result (k-means is seeded), and a run with nothing new does nothing.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import sqlalchemy as sa

from civic.conversations import groups
from civic.conversations.models import (
    Conversation,
    ConversationResult,
    GroupMembership,
    Statement,
    StatementVote,
)
from civic.core.time import utcnow
from civic.extensions import db

# The map bins participants in a grid of this many cells per side: a dot per
# occupied cell and group, sized by its count, so neither the page weight nor
# anyone's exact position depends on how many took part.
MAP_BINS = 24
# A group or a map cell of fewer people than this is not drawn as its own dot
# (it is merged into "few people" so nobody is singled out); the tables still
# count them in their group's totals.
GROUP_LETTERS = "ABCDE"


def vote_arrays(conversation_id: int):
    """(voter keys, statement ids, participants, statements, values) for the
    visible statements' votes; voter keys are ("u", user_id) or ("p", id)."""
    rows = db.session.execute(
        sa.select(StatementVote.user_id, StatementVote.participant, StatementVote.statement_id, StatementVote.value)
        .join(Statement, Statement.id == StatementVote.statement_id)
        .where(StatementVote.conversation_id == conversation_id, Statement.hidden_at.is_(None))
        .order_by(StatementVote.id)).all()
    voters: dict = {}
    statement_ids: dict = {}
    p, s, v = [], [], []
    for user_id, participant, statement_id, value in rows:
        key = ("u", user_id) if user_id is not None else ("p", participant)
        p.append(voters.setdefault(key, len(voters)))
        s.append(statement_ids.setdefault(statement_id, len(statement_ids)))
        v.append(value)
    return (list(voters), list(statement_ids), np.asarray(p, dtype=np.int64), np.asarray(s, dtype=np.int64),
            np.asarray(v, dtype=np.float64))


def _bins(coords: np.ndarray, members: np.ndarray, labels: np.ndarray) -> tuple[list, list]:
    """Binned map points [(x, y, group, count)] in 0..1 and the bin of each member."""
    if len(members) == 0:
        return [], []
    pts = coords[members]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    cells = np.minimum(((pts - lo) / span * MAP_BINS).astype(int), MAP_BINS - 1)
    counts: dict = {}
    for (cx, cy), g in zip(cells.tolist(), labels.tolist(), strict=True):
        counts[(cx, cy, g)] = counts.get((cx, cy, g), 0) + 1
    points = [{"x": round((cx + 0.5) / MAP_BINS, 4), "y": round((cy + 0.5) / MAP_BINS, 4), "group": g, "count": n}
              for (cx, cy, g), n in sorted(counts.items())]
    centres = [((cx + 0.5) / MAP_BINS, (cy + 0.5) / MAP_BINS) for cx, cy in cells.tolist()]
    return points, centres


def compute_and_store(conversation_id: int, *, force: bool = False) -> ConversationResult | None:
    """Recompute the groups of one conversation if its votes changed since the
    last result (or ``force``); returns the stored result, or None when the
    conversation is gone. The caller commits."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    stored = db.session.get(ConversationResult, conversation_id)
    if stored is not None and stored.changes == conversation.changes and not force:
        return stored
    voters, statement_ids, p, s, v = vote_arrays(conversation_id)
    previous = None
    if stored is not None and stored.payload.get("base_centres"):
        previous = SimpleNamespace(base_centres=np.asarray(stored.payload["base_centres"]))
    result = groups.compute(p, s, v, len(voters), len(statement_ids), previous=previous)
    points, centres = _bins(result.coords, result.members, result.labels)
    payload = {
        "n_participants": len(voters),
        "n_votes": int(len(v)),
        "n_clustered": int(len(result.members)),
        "n_groups": int(result.n_groups) if len(result.members) else 0,
        "group_sizes": [int((result.labels == g).sum()) for g in range(result.n_groups)] if len(result.members) else [],
        "statements": {
            str(sid): {
                "agree": [int(x) for x in result.agree[:, i]] if result.n_groups else [],
                "disagree": [int(x) for x in result.disagree[:, i]] if result.n_groups else [],
                "seen": [int(x) for x in result.seen[:, i]] if result.n_groups else [],
                "consensus": round(float(result.consensus[i]), 6),
                "divisive": round(float(result.divisive[i]), 6),
            } for i, sid in enumerate(statement_ids)},
        "consensus": [statement_ids[i] for i in result.consensus_order()] if len(result.members) else [],
        "divisive": [statement_ids[i] for i in result.divisive_order()] if len(result.members) else [],
        "representative": [[[statement_ids[si], side] for si, side, _m in group] for group in result.representative]
        if result.n_groups > 1 else [],
        "points": points,
        "base_centres": np.asarray(result.base_centres).round(6).tolist(),
    }
    if stored is None:
        stored = ConversationResult(conversation_id=conversation_id, changes=conversation.changes,
                                    payload=payload, computed_at=utcnow())
        db.session.add(stored)
    else:
        stored.changes, stored.payload, stored.computed_at = conversation.changes, payload, utcnow()
    db.session.execute(sa.delete(GroupMembership).where(GroupMembership.conversation_id == conversation_id))
    memberships = [
        {"conversation_id": conversation_id, "user_id": voters[m][1], "group_number": int(g), "x": c[0], "y": c[1]}
        for m, g, c in zip(result.members.tolist(), result.labels.tolist(), centres, strict=True) if voters[m][0] == "u"]
    if memberships:
        db.session.execute(sa.insert(GroupMembership), memberships)
    db.session.flush()
    return stored


def letter(group: int) -> str:
    """The name a group is shown by: A for the largest, then B, C..."""
    return GROUP_LETTERS[group] if 0 <= group < len(GROUP_LETTERS) else str(group + 1)


def view_of(conversation: Conversation, user_id: int | None) -> dict | None:
    """What the results section shows: groups with sizes and letters, statements
    with per-group agreement (rates and counts), consensus first, each group's
    representative statements, the binned map and the viewer's place.
    None before the first computation."""
    stored = db.session.get(ConversationResult, conversation.id)
    if stored is None or not stored.payload.get("n_groups"):
        return None
    data = stored.payload
    texts = dict(db.session.execute(
        sa.select(Statement.id, Statement.text).where(Statement.conversation_id == conversation.id,
                                                     Statement.hidden_at.is_(None))).all())

    def row(sid):
        st = data["statements"].get(str(sid))
        if st is None or sid not in texts:
            return None
        per_group = []
        for g in range(data["n_groups"]):
            seen, agree, disagree = st["seen"][g], st["agree"][g], st["disagree"][g]
            per_group.append({"group": letter(g), "seen": seen, "agree": agree, "disagree": disagree,
                              "agree_pct": round(100 * agree / seen) if seen else None,
                              "disagree_pct": round(100 * disagree / seen) if seen else None})
        return {"id": sid, "text": texts[sid], "groups": per_group, "consensus": st["consensus"]}

    consensus = [r for r in (row(sid) for sid in data["consensus"][:5]) if r]
    divisive = [r for r in (row(sid) for sid in data["divisive"][:3]) if r]
    representative = []
    for g, items in enumerate(data["representative"]):
        representative.append({"group": letter(g), "size": data["group_sizes"][g],
                               "items": [dict(r, side=side) for r, side in
                                         ((row(sid), side) for sid, side in items) if r]})
    me = None
    if user_id is not None:
        membership = db.session.get(GroupMembership, (conversation.id, user_id))
        if membership is not None:
            me = {"group": letter(membership.group_number), "x": membership.x, "y": membership.y}
    return {"computed_at": stored.computed_at, "n_participants": data["n_participants"],
            "n_clustered": data["n_clustered"], "n_votes": data["n_votes"],
            "groups": [{"letter": letter(g), "size": n} for g, n in enumerate(data["group_sizes"])],
            "consensus": consensus, "divisive": divisive, "representative": representative,
            "points": [dict(p, letter=letter(p["group"])) for p in data["points"]], "me": me,
            "all": [r for r in (row(int(sid)) for sid in data["statements"]) if r]}


def conclusion_summary(kind_name: str, obj) -> str | None:
    """For the official's conclusion of a debate or consultation that hosts a
    conversation with groups: the statements that unite the groups and those
    that divide them, with each group's agreement, in Markdown."""
    from flask_babel import gettext as _
    from flask_babel import ngettext

    conversation = db.session.scalar(sa.select(Conversation).where(Conversation.host_kind == kind_name,
                                                                    Conversation.host_id == obj.id))
    if conversation is None:
        return None
    view = view_of(conversation, None)
    if view is None:
        return None

    def line(row) -> str:
        shares = ", ".join(_("group %(letter)s %(pct)d%%", letter=g["group"], pct=g["agree_pct"])
                           for g in row["groups"] if g["agree_pct"] is not None)
        return f"- {row['text']} ({shares})"

    parts = [_("**What the conversation showed** (%(participants)s, %(groups)s):",
               participants=ngettext("%(num)d participant", "%(num)d participants", view["n_participants"]),
               groups=ngettext("%(num)d opinion group", "%(num)d opinion groups", len(view["groups"])))]
    if view["consensus"]:
        parts.append(_("What unites the groups:") + "\n\n" + "\n".join(line(r) for r in view["consensus"][:3]))
    if view["divisive"]:
        parts.append(_("Where the groups differ most:") + "\n\n" + "\n".join(line(r) for r in view["divisive"][:3]))
    return "\n\n".join(parts)


def group_of_participants(kind_name: str, object_id: int) -> dict | None:
    """For deliberation's bridging order: user id -> opinion group of the people
    placed in a group by the conversation on the item, or None."""
    conversation_id = db.session.scalar(sa.select(Conversation.id).where(
        Conversation.host_kind == kind_name, Conversation.host_id == object_id))
    if conversation_id is None:
        return None
    return dict(db.session.execute(sa.select(GroupMembership.user_id, GroupMembership.group_number)
                                   .where(GroupMembership.conversation_id == conversation_id)).all()) or None
