"""The site's identity and its own pages: the city's name, logo, accent
colour and footer links; the editable legal pages (legal notice, terms,
privacy additions) with their history; and the RGAA accessibility statement."""


def init_app(app):
    from civic.site.kind import declare

    declare(app)
