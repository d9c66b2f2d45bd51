"""Daily limits per person on opening debates: over the limit the form comes
back with 429, a sentence that says when, and the text kept."""

import pytest

from civic.core.errors import RateLimited
from civic.core.settings import store_setting
from civic.deliberation import services
from civic.deliberation.models import Debate
from civic.extensions import db
from tests.deliberation import factories
from tests.helpers import count_rows


def _html(resp):
    return resp.get_data(as_text=True)


def test_limits_are_sensible():
    assert services.DEBATES_PER_DAY_RESIDENT == 3
    assert services.DEBATES_PER_DAY_OFFICIAL == 20


def test_a_resident_opens_three_debates_a_day_and_the_fourth_is_refused_with_the_text_kept(
        client, login, factory):
    store_setting(services.RESIDENTS_MAY_OPEN, True)
    db.session.commit()
    me = factory.user(email="curious@example.org")
    for i in range(services.DEBATES_PER_DAY_RESIDENT):
        factories.debate(me, title=f"Question numéro {i + 1}")
    login(me)
    resp = client.post("/debates/new", data={"title": "Faut-il un marché le dimanche ?",
                                            "body": "Le cadre : les commerçants et les riverains.",
                                            "district_id": ""})
    html = _html(resp)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "There is a problem" in html
    assert "You have opened 3 debates today, the most one person can open in a day." in html
    assert "You can open another in" in html
    assert 'value="Faut-il un marché le dimanche ?"' in html and "les commerçants et les riverains." in html
    assert count_rows(Debate) == 3
    # Someone else may still open one.
    client.post("/account/logout")
    login(factory.user())
    assert client.post("/debates/new", data={"title": "Faut-il un marché le dimanche ?", "body": "Le cadre",
                                             "district_id": ""}).status_code == 302


def test_officials_have_a_higher_daily_limit(official):
    for i in range(services.DEBATES_PER_DAY_OFFICIAL):
        factories.debate(official, title=f"Conseil de quartier, point {i + 1}")
    with pytest.raises(RateLimited) as err:
        services.open_debate(official, "Un débat de trop", "Le cadre.")
    assert "You have opened 20 debates today" in err.value.message
    assert err.value.retry_after > 0
