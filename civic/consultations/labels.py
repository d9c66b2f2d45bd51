"""Words for the consultations' values, translated when shown (forms, pages,
mails): one place, so the forms, the templates and the jobs say the same."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import Eligibility, Outcome, QuestionKind

SCALE_LABELS = {
    1: _l("Strongly disagree"), 2: _l("Disagree"), 3: _l("Neither agree nor disagree"),
    4: _l("Agree"), 5: _l("Strongly agree"),
}
KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"), QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.RANKING: _l("Ranking"), QuestionKind.SCALE: _l("Agreement scale (5 points)"),
    QuestionKind.TEXT: _l("Short free text"),
}
OUTCOME_LABELS = {
    Outcome.ADOPTED: _l("Adopted"), Outcome.PARTLY: _l("Partly adopted"), Outcome.NOT_ADOPTED: _l("Not adopted"),
}
ELIGIBILITY_LABELS = {
    Eligibility.CONFIRMED_EMAIL: _l("Anyone with a confirmed email address"),
    Eligibility.RESIDENTS: _l("Verified residents of the city"),
    Eligibility.DISTRICTS: _l("Verified residents of the chosen districts"),
}
