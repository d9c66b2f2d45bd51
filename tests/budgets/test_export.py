"""The public .pb download is formula-safe, like every public CSV."""

from civic.budgets.api import formula_safe
from civic.budgets.pabulib import Election, Project, Vote, parse_pb_string, write_pb_string


def test_project_names_and_texts_that_look_like_formulas_are_neutralised_numbers_kept():
    election = Election(meta={"description": "=HYPERLINK(\"http://x\")", "budget": "100000", "num_votes": "1"},
                        projects={"1": Project(id="1", cost=5000, name="+cmd|' /C calc'!A0",
                                               fields={"category": "@SUM(A1)"})},
                        votes=[Vote(voter_id="1", projects=["1"])])
    text = write_pb_string(formula_safe(election))
    parsed = parse_pb_string(text)
    assert parsed.meta["description"] == "'=HYPERLINK(\"http://x\")"
    assert parsed.meta["budget"] == "100000"
    assert parsed.projects["1"].name == "'+cmd|' /C calc'!A0"
    assert parsed.projects["1"].fields["category"] == "'@SUM(A1)"
    assert parsed.projects["1"].cost == 5000
