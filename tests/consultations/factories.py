"""Factories for consultations, built through the services as the pages build
them (users and districts come from ``tests/factories.py``).

- :func:`consultation`: a consultation in a given state, with one question of
  each type by default;
- :func:`form_for`: the form fields that answer it;
- :func:`answer` / :func:`answer_many`: people answering it;
- :func:`close`: closing it now (the results job runs after the commit:
  inline, or with the ``run_jobs`` fixture under Redis).
"""

from __future__ import annotations

from datetime import timedelta

from werkzeug.datastructures import MultiDict

from civic.consultations import services
from civic.consultations.models import Consultation
from civic.core.time import today
from civic.extensions import db
from tests import factories

STATES = ("draft", "upcoming", "open", "closed")


def add_every_kind_of_question(official, c: Consultation) -> None:
    """Single with "other", multiple (at most 2), ranking (K = 2), scale, optional text."""
    services.add_question(official, c, kind="single", prompt="Which library do you use?", choices=["Centre", "North"],
                          allow_other=True)
    services.add_question(official, c, kind="multiple", prompt="Which opening slots?", max_choices=2,
                          choices=["Sunday", "Evening", "Lunch"])
    services.add_question(official, c, kind="ranking", prompt="Rank the services", max_choices=2,
                          choices=["Books", "Quiet rooms", "Workshops"])
    services.add_question(official, c, kind="scale", prompt="Open on Sundays?")
    services.add_question(official, c, kind="text", prompt="Any idea?", required=False)


def consultation(official=None, *, state: str = "open", questions: bool = True, **details) -> Consultation:
    """A committed consultation in ``state`` ("draft", "upcoming", "open",
    "closed"), by ``official`` (a new city-wide official if None). ``details``
    are those of ``services.create_consultation`` (dates as local days)."""
    assert state in STATES, state
    official = official or factories.user(roles=("official",))
    day = today()
    args = dict(title="Horaires des bibliothèques", context="Pourquoi **maintenant**",
                opens_on=day + timedelta(days=2) if state == "upcoming" else day - timedelta(days=1),
                closes_on=day + timedelta(days=10), results_due_on=day + timedelta(days=30))
    args.update(details)
    c = services.create_consultation(official, **args)
    if questions:
        add_every_kind_of_question(official, c)
    if state != "draft":
        services.publish_consultation(official, c)
    db.session.commit()
    if state == "closed":
        close(c, official)
    return c


def close(c: Consultation, official, reason: str = "test") -> None:
    """Close through the service; the results job runs after commit."""
    services.close_consultation(official, c, reason)
    db.session.commit()
    db.session.expire_all()


def form_for(c: Consultation, single=0, multiple=(0,), ranking=(1, 0), scale=4, text="", other=None) -> MultiDict:
    """Form fields answering ``c`` (indexes into each question's choices)."""
    q = {x.kind.value: x for x in c.questions}
    data = MultiDict()
    if other is not None:
        data.add(f"q{q['single'].id}", "other")
        data.add(f"q{q['single'].id}_other", other)
    else:
        data.add(f"q{q['single'].id}", str(q["single"].choices[single].id))
    for i in multiple:
        data.add(f"q{q['multiple'].id}", str(q["multiple"].choices[i].id))
    for rank, i in enumerate(ranking, 1):
        data.add(f"q{q['ranking'].id}_c{q['ranking'].choices[i].id}", str(rank))
    data.add(f"q{q['scale'].id}", str(scale))
    data.add(f"q{q['text'].id}", text)
    return data


def answer(c: Consultation, person=None, *, notify: bool = False, **answers) -> str:
    """``person`` (a new user if None) answers ``c`` (see :func:`form_for`);
    committed. Returns the edit code."""
    code = services.answer_consultation(person or factories.user(), c, form_for(c, **answers), notify=notify)
    db.session.commit()
    return code


def answer_many(c: Consultation, district, n: int, **answers) -> None:
    """``n`` new people answer ``c`` alike: verified residents of ``district``,
    or with no district when None."""
    for _ in range(n):
        person = factories.user(verified_in=district) if district else factories.user()
        services.answer_consultation(person, c, form_for(c, **answers))
    db.session.commit()
