"""Citizens' assemblies drawn by lot (issue 18): the assembly space (mandate,
calendar, members, documents, hearings, working groups, recommendations and
their official answers) and the pure selection core (``selection.py``).

The draw (invitations, volunteers, quotas, the verifiable draw and its
public report) is ``draw_services.py``, ``draw_views.py`` and ``report.py``;
``cli.py`` runs the selection on CSV files (``flask civic assemblies select``).
Everything the module registers is declared in :mod:`civic.assemblies.kind`."""


def init_app(app):
    from civic.assemblies.kind import declare

    declare(app)
