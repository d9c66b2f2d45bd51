"""The back office at /admin: staff see what waits for them, every space they
run (drafts with a preview), what they may create, and the figures of the
last twelve months as SVG charts with the same numbers in tables."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from civic.core.time import local_day, today, utcnow
from civic.extensions import db
from tests import factories
from tests.assemblies import factories as assemblies
from tests.budgets import factories as budgets
from tests.consultations import factories as consultations
from tests.conversations import factories as conversations
from tests.deliberation import factories as deliberation
from tests.helpers import capture_statements, login
from tests.petitions import factories as petitions
from tests.processes import factories as processes

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
        "line", "rect", "path", "circle"}


class Node:
    """A parsed element: the little of a DOM these tests read."""

    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def __getitem__(self, name):
        return self.attrs[name]

    def __getattr__(self, tag):
        if tag.startswith("_"):
            raise AttributeError(tag)
        return self.find(tag)

    def _walk(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child._walk()

    def find_all(self, tag=None, string=None, **attrs):
        return [n for n in self._walk() if (tag is None or n.tag == tag)
                and all(n.attrs.get(k) == v for k, v in attrs.items())
                and (string is None or n.get_text(strip=True) == string)]

    def find(self, tag=None, string=None, **attrs):
        found = self.find_all(tag, string, **attrs)
        return found[0] if found else None

    def find_parent(self, tag):
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node

    def get_text(self, sep="", strip=False):
        parts = []
        for child in self.children:
            text = child.get_text(sep, strip) if isinstance(child, Node) else child
            if strip:
                text = text.strip()
            if text:
                parts.append(text)
        return sep.join(parts)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.node = Node("document", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.node)
        self.node.children.append(node)
        if tag not in VOID:
            self.node = node

    def handle_startendtag(self, tag, attrs):
        self.node.children.append(Node(tag, attrs, self.node))

    def handle_endtag(self, tag):
        node = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data):
        self.node.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def _page(client, path="/admin/"):
    resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return parse(resp.get_data(as_text=True))


def _section(soup, title_id):
    return soup.find(id=title_id).find_parent("section")


def _spaces(soup) -> list[list[str]]:
    table = _section(soup, "spaces-title").find("table")
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")] \
        if table else []


def _every_kind(admin, district):
    """A space of every kind: a draft process, a budget draft, a draft
    consultation, a draft assembly, a debate and a petition awaiting moderation."""
    from civic.processes import services as process_services

    draft = process_services.create_process(admin, process_services.ProcessData(
        title="Démarche en préparation", summary="Bientôt.", description="", district_id=None))
    db.session.commit()
    published = processes.process(admin, title="Plan vélo 2027")
    budgets.edition(admin, title="Budget brouillon", published=False)
    consultations.consultation(admin, state="draft", title="Consultation brouillon")
    assemblies.assembly(admin, state="draft", title="Assemblée en préparation")
    deliberation.debate(admin, title="Débat de la ville")
    petitions.petition(state="moderation", title="Pétition à modérer", district=district)
    conversations.conversation(admin, question="Que faire de la place ?")
    return draft, published


def test_a_resident_is_refused_and_has_no_link(client):
    resident = factories.user()
    login(client, resident)
    assert client.get("/admin/").status_code == 403
    assert "Administration" not in client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_log_in(client):
    assert client.get("/admin/").status_code in (302, 401)


def test_staff_open_the_back_office_but_not_the_admins_pages(client):
    moderator = factories.user(roles=["moderator"])
    login(client, moderator)
    soup = _page(client, "/")
    assert soup.find("a", string="Administration")["href"].endswith("/admin/")
    # The scattered staff links are gone from the header: the back office lists them.
    header = soup.find("header")
    assert header.find("a", string="Moderation") is None
    admin_page = _page(client)
    assert admin_page.find("a", string="Moderation") is not None
    assert admin_page.find("a", string="People and roles") is None
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/settings").status_code == 403


def test_an_admin_sees_every_kind_of_space_drafts_included_with_a_preview(client):
    admin = factories.user(roles=["admin"])
    district = factories.district(name="Capitole")
    draft, published = _every_kind(admin, district)
    login(client, admin)
    soup = _page(client)
    rows = _spaces(soup)
    titles = {row[1].split(" Draft")[0] for row in rows}
    assert {"Démarche en préparation", "Plan vélo 2027", "Budget brouillon", "Consultation brouillon",
            "Assemblée en préparation", "Débat de la ville", "Pétition à modérer", "Que faire de la place ?"} <= titles
    kinds = {row[0] for row in rows}
    assert {"Participatory process", "Participatory budget", "Consultation", "Citizens' assembly", "Debate",
            "Petition", "Conversation"} <= kinds
    preview = soup.find("a", string="Preview of “Démarche en préparation”")
    assert preview["href"].endswith(f"/processes/{draft.id}")
    assert client.get(preview["href"]).status_code == 200
    # The published process shows its current phase.
    plan = next(row for row in rows if row[1] == "Plan vélo 2027")
    assert plan[3] == "Published" and plan[4] == "Propositions"
    # Filters by kind and by state.
    only = _spaces(_page(client, "/admin/?kind=process&state=Draft"))
    assert [row[1].split(" Draft")[0] for row in only] == ["Démarche en préparation"]


def test_a_district_official_sees_only_their_district(client):
    admin = factories.user(roles=["admin"])
    mine, other = factories.district(name="Capitole"), factories.district(name="Rangueil")
    processes.process(admin, title="Démarche du Capitole", district=mine)
    processes.process(admin, title="Démarche de Rangueil", district=other)
    processes.process(admin, title="Démarche de la ville")
    official = factories.user(roles=[("official", mine)])
    login(client, official)
    titles = [row[1] for row in _spaces(_page(client))]
    assert "Démarche du Capitole" in titles
    assert "Démarche de Rangueil" not in titles and "Démarche de la ville" not in titles


def test_a_late_owed_answer_comes_first_with_its_lateness(client):
    admin = factories.user(roles=["admin"])
    sitting = assemblies.assembly(admin, state="sitting")
    late = assemblies.recommendation(sitting, admin, days_ago=100, title="Recommandation en retard")  # 90 days to answer
    assemblies.recommendation(sitting, admin, days_ago=5, title="Recommandation récente")
    petitions.petition(state="moderation", title="Pétition à modérer")
    login(client, admin)
    rows = _section(_page(client), "attention-title").find("tbody").find_all("tr")
    first = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    assert first[0] == "Official answer due" and first[1] == "Recommandation en retard"
    days = (today() - local_day(late.answer_due_at)).days  # in the city's calendar, as the accountability page
    assert days >= 10 and re.search(rf"\b{days} days late\b", first[2]), first
    texts = [tr.get_text(" ", strip=True) for tr in rows]
    assert any("Recommandation récente" in t and "late" not in t for t in texts)
    assert any("Petition awaiting moderation" in t and "Pétition à modérer" in t for t in texts)


def test_a_district_official_is_not_asked_for_other_districts_answers(client):
    admin = factories.user(roles=["admin"])
    mine, other = factories.district(), factories.district()
    there = assemblies.assembly(admin, state="sitting", district=other, title="Assemblée d'ailleurs")
    assemblies.recommendation(there, admin, days_ago=100, title="Pas pour moi")
    login(client, factories.user(roles=[("official", mine)]))
    assert "Pas pour moi" not in _section(_page(client), "attention-title").get_text()


@pytest.mark.parametrize("roles, expected", [
    (["admin"], {"Create a process", "Create an edition", "New consultation", "Create an assembly",
                 "Open a debate", "Start a petition"}),
    (["official"], {"Create an edition", "New consultation", "Open a debate", "Start a petition"}),
    (["moderator"], {"Start a petition"}),
])
def test_the_create_links_follow_permissions(client, roles, expected):
    login(client, factories.user(roles=roles))
    create = _page(client).find(id="create-title")
    links = {a.get_text(strip=True): a["href"] for a in create.find_parent("section").find_all("a")}
    assert set(links) == expected
    for href in links.values():
        assert client.get(href).status_code == 200, href


def test_the_public_pages_no_longer_carry_the_staff_create_links(client):
    login(client, factories.user(roles=["admin"]))
    assert "Create a process" not in client.get("/processes/").get_data(as_text=True)
    assert "Create an edition" not in client.get("/budgets/").get_data(as_text=True)
    assert "New consultation" not in client.get("/consultations/").get_data(as_text=True)


def test_the_charts_and_the_tables_show_the_same_numbers(client):
    admin = factories.user(roles=["admin"])
    district = factories.district(name="Capitole")
    petition = petitions.petition(state="open", district=district)
    petitions.signatures(petition, 3, district=district, counted=True, validated_at=utcnow())
    login(client, admin)
    soup = _page(client, "/admin/figures")
    figure = soup.find(id="fig-petition_signatures").find_parent("section")
    for svg, table in zip(figure.find_all("svg"), figure.find_all("table"), strict=True):
        assert svg["role"] == "img" and svg["aria-label"] == svg.find("title").get_text()
        # By month each bar has its title; by district each row writes its name and number.
        drawn = [g.find("title").get_text() if g.find("title") else
                 ": ".join(t.get_text() for t in g.find_all("text")) for g in svg.find_all("g")]
        listed = [f"{tr.th.get_text()}: {tr.td.get_text()}" for tr in table.tbody.find_all("tr")]
        assert drawn == listed
    months = {tr.th.time["datetime"]: tr.td.get_text() for tr in figure.find("table").tbody.find_all("tr")}
    assert len(months) == 12 and months[utcnow().strftime("%Y-%m")] == "3"
    districts = {tr.th.get_text(): tr.td.get_text() for tr in figure.find_all("table")[1].tbody.find_all("tr")}
    assert districts == {"Capitole": "3"}
    # The tallest bar is the month with the signatures.
    heights = [float(r["height"]) for r in figure.find("svg").find_all("rect")]
    assert heights[-1] == max(heights) > 0 and heights[0] == 0


def test_the_number_of_queries_does_not_grow_with_the_spaces(client, app):
    admin = factories.user(roles=["admin"])
    login(client, admin)

    def queries():
        _resp, statements = capture_statements(lambda: client.get("/admin/"))
        return statements

    def more(n):
        for _i in range(n):
            _every_kind(admin, factories.district())
            sitting = assemblies.assembly(admin, state="sitting")
            assemblies.recommendation(sitting, admin, days_ago=100)
        client.get("/admin/")  # phases catch up with their dates before the request: not the page's queries

    more(1)
    before = queries()
    more(3)
    after = queries()
    assert len(after) == len(before), "\n".join(s for s in after if s not in before)


def test_a_figure_outside_the_last_twelve_months_is_left_out(client):
    admin = factories.user(roles=["admin"])
    petition = petitions.petition(state="open")
    petitions.signatures(petition, 2, counted=True, validated_at=utcnow() - timedelta(days=400))
    login(client, admin)
    figure = _page(client, "/admin/figures").find(id="fig-petition_signatures").find_parent("section")
    assert "(0 in all)" in figure.h2.get_text(" ", strip=True)


def test_bad_filters_are_answered_clearly(client):
    login(client, factories.user(roles=["admin"]))
    processes.process(title="Plan vélo 2027")
    assert client.get("/admin/?page=0").status_code == 422
    assert client.get("/admin/?page=abc").status_code == 422
    resp = client.get("/admin/?kind=nothing&state=%3Cscript%3E")
    assert resp.status_code == 200 and "No space matches." in resp.get_data(as_text=True)
    assert "<script>" not in resp.get_data(as_text=True)


def test_the_spaces_are_paginated(client):
    admin = factories.user(roles=["admin"])
    officials = [factories.user(roles=["official"]) for _i in range(2)]  # a daily limit of debates per person
    for i in range(32):
        deliberation.debate(officials[i % 2], title=f"Débat {i:02d}")
    login(client, admin)
    first = _spaces(_page(client, "/admin/?kind=debate"))
    second = _spaces(_page(client, "/admin/?kind=debate&page=2"))
    assert len(first) == 30 and len(second) == 2
    assert not {row[1] for row in first} & {row[1] for row in second}
    following = _page(client, "/admin/?kind=debate").find("a", rel="next")["href"]
    assert "page=2" in following and "kind=debate" in following


def test_the_new_accounts_are_counted_by_month_and_district(client):
    district = factories.district(name="Capitole")
    for _i in range(2):
        factories.user(district_id=district.id)
    login(client, factories.user(roles=["admin"]))
    figure = _page(client, "/admin/figures").find(id="fig-new_accounts").find_parent("section")
    districts = {tr.th.get_text(): tr.td.get_text() for tr in figure.find_all("table")[1].tbody.find_all("tr")}
    assert districts["Capitole"] == "2"
    assert figure.find("svg", role="img")["aria-label"] == "New accounts by month"
