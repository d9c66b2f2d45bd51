"""Moderation in the browser, keyboard only, JavaScript on and off: a resident
reports a comment, a moderator hides it with a reason, the author gets the
statement of reasons over SMTP and appeals from its link, another moderator
decides the appeal and the author is told; the public transparency page
shows the figures the database holds, in English and French. Every page
passes axe-core, stays light and calls no other site (tests/browser checks)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, log_in, log_out, skip_to_main, switch_language, wait_for_mails

pytestmark = pytest.mark.browser


def _debate_with_a_comment(live, official: str, author: str, title: str, text: str) -> tuple[int, int]:
    def build():
        from civic.accounts.services import find_user_by_email
        from civic.deliberation import services
        from civic.extensions import db

        debate = services.open_debate(find_user_by_email(official), title, "La mairie propose **un essai**.")
        db.session.flush()
        comment = services.post_comment(find_user_by_email(author), "debate", debate.id, text, "against")
        db.session.commit()
        return debate.id, comment.id
    return live.query(build)


def _case_of(live, comment_id: int):
    from civic.extensions import db
    from civic.moderation.models import ModerationCase

    return live.query(lambda: db.session.scalar(sa.select(ModerationCase).where(
        ModerationCase.kind == "comment", ModerationCase.object_id == comment_id)))


def _this_month_figures(live) -> dict:
    """The current month's figures, counted straight from the moderation tables
    (independently of civic.moderation.transparency)."""
    from civic.core.time import utcnow
    from civic.extensions import db
    from civic.moderation.models import Appeal, Decision, Report

    def count():
        now = utcnow()
        start = datetime(now.year, now.month, 1)

        def n(model, *where):
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
                model.created_at >= start, *where))
        return {"reports": n(Report), "harassment": n(Report, Report.reason == "harassment"),
                "hidden": n(Decision, Decision.type == "hide"), "appeals": n(Appeal)}
    return live.query(count)


def _choose_radio(site, group, label: str) -> None:
    """Tab into a radio group and move to ``label`` with the arrow keys (which also select)."""
    radios = group.get_by_role("radio")
    site.tab_to(radios.first)
    names = [r.evaluate("e => e.labels[0].textContent.trim()") for r in radios.all()]
    steps = names.index(label)
    if steps == 0:
        site.page.keyboard.press("Space")  # Tab only focuses the first radio; Space selects it
    for _ in range(steps):
        site.page.keyboard.press("ArrowDown")
    expect(group.get_by_role("radio", name=label, exact=True)).to_be_checked()


def test_report_decide_appeal_and_decide_the_appeal_with_the_keyboard_only(site, make_user):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    official = make_user(name="Jean Élu", roles=("official",))
    author = make_user(name="Alice Auteur")
    resident = make_user(name="Rémi Riverain")
    moderator = make_user(name="Mona Modératrice", roles=("moderator",))
    moderator2 = make_user(name="Marc Modérateur", roles=("moderator",))
    text = f"Les commerçants du marché sont tous des voleurs. ({run})"
    debate_id, comment_id = _debate_with_a_comment(live, official, author, f"Le marché le dimanche ? ({run})", text)

    # --- a resident reports the comment.
    log_in(site, resident)
    site.visit(f"/debates/{debate_id}")
    skip_to_main(site)
    site.enter(page.get_by_role("link", name="Report the comment by Alice Auteur"), limit=120)
    expect(page.get_by_role("heading", level=1)).to_have_text("Report content")
    _choose_radio(site, page.get_by_role("group", name="What is the problem?"), "Harassment or hate")
    site.tab_to(page.get_by_label("Details"))
    page.keyboard.type("Insulte tous les commerçants.")
    site.enter(page.get_by_role("button", name="Send the report"))
    expect(page.get_by_role("status").first).to_contain_text("Thank you: your report was sent.")
    case = _case_of(live, comment_id)
    assert case is not None and case.report_count == 1
    log_out(site)

    # --- a moderator finds it in the queue and hides it, with the rule and the reasons.
    log_in(site, moderator)
    # The header's one staff link leads to the back office, which lists the queue.
    site.enter(page.get_by_role("link", name="Administration", exact=True))
    site.enter(page.get_by_role("main").get_by_role("link", name="Moderation", exact=True), limit=200)
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation queue")
    skip_to_main(site)
    site.enter(page.locator(f"a[href='/moderation/cases/{case.id}']"), limit=200)
    expect(page.get_by_role("main")).to_contain_text(text)
    expect(page.get_by_role("region", name="1 report")).to_contain_text("Harassment or hate")
    _choose_radio(site, page.get_by_role("group", name="Decision"), "Hide the content")
    rule = page.get_by_role("combobox", name="Rule broken")
    site.tab_to(rule)
    while rule.input_value() != "harassment":
        page.keyboard.press("ArrowDown")
    site.tab_to(page.get_by_label("Statement of reasons"))
    page.keyboard.type("Traiter tout un groupe de voleurs est une attaque que la charte interdit.")
    site.enter(page.get_by_role("button", name="Record the decision"))
    expect(page.get_by_role("status").first).to_contain_text("Decision recorded: Hidden.")
    log_out(site)

    # The comment is hidden on the debate page (never deleted).
    site.visit(f"/debates/{debate_id}")
    expect(page.get_by_role("main")).not_to_contain_text(text)
    expect(page.get_by_role("main")).to_contain_text("This comment was hidden by moderation.")

    # --- the author gets the statement of reasons and appeals from the mail's link.
    [mail] = wait_for_mails(live, author, 1)
    assert "Traiter tout un groupe de voleurs" in mail.body
    page.goto(mail.link("/appeal"))  # not logged in: the log-in page, then back to the appeal
    site.check()
    site.tab_to(page.locator("#email"))
    page.keyboard.type(author)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    site.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Appeal a decision")
    site.tab_to(page.get_by_label("Why should the decision change?"))
    page.keyboard.type("Je visais un seul stand qui m'a trompée, pas tous les commerçants.")
    site.enter(page.get_by_role("button", name="Send my appeal"))
    expect(page.get_by_role("status").first).to_contain_text("Your appeal was sent.")
    log_out(site)

    # --- the first moderator cannot decide the appeal; another one does.
    log_in(site, moderator2)
    site.visit("/moderation/")
    skip_to_main(site)
    appeals = page.get_by_role("region", name=re.compile(r"^Appeals waiting"))
    site.enter(appeals.get_by_role("link", name=text), limit=200)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Appeal:")
    expect(page.get_by_role("main")).to_contain_text("Je visais un seul stand")
    _choose_radio(site, page.get_by_role("group", name="Outcome"), "Confirm the decision")
    site.tab_to(page.get_by_label("Statement of reasons"))
    page.keyboard.type("Le message accuse toujours tous les commerçants de vol.")
    site.enter(page.get_by_role("button", name="Record the outcome"))
    expect(page.get_by_role("status").first).to_contain_text("Appeal decided")
    outcome = wait_for_mails(live, author, 2)[1]
    assert outcome.subject == "The outcome of your appeal"
    assert "accuse toujours tous les commerçants" in outcome.body
    log_out(site)

    # --- the public transparency page, without logging in.
    site.visit("/")
    site.enter(page.get_by_role("contentinfo").get_by_role("link", name="Transparency"), limit=120)
    expect(page.get_by_role("heading", level=1)).to_have_text("Moderation: rules and figures")
    figures = _this_month_figures(live)
    assert figures["harassment"] >= 1 and figures["hidden"] >= 1 and figures["appeals"] >= 1
    reports_row = page.get_by_role("region", name="Reports received, by reason").get_by_role("row").last
    cells = reports_row.get_by_role("cell").all_inner_texts()
    assert cells[1] == str(figures["harassment"]) and cells[-1] == str(figures["reports"])
    decisions_row = page.get_by_role("region", name="Decisions, and how long they took").get_by_role("row").last
    assert decisions_row.get_by_role("cell").nth(1).inner_text() == str(figures["hidden"])
    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=2, name="Les règles, en clair")).to_be_visible()
