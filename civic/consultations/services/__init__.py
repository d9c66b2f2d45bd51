"""Consultation services: the only writers of consultations, answers, results
and follow-ups.

Every function takes the actor as an argument, checks permission first
(``civic.consultations.permissions``), validates, changes the models, writes
the audit entry and outbox rows, and flushes; the caller (view, job, CLI)
commits once. By sub-feature:

- ``editing``: drafting, questions, publishing and closing;
- ``answering``: eligibility, the questionnaire, online and paper answers;
- ``results``: participation and published results as pages read them (the
  figures are computed by ``jobs.compute_results`` with the pure ``tally``);
- ``review``: moderators clear free texts;
- ``followup``: what we heard, decisions, next steps, what the city owes.

``from civic.consultations import services; services.x(...)`` reaches all of
them.
"""


from ..labels import ELIGIBILITY_LABELS, KIND_LABELS, OUTCOME_LABELS, SCALE_LABELS
from ..tally import K_ANONYMITY, SCALE_POINTS
from .answering import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_OTHER,
    MAX_TEXT,
    answer_consultation,
    answer_field_names,
    answer_fields,
    describe_answer,
    eligibility_problem,
    has_answered,
    new_edit_code,
    parse_answers,
    record_paper_response,
    respondent_district_id,
    response_for_code,
)
from .editing import (
    add_question,
    close_consultation,
    create_consultation,
    documents_rows,
    drafts_of,
    get_consultation,
    publish_consultation,
    remove_question,
    update_consultation,
)
from .followup import (
    add_decision,
    contribution_ref,
    due_instant,
    late_days,
    link_contribution,
    next_steps_rows,
    owed_answers,
    publish_followup,
    remove_decision,
    save_followup,
)
from .results import participation_by_district, participation_counts, published_text_counts, published_texts
from .review import review_free_text, review_queue

__all__ = [
    "CODE_ALPHABET", "CODE_LENGTH", "ELIGIBILITY_LABELS", "KIND_LABELS", "K_ANONYMITY", "MAX_OTHER", "MAX_TEXT",
    "OUTCOME_LABELS", "SCALE_LABELS", "SCALE_POINTS",
    "add_decision", "add_question", "answer_consultation", "answer_field_names", "answer_fields",
    "close_consultation", "contribution_ref", "create_consultation", "describe_answer", "documents_rows", "drafts_of",
    "due_instant", "eligibility_problem", "get_consultation", "has_answered", "late_days", "link_contribution",
    "new_edit_code", "next_steps_rows", "owed_answers", "parse_answers", "participation_by_district",
    "participation_counts", "publish_consultation", "publish_followup", "published_text_counts", "published_texts",
    "record_paper_response", "remove_decision", "remove_question", "respondent_district_id", "response_for_code",
    "review_free_text", "review_queue", "save_followup", "update_consultation",
]
