"""Open-data pages and downloads: the catalogue, one documentation page per
dataset, CSV, JSON, Data Package and the DCAT-AP catalogue. Public, read-only,
the same for every visitor (so shared caches may keep them)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from flask import Blueprint, Response, render_template, request, stream_with_context
from flask_babel import get_locale

from civic.core import dumps
from civic.core.datasets import datasets, get_dataset
from civic.core.errors import NotFound
from civic.core.export import csv_response
from civic.opendata import formats
from civic.opendata import settings as odsettings

bp = Blueprint("opendata", __name__, url_prefix="/open-data")
MAX_AGE = 300  # seconds shared caches may keep a download before revalidating


def _dataset(name: str):
    ds = get_dataset(name)
    if ds is None:
        raise NotFound()
    return ds


def _not_modified(etag: str, updated_at) -> bool:
    if request.if_none_match:
        return request.if_none_match.contains(etag)
    since = request.if_modified_since
    return bool(since and updated_at and updated_at.replace(microsecond=0, tzinfo=UTC) <= since)


def _conditional(etag: str, updated_at, make) -> Response:
    """A 304 when the client's copy is current (If-None-Match, else
    If-Modified-Since), otherwise ``make()``; ETag, Last-Modified and a
    public Cache-Control on both."""
    resp = Response(status=304) if _not_modified(etag, updated_at) else make()
    resp.set_etag(etag)
    if updated_at is not None:
        resp.last_modified = updated_at.replace(microsecond=0, tzinfo=UTC)
    resp.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _json(doc: dict) -> tuple[str, str]:
    """The indented JSON text and its hash (the ETag)."""
    body = json.dumps(doc, ensure_ascii=False, indent=1)
    return body, hashlib.sha256(body.encode()).hexdigest()[:32]


@bp.get("")
def index():
    licence = odsettings.licence()
    entries = [{"ds": ds, "info": formats.fingerprint(ds, licence)} for ds in datasets()]
    return render_template("opendata/index.html", entries=entries, licence=licence, locale=str(get_locale()))


@bp.get("/<name>")
def dataset(name):
    ds = _dataset(name)
    licence = odsettings.licence()
    return render_template("opendata/dataset.html", ds=ds, info=formats.fingerprint(ds, licence), licence=licence,
                           locale=str(get_locale()), jsonld=formats.schema_org(ds, licence))


@bp.get("/<name>.csv")
def dataset_csv(name):
    ds = _dataset(name)
    if ds.bulk and (dumped := dumps.dump_response(ds.name, "csv")) is not None:
        return dumped  # large: the nightly file, gzip, with its own ETag (live until the first one)
    info = formats.fingerprint(ds, odsettings.licence())
    return _conditional(info["etag"], info["updated_at"],
                        lambda: csv_response(f"{ds.name}.csv", ds.header, (formats.csv_row(r) for r in ds.rows())))


@bp.get("/<name>.json")
def dataset_json(name):
    ds = _dataset(name)
    if ds.bulk and (dumped := dumps.dump_response(ds.name, "json")) is not None:
        return dumped
    licence = odsettings.licence()
    info = formats.fingerprint(ds, licence)
    return _conditional(info["etag"] + "-json", info["updated_at"], lambda: Response(
        stream_with_context(formats.json_body(ds, licence)), mimetype="application/json"))


@bp.get("/<name>/datapackage.json")
def datapackage(name):
    ds = _dataset(name)
    body, etag = _json(formats.datapackage(ds, odsettings.licence()))
    return _conditional(etag, ds.updated_at(), lambda: Response(body, mimetype="application/json"))


@bp.get("/catalog.jsonld")
def catalog_jsonld():
    body, etag = _json(formats.dcat_catalog(datasets(), odsettings.licence()))
    return _conditional(etag, None, lambda: Response(body, mimetype="application/ld+json"))
