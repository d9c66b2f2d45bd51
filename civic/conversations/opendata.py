"""The conversations' open dataset (issues 19 and 20): every vote on every
visible statement, without identities, so that anyone can recompute the
opinion groups. Participants are numbered per conversation in the order of
their first vote; only the day of a vote is published."""

from __future__ import annotations

import sqlalchemy as sa

from civic.conversations.models import Conversation, Statement, StatementVote
from civic.core.datasets import Activity, Dataset, Field, month_of, register_activity, register_dataset
from civic.extensions import db

CHUNK = 5000


def vote_rows():
    """(conversation, statement, participant number, vote, day), in vote id order, by keyset pages."""
    numbers: dict = {}
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(StatementVote.id, StatementVote.conversation_id, StatementVote.statement_id,
                      StatementVote.user_id, StatementVote.participant, StatementVote.value, StatementVote.voted_at)
            .join(Statement, Statement.id == StatementVote.statement_id)
            .where(StatementVote.id > last, Statement.hidden_at.is_(None))
            .order_by(StatementVote.id).limit(CHUNK)).all()
        if not rows:
            return
        for vote_id, conversation_id, statement_id, user_id, participant, value, voted_at in rows:
            key = (conversation_id, user_id if user_id is not None else f"p:{participant}")
            per = numbers.setdefault(conversation_id, {})
            number = per.setdefault(key, len(per))
            yield conversation_id, statement_id, number, value, voted_at.date()
            last = vote_id


def _updated_at():
    return db.session.scalar(sa.select(sa.func.max(StatementVote.voted_at)))


def vote_counts():
    m = month_of(StatementVote.voted_at)
    return db.session.execute(sa.select(m, Conversation.district_id, sa.func.count()).select_from(StatementVote)
                              .join(Conversation, Conversation.id == StatementVote.conversation_id)
                              .group_by(m, Conversation.district_id)).all()


def register() -> None:
    register_activity(Activity(
        "conversation_votes", "Votes on conversation statements", "Votes sur les propositions des conversations",
        "votes (agree, disagree, pass) on statements, in the month they were cast, in the district of the "
        "conversation's item.",
        "votes (d'accord, pas d'accord, passer) sur les propositions, au mois où ils ont été exprimés, dans le "
        "quartier de l'élément qui porte la conversation.", vote_counts))
    register_dataset(Dataset(
        name="conversation-votes", kind="conversation",
        title_en="Votes of conversations, without identities",
        title_fr="Votes des conversations, sans identités",
        description_en="Every vote on every visible statement of every conversation: the matrix the opinion "
                       "groups are computed from.",
        description_fr="Chaque vote sur chaque proposition visible de chaque conversation : la matrice à partir "
                       "de laquelle les groupes d'opinion sont calculés.",
        method_en="vote is 1 (agree), -1 (disagree) or 0 (pass); a changed vote appears with its latest value. "
                  "participant numbers people within one conversation in the order of their first vote and "
                  "links to no account. Only the day is published. Each conversation's page also offers its "
                  "votes in Polis' votes.csv format, which `flask civic deliberation opinion-groups` reads.",
        method_fr="vote vaut 1 (d'accord), -1 (pas d'accord) ou 0 (passer) ; un vote changé apparaît avec sa "
                  "dernière valeur. participant numérote les personnes au sein d'une conversation dans l'ordre de "
                  "leur premier vote et ne renvoie à aucun compte. Seul le jour est publié. La page de chaque "
                  "conversation propose aussi ses votes au format votes.csv de Polis, que lit "
                  "`flask civic deliberation opinion-groups`.",
        fields=(Field("conversation_id", "integer", "Conversation", "Conversation", {"required": True}),
                Field("statement_id", "integer", "Statement", "Proposition", {"required": True}),
                Field("participant", "integer", "Participant number within the conversation",
                      "Numéro de participant dans la conversation", {"required": True, "minimum": 0}),
                Field("vote", "integer", "1 agree, -1 disagree, 0 pass", "1 d'accord, -1 pas d'accord, 0 passer",
                      {"required": True, "enum": [-1, 0, 1]}),
                Field("day", "date", "Day of the vote (UTC)", "Jour du vote (UTC)", {"required": True})),
        rows=vote_rows, updated_at=_updated_at, bulk=True,
        changelog=(("2026-12-03", "First publication. / Première publication."),),
        shown_at=("conversations.conversation",)))
