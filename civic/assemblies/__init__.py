"""Citizens' assemblies drawn by lot (issue 18): the assembly space (mandate,
calendar, members, documents, hearings, working groups, recommendations and
their official answers) and the pure selection core (``selection.py``).

Everything the module registers is declared in :mod:`civic.assemblies.kind`."""


def init_app(app):
    from civic.assemblies.kind import declare

    declare(app)
