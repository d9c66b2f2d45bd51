"""Absolute URLs for mails and feeds, built from BASE_URL (not the request's
host), so jobs and CLI commands build the same links as web requests."""

from urllib.parse import urlparse

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    base = urlparse(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
