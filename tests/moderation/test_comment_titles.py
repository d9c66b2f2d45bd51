"""A reported comment is listed by what it says, not "Comment: Comment on …"."""

from tests.deliberation import factories as talk
from tests.moderation import factories as mod


def test_the_queue_names_a_comment_once_and_quotes_what_it_says(client, factory, login, moderator):
    debate = talk.debate(title="Le marché le dimanche ?")
    author, reporter = factory.user(), factory.user()
    comment = talk.comment(author, debate, body="Les commerçants du marché sont tous des voleurs.", alignment="against")
    mod.report(comment, reporter, kind="comment")
    login(moderator)
    html = client.get("/moderation/").get_data(as_text=True)
    assert "Comment: Les commerçants du marché sont tous des voleurs." in html
    assert "Comment on" not in html
