"""Consultation fixtures: an official, a consultation with every question type
(built by tests/consultations/factories.py). ``close_now`` stays importable
from here for the accountability tests."""

from __future__ import annotations

import pytest

from civic.consultations.models import Consultation
from tests.consultations import factories


@pytest.fixture
def official(factory):
    return factory.user(email="elu@example.org", name="Élu", roles=("official",))


@pytest.fixture
def make_consultation(official):
    """``make_consultation(**details)`` -> an open consultation with one
    question of each type (single with "other", multiple max 2, ranking K=2,
    scale, optional text)."""
    def make(publish: bool = True, questions: bool = True, **details) -> Consultation:
        return factories.consultation(official, state="open" if publish else "draft", questions=questions, **details)
    return make


def close_now(c: Consultation, official) -> None:
    """Close through the service; the results job runs after commit."""
    factories.close(c, official)
