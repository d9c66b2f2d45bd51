"""The town-hall counter lists every open place where a mediator can record
something on paper for a person, in the mediator's districts only."""

from tests.budgets import factories as budgets
from tests.consultations import factories as consultations
from tests.petitions import factories as petitions


def test_the_counter_lists_paper_entries_of_the_mediators_district_only(client, factory, login):
    north, south = factory.district(code="N", name="Nord"), factory.district(code="S", name="Sud")
    mediator = factory.user(roles=(("mediator", north),))
    official = factory.user(roles=("official",))
    admin = factory.user(roles=("admin",))
    petitions.petition(district=north, title="Des bancs au parc du Nord")
    petitions.petition(district=south, title="Des bancs au parc du Sud")
    consultations.consultation(official, title="Les horaires de la piscine du Nord", district_id=north.id)
    budgets.edition(official, phase="voting", envelopes=((north, 40_000), (south, 60_000)), admin=admin,
                    title="Budget des quartiers")
    login(mediator)
    html = client.get("/counter/").get_data(as_text=True)
    assert "Des bancs au parc du Nord" in html and "Des bancs au parc du Sud" not in html
    assert "Les horaires de la piscine du Nord" in html
    assert "Budget des quartiers — Nord" in html and "Budget des quartiers — Sud" not in html
    assert "/paper" in html


def test_the_counter_page_does_not_query_per_budget_envelope(client, factory, login):
    from tests.helpers import count_queries

    north = factory.district(code="N", name="Nord")
    mediator = factory.user(roles=(("mediator", north),))
    official, admin = factory.user(roles=("official",)), factory.user(roles=("admin",))
    login(mediator)
    budgets.edition(official, phase="voting", envelopes=((north, 40_000),), admin=admin, title="Budget A")
    _, few = count_queries(lambda: client.get("/counter/"))
    for n in range(3):
        budgets.edition(official, phase="voting", envelopes=((north, 10_000), (None, 10_000)), admin=admin,
                        title=f"Budget {n}")
    resp, many = count_queries(lambda: client.get("/counter/"))
    assert "Budget 2 — Nord" in resp.get_data(as_text=True)
    assert many == few
