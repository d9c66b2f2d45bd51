"""Participatory processes (phases) and the proposals made in them.

Everything the module registers is declared in :mod:`civic.processes.kind`."""


def init_app(app):
    from civic.processes.kind import declare

    declare(app)
