"""Consultations: questionnaires, anonymous answers, results, official follow-up."""


def init_app(app):
    from civic.consultations.kind import declare

    declare(app)
