"""Citizens' assemblies drawn by lot (issue 18).

``selection.py`` is the pure selection core (quotas, fair lotteries, the
verifiable draw); ``cli.py`` runs it on CSV files (``flask civic assemblies
select``).
"""


def init_app(app):
    from civic.assemblies.kind import declare

    declare(app)
