"""Consultation fixtures: an official, a consultation with every question type."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from civic.consultations import services
from civic.consultations.models import Consultation
from civic.core.time import today as local_today
from civic.extensions import db


@pytest.fixture
def official(factory):
    return factory.user(email="elu@example.org", name="Élu", roles=("official",))


@pytest.fixture
def make_consultation(official):
    """``make_consultation(**details)`` -> an open consultation with one
    question of each type (single with "other", multiple max 2, ranking K=2,
    scale, optional text)."""
    def make(publish: bool = True, questions: bool = True, **details) -> Consultation:
        today = local_today()
        args = dict(title="Horaires des bibliothèques", context="Pourquoi **maintenant**",
                    opens_on=today - timedelta(days=1), closes_on=today + timedelta(days=10),
                    results_due_on=today + timedelta(days=30))
        args.update(details)
        c = services.create_consultation(official, **args)
        if questions:
            services.add_question(official, c, kind="single", prompt="Which library?", choices=["Centre", "North"],
                                  allow_other=True)
            services.add_question(official, c, kind="multiple", prompt="Which slots?", max_choices=2,
                                  choices=["Sunday", "Evening", "Lunch"])
            services.add_question(official, c, kind="ranking", prompt="Rank the services", max_choices=2,
                                  choices=["Books", "Quiet rooms", "Workshops"])
            services.add_question(official, c, kind="scale", prompt="Open on Sundays?")
            services.add_question(official, c, kind="text", prompt="Any idea?", required=False)
        if publish:
            services.publish_consultation(official, c)
        db.session.commit()
        return c
    return make


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


def close_now(c: Consultation, official) -> None:
    """Close through the service; the results job runs after commit."""
    services.close_consultation(official, c, "test")
    db.session.commit()
    db.session.expire_all()
