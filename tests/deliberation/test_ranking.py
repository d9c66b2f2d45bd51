"""The "most constructive" ordering: formula, tie-break, and hand-built debates."""

from fractions import Fraction

from civic.deliberation import queries, ranking
from civic.deliberation.ranking import Counts


def counts(uf=0, nf=0, ua=0, na=0, un=0, nn=0) -> Counts:
    c = Counts()
    c.useful.update({"for": uf, "against": ua, "neutral": un})
    c.not_useful.update({"for": nf, "against": na, "neutral": nn})
    return c


def test_score_is_the_smaller_laplace_share_of_the_two_sides():
    assert ranking.smoothed(0, 0) == Fraction(1, 2)
    assert ranking.smoothed(3, 1) == Fraction(4, 6)
    # 12 useful from its own side, 3 "not useful" from the other side.
    assert ranking.bridging_score(counts(uf=12, na=3)) == min(Fraction(13, 14), Fraction(1, 5))
    # Appreciated by both sides.
    assert ranking.bridging_score(counts(uf=3, nf=1, ua=2, na=1)) == min(Fraction(4, 6), Fraction(3, 5))


def test_a_popular_one_sided_comment_scores_below_one_useful_to_both_sides():
    popular = counts(uf=20)  # cheered by "for" only, ignored by "against"
    bridging = counts(uf=2, ua=2)
    assert ranking.bridging_score(popular) < ranking.bridging_score(bridging)
    assert ranking.sort_key(1, bridging) < ranking.sort_key(2, popular)


def test_neutral_people_only_break_ties():
    many_neutral = counts(uf=1, ua=1, un=10)
    assert ranking.bridging_score(many_neutral) == ranking.bridging_score(counts(uf=1, ua=1))
    # ...but a better score always wins over neutral support.
    assert ranking.sort_key(9, counts(uf=2, ua=2)) < ranking.sort_key(1, many_neutral)
    # Same score: the neutral share decides.
    assert ranking.sort_key(9, many_neutral) < ranking.sort_key(1, counts(uf=1, ua=1))


def test_tie_break_is_neutral_share_then_useful_total_then_older_first():
    a = counts(uf=1, nf=1, ua=1, na=1)  # 1/2 on each side, 2 useful
    b = counts()                         # 1/2 on each side, 0 useful
    assert ranking.sort_key(5, a) < ranking.sort_key(3, b)
    assert ranking.sort_key(3, counts()) < ranking.sort_key(5, counts())
    rows = [type("R", (), {"id": i, "gone": False})() for i in (7, 3, 5)]
    assert [r.id for r in ranking.rank(rows, {}, True)] == [3, 5, 7]


def test_items_without_sides_rank_by_the_share_of_all_reactions():
    assert ranking.bridging_score(counts(un=3, nn=1), sided=False) == Fraction(4, 6)
    assert ranking.bridging_score(counts(uf=3), sided=False) == Fraction(4, 5)


def test_in_a_debate_the_bridging_argument_comes_before_the_cheered_one(factory, make_debate, say, rate):
    debate = make_debate()
    pro = [factory.user(name=f"Pour {i}") for i in range(4)]
    con = [factory.user(name=f"Contre {i}") for i in range(3)]
    # Everyone takes a side with a top-level comment of their own.
    for p in pro:
        say(p, debate, "Je suis pour.", "for")
    for c in con:
        say(c, debate, "Je suis contre.", "against")
    author_a, author_b = factory.user(name="A"), factory.user(name="B")
    cheered = say(author_a, debate, "Tous les autres sont idiots, vive le projet !", "for")
    bridging = say(author_b, debate, "Pour, avec un essai de trois mois et un bilan chiffré.", "for")
    for p in pro:
        rate(p, cheered, "useful")
    for c in con:
        rate(c, cheered, "not_useful")
    rate(pro[0], bridging, "useful")
    rate(con[0], bridging, "useful")
    rate(con[1], bridging, "useful")

    page = queries.thread_page("debate", debate.id, order="constructive", sided=True)
    ids = [n.comment.id for n in page.threads]
    assert ids.index(bridging.id) < ids.index(cheered.id)
    # And the popular comment does have more "useful" votes: popularity is not what ranks.
    nodes = {n.comment.id: n for n in page.threads}
    assert nodes[cheered.id].useful > nodes[bridging.id].useful
    summary = queries.debate_summary(debate)
    assert summary["best"]["for"][0].id == bridging.id


def test_a_persons_side_is_their_latest_visible_top_level_alignment(factory, make_debate, say, rate):
    from civic.deliberation import services
    from civic.extensions import db

    debate = make_debate()
    voter = factory.user()
    target = say(factory.user(), debate, "Argument.", "for")
    say(voter, debate, "D'abord pour.", "for")
    rate(voter, target, "not_useful")
    counts_now = ranking.reaction_counts("debate", debate.id)[target.id]
    assert counts_now.not_useful["for"] == 1
    latest = say(voter, debate, "Finalement contre.", "against")
    assert ranking.reaction_counts("debate", debate.id)[target.id].not_useful["against"] == 1
    # Deleting the latest comment brings back the earlier stance.
    services.delete_comment(voter, latest)
    db.session.commit()
    assert ranking.reaction_counts("debate", debate.id)[target.id].not_useful["for"] == 1
    # Someone who never wrote counts as neutral.
    rate(factory.user(), target, "useful")
    assert ranking.reaction_counts("debate", debate.id)[target.id].useful["neutral"] == 1


def test_deleted_comments_keep_their_place_but_go_last(factory, make_debate, say, rate):
    from civic.deliberation import services
    from civic.extensions import db

    debate = make_debate()
    a, b, c = factory.user(), factory.user(), factory.user()
    first = say(a, debate, "Très utile.", "for")
    second = say(b, debate, "Autre.", "against")
    rate(c, first, "useful")
    services.delete_comment(a, first)
    db.session.commit()
    page = queries.thread_page("debate", debate.id, sided=True)
    assert [n.comment.id for n in page.threads] == [second.id, first.id]
