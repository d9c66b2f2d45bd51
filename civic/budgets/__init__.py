"""Participatory budgets: residents propose, the city checks, residents vote,
results anyone can recompute, then implementation tracking."""


def init_app(app):
    from civic.budgets.kind import declare

    declare(app)
