"""Factories for conversations, built through the services as people would."""

from __future__ import annotations

import sqlalchemy as sa

from civic.conversations import services
from civic.conversations.models import Conversation, Statement, StatementVote
from civic.extensions import db
from tests import factories
from tests.deliberation import factories as deliberation_factories


def conversation(official=None, seeds=("Première idée.", "Deuxième idée.", "Troisième idée."),
                 question: str = "Que faire de la place ?") -> Conversation:
    """A conversation on a new city-wide debate, started by an official with ``seeds``."""
    official = official or factories.user(roles=["official"])
    debate = deliberation_factories.debate(official)
    c = services.start_conversation(official, "debate", debate.id, question, "\n".join(seeds))
    db.session.commit()
    return c


def statements(c: Conversation) -> list[Statement]:
    return db.session.scalars(sa.select(Statement).where(Statement.conversation_id == c.id)
                              .order_by(Statement.id)).all()


def camps(c: Conversation, texts, sizes=(12, 10), lean=None) -> list[list]:
    """Residents in camps who vote by ``lean[camp][statement]`` (1, -1, 0) on
    statements with ``texts`` (added as seeded statements); returns the users per camp."""
    official = c.created_by
    for text in texts:
        db.session.add(Statement(conversation_id=c.id, author_id=official.id, text=text, seeded=True))
    db.session.commit()
    sts = statements(c)[-len(texts):]
    people = []
    for camp, n in enumerate(sizes):
        members = []
        for i in range(n):
            u = factories.user()
            # People of one camp differ a little (each passes on one statement
            # other than the first), as real voters do.
            votes = list(lean[camp])
            votes[1 + i % (len(votes) - 1)] = 0
            for st, value in zip(sts, votes, strict=True):
                db.session.add(StatementVote(statement_id=st.id, conversation_id=c.id, user_id=u.id, value=value))
            members.append(u)
        people.append(members)
    c.changes += sum(sizes) * len(texts)
    db.session.commit()
    return people
