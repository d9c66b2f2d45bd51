"""Open data: the catalogue of every dataset the modules declare in
``civic.core.datasets``, their documentation pages, CSV / JSON downloads,
Frictionless Data Packages, a DCAT-AP catalogue and the datasets API."""


def init_app(app):
    from civic.opendata.kind import declare

    declare(app)
