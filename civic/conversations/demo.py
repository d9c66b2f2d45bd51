"""Demo data: a conversation on the rue d'Alsace-Lorraine debate, with the
demo residents' votes and those of participants imported from a paper and
online workshop, so the opinion groups show from the start."""

from __future__ import annotations

import random
from datetime import timedelta

from civic.demo import register_demo

QUESTION = "Une rue d'Alsace-Lorraine piétonne le week-end : qu'en pensez-vous ?"

# (text, seeded by the official?, how each camp tends to vote: (walkers, shopkeepers, everyone else))
STATEMENTS = [
    ("Les personnes à mobilité réduite doivent garder un accès en voiture jusqu'aux commerces.", True, (0.8, 0.9, 0.85)),
    ("Les livraisons devraient se faire le matin avant 11 h, piétonnisation ou pas.", True, (0.8, 0.75, 0.8)),
    ("Le week-end, la rue appartient aux piétons : les voitures n'ont rien à y faire.", True, (0.95, 0.1, 0.5)),
    ("Sans voitures, mes clients venant de la périphérie iront au centre commercial.", False, (0.1, 0.9, 0.35)),
    ("Il faut plus de bancs et d'ombre si la rue devient piétonne.", False, (0.85, 0.6, 0.7)),
    ("Un bilan chiffré de la fréquentation des commerces doit être publié après six mois.", True, (0.75, 0.9, 0.8)),
    ("Les parkings relais et le métro suffisent pour venir en centre-ville.", False, (0.8, 0.15, 0.45)),
    ("L'essai devrait commencer par un seul week-end par mois.", False, (0.2, 0.7, 0.5)),
    ("Les vélos doivent pouvoir traverser la rue à allure modérée.", False, (0.6, 0.4, 0.5)),
    ("Le bruit des terrasses le soir gêne déjà les riverains.", False, (0.35, 0.3, 0.6)),
    ("Les taxis et les secours doivent toujours pouvoir passer.", True, (0.85, 0.9, 0.9)),
    ("Piétonniser fera monter les loyers des boutiques.", False, (0.2, 0.65, 0.4)),
]


@register_demo(order=65)
def load_conversations(ctx):
    import sqlalchemy as sa

    from civic.conversations.models import Conversation, Statement, StatementVote
    from civic.conversations.results import compute_and_store
    from civic.core.time import utcnow
    from civic.deliberation.models import Debate
    from civic.extensions import db

    users = ctx.get("deliberation_users")
    debate = db.session.scalar(sa.select(Debate).where(Debate.title.like("Faut-il piétonniser%")))
    if not users or debate is None:
        return
    now = utcnow()
    elu = users["elu"]
    c = Conversation(host_kind="debate", host_id=debate.id, question=QUESTION, district_id=debate.district_id,
                     created_by_id=elu.id, created_at=now - timedelta(days=8))
    db.session.add(c)
    db.session.flush()
    authors = [u for k, u in users.items() if k not in ("elu",)]
    statements = []
    for i, (text, seeded, _lean) in enumerate(STATEMENTS):
        author = elu if seeded else authors[i % len(authors)]
        statements.append(Statement(conversation_id=c.id, author_id=author.id, text=text, seeded=seeded,
                                    created_at=now - timedelta(days=8, hours=-i)))
    db.session.add_all(statements)
    db.session.flush()
    rng = random.Random(31000)
    rows = []

    def votes_of(camp: int, who: dict, coverage: float):
        for st, (_text, _seeded, lean) in zip(statements, STATEMENTS, strict=True):
            if rng.random() > coverage:
                continue
            r = rng.random()
            value = 1 if r < lean[camp] * 0.9 else (0 if r < lean[camp] * 0.9 + 0.1 else -1)
            rows.append(dict(who, statement_id=st.id, conversation_id=c.id, value=value,
                             voted_at=now - timedelta(days=rng.randint(0, 7), minutes=rng.randint(0, 600))))

    # The demo residents (log in as one of them to see "you are here").
    camps = {"lea": 0, "karim": 1, "julien": 0, "bernard": 1, "elodie": 2, "martine": 1, "sebastien": 0,
             "nadia": 2, "ines": 0, "thomas": 2}
    for key, camp in camps.items():
        if key in users:
            votes_of(camp, {"user_id": users[key].id, "participant": None}, 0.95)
    # Participants of an earlier online conversation on the same question, imported from its Polis export.
    for n in range(60):
        votes_of(n % 3, {"user_id": None, "participant": f"atelier-{n + 1}"}, rng.uniform(0.6, 1.0))
    db.session.execute(sa.insert(StatementVote), rows)
    c.changes = len(rows)
    db.session.flush()
    compute_and_store(c.id)
    db.session.flush()
