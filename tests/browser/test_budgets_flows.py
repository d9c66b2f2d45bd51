"""Participatory budgets in the browser, as a keyboard user meets them: a
verified resident casts a ballot under each of the four rules, checks it on
the server ("Check my ballot", the no-JavaScript path), changes it and gets
the confirmations over SMTP, partly in French; a mediator enters a paper
ballot at the counter; an official publishes the results and everyone reads
why each project was or was not selected. JavaScript on and off; every page
passes axe-core, stays light and calls no other site (tests/browser checks)."""

from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out, skip_to_main, switch_language, wait_for_mails

pytestmark = pytest.mark.browser

PROJECTS = (("Bancs place du marché", 30_000), ("Arbres rue de Metz", 50_000),
            ("Fontaine à boire", 40_000), ("Piste cyclable des berges", 90_000))
# Each with the factories' parameters: approval 1 to 2 projects, 5 points (3 at most per project), rank 2.
RULES = ("approval", "knapsack", "cumulative", "ranking")


def _edition(live, official: str, admin: str, rule: str, *, title: str, amount: int = 100_000,
             counting: str = "greedy") -> SimpleNamespace:
    """A city-wide edition in its voting phase, made with tests/budgets/factories.py
    (real services for the edition and its phases; projects are feasible rows)."""
    def build():
        from civic.accounts.services import find_user_by_email
        from tests.budgets import factories

        edition = factories.edition(find_user_by_email(official), rule=rule, counting=counting, title=title,
                                    description="Un **budget** pour les habitants.", envelopes=((None, amount),),
                                    admin=find_user_by_email(admin))
        envelope = edition.envelopes[0]
        projects = [factories.project(edition, envelope, name, cost, description=f"{name}.") for name, cost in PROJECTS]
        return SimpleNamespace(id=edition.id, envelope_id=envelope.id, title=title,
                               projects={p.title: p.id for p in projects})
    return live.query(build)


def _ballot(live, edition, voter: str):
    from civic.accounts.services import find_user_by_email
    from civic.budgets.models import Ballot
    from civic.extensions import db

    return live.query(lambda: db.session.scalar(sa.select(Ballot).where(
        Ballot.envelope_id == edition.envelope_id, Ballot.user_id == find_user_by_email(voter).id)))


def _names(edition, ids) -> list[str]:
    by_id = {v: k for k, v in edition.projects.items()}
    return [by_id[i] for i in ids]


def _tick(site, edition, *titles) -> None:
    """Tab to each project's checkbox and toggle it with Space."""
    for t in titles:
        box = site.page.locator(f"#project-{edition.projects[t]}")
        site.tab_to(box)
        before = box.is_checked()
        site.page.keyboard.press("Space")
        assert box.is_checked() is not before


def _press_button(site, name: str, expect_status: int = 200) -> None:
    site.enter(site.page.get_by_role("button", name=name, exact=True), expect_status=expect_status)


def _choose_by_arrows(site, select, label_start: str) -> None:
    """Tab to a <select> and move through its options with the arrow keys."""
    site.tab_to(select)
    options = select.locator("option").all_inner_texts()
    target = next(i for i, text in enumerate(options) if text.startswith(label_start))
    current = select.evaluate("e => e.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        site.page.keyboard.press(key)
    assert select.evaluate("e => e.selectedIndex") == target


def _type_paper_voter(site, reference, last, first, born, postcode, address) -> None:
    page = site.page
    for field_id, value in (("reference", reference), ("last_name", last), ("first_name", first),
                            ("birth_date", born), ("postcode", postcode), ("email", address)):
        site.tab_to(page.locator(f"#{field_id}"))
        if value:
            page.keyboard.type(value)


def _feedback(page, name: str):
    return page.locator(f"#ballot-feedback [data-out='{name}']")


@pytest.fixture
def people(make_user, make_resident):
    return SimpleNamespace(admin=make_user(name="Anne Admin", roles=("admin",)),
                           official=make_user(name="Jean Élu", roles=("official",)),
                           mediator=make_user(name="Malik Médiateur", roles=("mediator",)),
                           voter=make_resident("Léa M.", "T06"))


def test_a_verified_resident_votes_under_each_rule_with_the_keyboard_and_gets_each_confirmation(site, people):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    editions = {rule: _edition(live, people.official, people.admin, rule,
                               title=f"Budget participatif 2027 — {rule} ({run})") for rule in RULES}
    log_in(site, people.voter)

    # --- approval: find the edition from the list, check, fix, vote, then change the vote.
    approval = editions["approval"]
    site.visit("/budgets/")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    site.enter(page.get_by_role("link", name=approval.title))
    expect(page.get_by_role("heading", level=1)).to_have_text(approval.title)
    expect(page.get_by_role("heading", name="How the vote works")).to_be_visible()
    site.enter(page.get_by_role("link", name="Vote for Whole city"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your ballot: Whole city")
    expect(page.locator(".lead")).to_contain_text("Choose between 1 and 2 projects.")
    _tick(site, approval, "Bancs place du marché", "Arbres rue de Metz", "Fontaine à boire")
    if site.js:  # the live feedback follows the ticks before any round trip
        expect(_feedback(page, "chosen")).to_have_text("3")
    _press_button(site, "Check my ballot")
    # The server computed the same figures and explains the problem; nothing is saved.
    expect(_feedback(page, "chosen")).to_have_text("3")
    expect(page.locator("#ballot-error")).to_contain_text("Choose at most 2 projects.")
    expect(page.locator("#ballot")).to_have_attribute("aria-describedby", "ballot-error")
    assert _ballot(live, approval, people.voter) is None
    _tick(site, approval, "Fontaine à boire")
    _press_button(site, "Check my ballot")
    expect(page.get_by_role("status").filter(has_text="Your choice is valid")).to_be_visible()
    expect(_feedback(page, "chosen")).to_have_text("2")
    _press_button(site, "Submit my vote")
    expect(page.get_by_role("status").first).to_contain_text("Your vote is recorded.")
    expect(page.locator(f"#project-{approval.projects['Bancs place du marché']}")).to_be_checked()
    ballot = _ballot(live, approval, people.voter)
    assert _names(approval, ballot.project_ids) == ["Bancs place du marché", "Arbres rue de Metz"]
    [first] = wait_for_mails(live, people.voter, 1)
    assert first.subject == "Your vote is recorded"
    assert "Bancs place du marché" in first.body and "Fontaine à boire" not in first.body

    # Change the vote: swap the trees for the fountain.
    _tick(site, approval, "Arbres rue de Metz", "Fontaine à boire")
    _press_button(site, "Change my vote")
    expect(page.get_by_role("status").first).to_contain_text("Your vote is recorded.")
    ballot = _ballot(live, approval, people.voter)
    assert _names(approval, ballot.project_ids) == ["Bancs place du marché", "Fontaine à boire"]
    assert ballot.version == 2
    second = wait_for_mails(live, people.voter, 2)[1]
    assert "replaces the previous one" in second.body and "Fontaine à boire" in second.body

    # --- knapsack: over the envelope is refused with the remaining budget shown.
    knapsack = editions["knapsack"]
    site.visit(f"/budgets/{knapsack.id}/vote/{knapsack.envelope_id}")
    skip_to_main(site)
    _tick(site, knapsack, "Arbres rue de Metz", "Piste cyclable des berges")
    if site.js:
        expect(_feedback(page, "remaining")).to_have_text(re.compile(r"^-\s?40\D000\s?€$"))
    _press_button(site, "Submit my vote", expect_status=422)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator("#ballot-error")).to_contain_text("more than the")
    assert _ballot(live, knapsack, people.voter) is None
    _tick(site, knapsack, "Piste cyclable des berges", "Bancs place du marché")
    live_figure = _feedback(page, "remaining").inner_text() if site.js else None
    _press_button(site, "Check my ballot")
    expect(_feedback(page, "remaining")).to_have_text(re.compile(r"^20\D000\s?€$"))
    if site.js:  # the script writes the figure exactly as the server does
        assert _feedback(page, "remaining").inner_text() == live_figure
    _press_button(site, "Submit my vote")
    assert _names(knapsack, _ballot(live, knapsack, people.voter).project_ids) == [
        "Bancs place du marché", "Arbres rue de Metz"]
    assert wait_for_mails(live, people.voter, 3)[2].subject == "Your vote is recorded"

    # --- cumulative: type points; the points left are counted by the server too.
    cumulative = editions["cumulative"]
    site.visit(f"/budgets/{cumulative.id}/vote/{cumulative.envelope_id}")
    skip_to_main(site)
    site.tab_to(page.locator(f"#points-{cumulative.projects['Bancs place du marché']}"))
    page.keyboard.type("3")
    site.tab_to(page.locator(f"#points-{cumulative.projects['Fontaine à boire']}"))
    page.keyboard.type("3")
    if site.js:
        expect(_feedback(page, "left")).to_have_text("-1")
    _press_button(site, "Check my ballot")
    expect(page.locator("#ballot-error")).to_contain_text("You gave 6 points but have 5.")
    expect(_feedback(page, "left")).to_have_text("-1")
    site.tab_to(page.locator(f"#points-{cumulative.projects['Fontaine à boire']}"))
    page.keyboard.press("ArrowDown")  # a number field steps down with the arrow keys
    expect(page.locator(f"#points-{cumulative.projects['Fontaine à boire']}")).to_have_value("2")
    _press_button(site, "Check my ballot")
    expect(_feedback(page, "left")).to_have_text("0")
    _press_button(site, "Submit my vote")
    ballot = _ballot(live, cumulative, people.voter)
    assert _names(cumulative, ballot.project_ids) == ["Bancs place du marché", "Fontaine à boire"]
    assert ballot.points == [3, 2]
    assert "3 points" in wait_for_mails(live, people.voter, 4)[3].body

    # --- ranking, in French: choose with the arrow keys in the drop-down lists.
    ranking = editions["ranking"]
    site.visit(f"/budgets/{ranking.id}/vote/{ranking.envelope_id}")
    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre bulletin : Toute la ville")
    expect(page.get_by_role("button", name="Vérifier mon bulletin")).to_be_visible()
    skip_to_main(site)
    _choose_by_arrows(site, page.locator("#rank-1"), "Fontaine à boire")
    _choose_by_arrows(site, page.locator("#rank-2"), "Fontaine à boire")
    _press_button(site, "Envoyer mon vote", expect_status=422)
    expect(page.get_by_role("alert")).to_be_visible()
    assert _ballot(live, ranking, people.voter) is None
    _choose_by_arrows(site, page.locator("#rank-2"), "Bancs place du marché")
    _press_button(site, "Vérifier mon bulletin")
    expect(_feedback(page, "chosen")).to_have_text("2")
    _press_button(site, "Envoyer mon vote")
    expect(page.get_by_role("status").first).to_contain_text("Votre vote est enregistré")
    assert _names(ranking, _ballot(live, ranking, people.voter).project_ids) == [
        "Fontaine à boire", "Bancs place du marché"]
    last = wait_for_mails(live, people.voter, 5)[4]
    assert last.subject == "Votre vote est enregistré"
    assert "1. Fontaine à boire" in last.body and "2. Bancs place du marché" in last.body


def test_a_mediator_enters_a_paper_ballot_and_the_voter_cannot_vote_again_online(site, people):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    edition = _edition(live, people.official, people.admin, "approval", title=f"Budget des quartiers ({run})")
    log_in(site, people.mediator)
    site.visit(f"/budgets/{edition.id}")
    site.enter(page.get_by_role("link", name="Enter a paper ballot for Whole city"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter a paper ballot: Whole city")
    reference = f"P-{uuid.uuid4().hex[:6]}"
    _type_paper_voter(site, reference, "Garcia", "Inès", "1961-07-14", "31300", people.voter)
    _tick(site, edition, "Fontaine à boire")
    _press_button(site, "Record the paper ballot")
    expect(page.get_by_role("status").first).to_contain_text(f"The paper ballot {reference} is recorded.")
    ballot = _ballot(live, edition, people.voter)
    assert ballot.channel.value == "paper" and ballot.paper_reference == reference
    assert _names(edition, ballot.project_ids) == ["Fontaine à boire"]

    from civic.core.models import AuditEntry
    from civic.extensions import db

    assert live.query(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "budget.paper_ballot_entered", AuditEntry.object_id == edition.id))) == 1

    # The same reference twice is refused next to its field.
    _type_paper_voter(site, reference, "Martin", "Paul", "1970-01-02", "31000", "")
    _tick(site, edition, "Bancs place du marché")
    _press_button(site, "Record the paper ballot", expect_status=422)
    expect(page.get_by_role("alert")).to_contain_text("A paper ballot with this reference is already recorded.")

    # The voter who voted on paper sees it online and cannot vote again.
    log_out(site)
    log_in(site, people.voter)
    site.visit(f"/budgets/{edition.id}/vote/{edition.envelope_id}")
    expect(page.get_by_role("status")).to_contain_text("You voted on paper at the town hall.")
    expect(page.get_by_role("button", name="Submit my vote")).to_have_count(0)
    expect(page.get_by_role("button", name="Change my vote")).to_have_count(0)


def test_an_official_publishes_the_results_and_everyone_reads_the_reasons(site, people, make_resident):
    page, live = site.page, site.live
    run = f"{'JS' if site.js else 'HTML'} {uuid.uuid4().hex[:4]}"
    edition = _edition(live, people.official, people.admin, "approval", title=f"Budget 2026 ({run})")
    voters = [make_resident(f"Votant {i}", "T17") for i in range(3)]
    choices = [["Arbres rue de Metz", "Bancs place du marché"], ["Arbres rue de Metz", "Piste cyclable des berges"],
               ["Piste cyclable des berges", "Fontaine à boire"]]

    def vote_and_close():
        from civic.accounts.services import find_user_by_email
        from civic.budgets import services
        from tests.budgets import factories

        env = services.get_edition(edition.id).envelopes[0]
        for address, chosen in zip(voters, choices, strict=True):
            factories.ballot(find_user_by_email(address), env, [edition.projects[t] for t in chosen])
        factories.enter_phase(find_user_by_email(people.admin), services.get_edition(edition.id), "results",
                              "fin du vote")
    live.query(vote_and_close)
    live.drain_jobs()  # RQ mode: the results job runs now (inline mode: it already ran after the commit)

    # Before publication, residents only learn that results are coming.
    site.visit(f"/budgets/{edition.id}/results")
    expect(page.get_by_role("main")).to_contain_text("The results are not published yet.")

    log_in(site, people.official)
    site.visit(f"/budgets/{edition.id}/results")
    expect(page.get_by_role("status").first).to_contain_text("only officials see them")
    skip_to_main(site)
    _press_button(site, "Publish the results")
    expect(page.get_by_role("status").first).to_contain_text("The results are published.")
    log_out(site)

    # Anyone reads the ranked table with a reason per project, and the comparison panel.
    site.visit(f"/budgets/{edition.id}")
    site.enter(page.get_by_role("link", name="See the results and why each project was or was not selected"))
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(5)
    # Arbres (2 votes, 50 000) first; Piste (2 votes, 90 000) no longer fits in the 50 000 left;
    # Bancs (1 vote, 30 000) does; Fontaine (1 vote, 40 000) no longer fits in the 20 000 left.
    arbres = table.get_by_role("row").filter(has_text="Arbres rue de Metz")
    expect(arbres).to_contain_text("Selected")
    piste = table.get_by_role("row").filter(has_text="Piste cyclable des berges")
    expect(piste).to_contain_text(re.compile(
        r"Not selected: 50\D000\s?€ were left when its turn came, and the project costs 90\D000\s?€\."))
    expect(page.get_by_role("complementary")).to_contain_text("Comparison: Method of Equal Shares")
    expect(page.get_by_role("link", name="Download the ballots and results (.pb)")).to_be_visible()
    selected = live.query(lambda: _selected(edition))
    assert selected == {"Arbres rue de Metz", "Bancs place du marché"}
    fontaine = table.get_by_role("row").filter(has_text="Fontaine à boire")
    expect(fontaine).to_contain_text(re.compile(r"Not selected: 20\D000\s?€ were left"))

    switch_language(site, "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Résultats")
    expect(page.get_by_role("table").get_by_role("row").filter(has_text="Piste cyclable des berges")).to_contain_text(
        "Non retenu : il restait")


def _selected(edition) -> set[str]:
    from civic.budgets.models import Project
    from civic.extensions import db

    return set(db.session.scalars(sa.select(Project.title).where(Project.edition_id == edition.id,
                                                                 Project.selected.is_(True))))
