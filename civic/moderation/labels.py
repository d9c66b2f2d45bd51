"""Human names of reasons, decision types and appeal outcomes (translated)."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from civic.moderation.models import AppealStatus, DecisionType, ReportReason

REASONS = {
    ReportReason.SPAM: _l("Spam or advertising"),
    ReportReason.HARASSMENT: _l("Harassment or hate"),
    ReportReason.MISINFORMATION: _l("Misinformation"),
    ReportReason.PERSONAL_DATA: _l("Personal data exposed"),
    ReportReason.ILLEGAL: _l("Illegal content"),
    ReportReason.OFF_TOPIC: _l("Off-topic"),
    ReportReason.OTHER: _l("Other"),
}

REASON_HINTS = {
    ReportReason.SPAM: _l("Advertising, repeated messages, links to unrelated sites."),
    ReportReason.HARASSMENT: _l("Insults, threats, attacks on a person or a group for who they are."),
    ReportReason.MISINFORMATION: _l("False facts presented as true that could mislead people."),
    ReportReason.PERSONAL_DATA: _l("Someone's address, phone number, health or private life."),
    ReportReason.ILLEGAL: _l("Content against the law (incitement to violence, defamation...)."),
    ReportReason.OFF_TOPIC: _l("Nothing to do with the subject being discussed."),
    ReportReason.OTHER: _l("Something else: say what in the details."),
}

DECISIONS = {
    DecisionType.KEEP: _l("Kept (reports dismissed)"),
    DecisionType.HIDE: lazy_pgettext("decision", "Hidden"),
    DecisionType.REDACT: _l("Personal data edited out"),
    DecisionType.BLOCK: _l("Account blocked"),
}

APPEALS = {
    AppealStatus.PENDING: _l("Waiting for a decision"),
    AppealStatus.UPHELD: _l("Decision confirmed"),
    AppealStatus.OVERTURNED: _l("Decision reversed"),
}


def reason_label(code) -> str:
    return str(REASONS.get(code, code or ""))


def decision_label(code) -> str:
    return str(DECISIONS.get(code, code or ""))


def appeal_label(code) -> str:
    return str(APPEALS.get(code, code or ""))
