"""Factories for deliberation's main objects, built through the services as a
person would make them (so badges, depth, reply notifications and audit
entries are the real ones). Users and districts: ``tests/factories.py``."""

from __future__ import annotations

from civic.core import content
from civic.deliberation import services
from civic.deliberation.models import Comment, Debate, Reaction
from civic.extensions import db
from tests import factories


def debate(author=None, title: str = "Faut-il piétonniser la rue ?", body: str = "Le cadre du débat.",
           **kw) -> Debate:
    """An open debate (``author``: an official, made city-wide when not given);
    ``kw`` goes to ``services.open_debate`` (district_id, ends_on, sources)."""
    d = services.open_debate(author or factories.user(roles=["official"]), title, body, **kw)
    db.session.commit()
    return d


def comment(actor, item, body: str = "Un argument.", alignment: str | None = None, parent: Comment | None = None,
            kind: str | None = None) -> Comment:
    """``actor`` comments on ``item`` (any kind that accepts comments), or replies to ``parent``."""
    kind_name = kind or content.kind_of(item).name
    c = services.post_comment(actor, kind_name, item.id, body, alignment, parent.id if parent else None)
    db.session.commit()
    return c


def thread(item, author, repliers=(), body: str = "Un argument.", alignment: str | None = "for",
           kind: str | None = None) -> tuple[Comment, list[Comment]]:
    """A top-level comment of ``author`` and one reply from each of ``repliers``, in order."""
    top = comment(author, item, body, alignment, kind=kind)
    replies = [comment(r, item, f"Réponse {i + 1}.", parent=top, kind=kind) for i, r in enumerate(repliers)]
    return top, replies


def reaction(actor, on: Comment, value: str = "useful") -> Reaction | None:
    """``actor`` finds the comment ``on`` useful (or ``value``: "not_useful", "none")."""
    r = services.react(actor, on, value)
    db.session.commit()
    return r
