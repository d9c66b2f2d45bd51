"""The demo debates load and make the constructive ordering visible."""

import sqlalchemy as sa
from markupsafe import escape

from civic.deliberation import queries
from civic.deliberation.models import Comment, Debate, DebateState
from civic.extensions import db
from tests.helpers import count_rows


def test_demo_debates_show_a_bridging_argument_above_a_cheered_one(app, client):
    from civic.accounts.cli import load_accounts
    from civic.deliberation.demo import load_deliberation

    ctx = {}
    load_accounts(ctx)
    load_deliberation(ctx)
    db.session.commit()
    debates = db.session.scalars(sa.select(Debate).order_by(Debate.id)).all()
    assert [d.state for d in debates] == [DebateState.OPEN, DebateState.CLOSED]
    assert "Ce qui va se passer" in debates[1].conclusion_html
    page = queries.thread_page("debate", debates[0].id, sided=True)
    by_author = {n.comment.author.display_name: (i, n) for i, n in enumerate(page.threads)}
    assert page.threads[0].comment.author.display_name == "Élodie Fabre"  # useful to both sides
    # Julien's argument, cheered by his side only, has more "useful" than Sébastien's but comes after it.
    (julien_rank, julien), (sebastien_rank, sebastien) = by_author["Julien Castex"], by_author["Sébastien Morel"]
    assert julien.useful > sebastien.useful and sebastien_rank < julien_rank
    assert count_rows(Comment, Comment.is_official_answer) == 1
    html = client.get(f"/debates/{debates[0].id}").get_data(as_text=True)
    assert str(escape("Faut-il piétonniser la rue d'Alsace-Lorraine le week-end ?")) in html
