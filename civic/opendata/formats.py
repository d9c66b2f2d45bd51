"""What a dataset looks like outside: cells, CSV and JSON bodies, content
fingerprints (ETag, size), the Frictionless Data Package, the schema.org
``Dataset`` of the documentation page and the DCAT-AP catalogue.

Only ``civic.core.datasets`` is read: the domains are reached through the
registry, never imported."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date, datetime

from flask import current_app

from civic.core.datasets import Dataset
from civic.core.export import csv_lines, iso
from civic.core.urls import absolute_url

_FINGERPRINTS: dict[str, tuple] = {}
# A fingerprint is reused while updated_at() is unchanged, at most this long:
# some changes (a project hidden, an appeal decided) do not move updated_at().
FINGERPRINT_SECONDS = 300


def cell(value):
    """A row value as JSON: moments in ISO 8601 (to the second, as the
    Table Schema ``datetime`` default format reads them), the rest as is."""
    if isinstance(value, datetime):
        return iso(value.replace(microsecond=0))
    if isinstance(value, date):
        return iso(value)
    return value


def csv_row(row) -> list:
    return [cell(v) for v in row]


def csv_body(ds: Dataset):
    """The CSV lines (header first), formula-safe, generated row by row."""
    return csv_lines(ds.header, (csv_row(r) for r in ds.rows()))


def json_body(ds: Dataset, licence: dict):
    """The JSON document, generated piece by piece: memory stays flat."""
    head = {"name": ds.name, "title": ds.title_fr, "title_en": ds.title_en, "licence": licence["name"],
            "updated_at": cell(ds.updated_at()), "fields": ds.header}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    first = True
    for row in ds.rows():
        yield ("" if first else ",") + json.dumps(dict(zip(ds.header, (cell(v) for v in row), strict=True)),
                                                  ensure_ascii=False)
        first = False
    yield "]}"


def fingerprint(ds: Dataset, licence: dict) -> dict:
    """``{"etag", "rows", "bytes", "updated_at"}`` of the CSV as served now.

    A strong ETag is the hash of the content itself, so it changes exactly
    when the file does; computing it reads the rows once (flat memory). It is
    kept while ``updated_at()`` stays the same (at most
    :data:`FINGERPRINT_SECONDS`), recomputed at each request when the dataset
    does not know its last change. Bulk
    datasets are not read live: their tag follows ``updated_at()`` only and
    their size is unknown (None)."""
    updated = ds.updated_at()
    key = (iso(updated), licence["key"], tuple((f.name, f.type) for f in ds.fields))
    if ds.bulk:
        tag = hashlib.sha256(repr((ds.name, key)).encode()).hexdigest()[:32]
        return {"etag": tag, "rows": None, "bytes": None, "updated_at": updated}
    cached = _FINGERPRINTS.get(ds.name)
    if cached and updated is not None and cached[0] == key and time.monotonic() - cached[1] < FINGERPRINT_SECONDS:
        return cached[2]
    digest, n, size = hashlib.sha256(licence["key"].encode()), -1, 0
    for line in csv_body(ds):
        raw = line.encode()
        digest.update(raw)
        n += 1
        size += len(raw)
    out = {"etag": digest.hexdigest()[:32], "rows": n, "bytes": size, "updated_at": updated}
    _FINGERPRINTS[ds.name] = (key, time.monotonic(), out)
    return out


def _field(f) -> dict:
    out = {"name": f.name, "type": f.type, "title": f.description_fr, "description": f.description_fr,
           "description_en": f.description_en, "description_fr": f.description_fr}
    if f.type == "datetime":
        out["format"] = "default"  # ISO 8601 in UTC, "2026-06-15T12:00:00Z"
    if f.constraints:
        out["constraints"] = dict(f.constraints)
    return out


def table_schema(ds: Dataset) -> dict:
    return {"fields": [_field(f) for f in ds.fields], "missingValues": [""]}


def datapackage(ds: Dataset, licence: dict) -> dict:
    """The Frictionless (Tabular) Data Package of one dataset: one CSV
    resource with its Table Schema, titles and descriptions in French
    (the site's language) and English, licence and last update."""
    lic = {"name": licence["name"], "path": licence["path"], "title": licence["title"]}
    updated = ds.updated_at()
    pkg = {
        "profile": "tabular-data-package", "name": ds.name, "id": absolute_url("opendata.dataset", name=ds.name),
        "title": ds.title_fr, "title_en": ds.title_en,
        "description": ds.description_fr, "description_en": ds.description_en,
        "method_fr": ds.method_fr, "method_en": ds.method_en,
        "homepage": absolute_url("opendata.dataset", name=ds.name), "licenses": [lic],
        "resources": [{
            "name": ds.name, "path": absolute_url("opendata.dataset_csv", name=ds.name), "profile":
            "tabular-data-resource", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "title": ds.title_fr, "licenses": [lic], "schema": table_schema(ds)}],
        "changelog": [{"date": d, "change": c} for d, c in ds.changelog],
    }
    if updated is not None:
        pkg["updated"] = iso(updated.replace(microsecond=0))
    return pkg


def _lang(fr: str, en: str) -> list[dict]:
    return [{"@value": fr, "@language": "fr"}, {"@value": en, "@language": "en"}]


def schema_org(ds: Dataset, licence: dict) -> dict:
    """The schema.org ``Dataset`` of the documentation page (search engines,
    dataset search)."""
    updated = ds.updated_at()
    out = {
        "@context": "https://schema.org", "@type": "Dataset", "name": ds.title_fr,
        "alternateName": ds.title_en, "description": ds.description_fr + " " + ds.method_fr,
        "url": absolute_url("opendata.dataset", name=ds.name), "identifier": ds.name,
        "license": licence["path"], "inLanguage": "fr", "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": current_app.config["SITE_NAME"]},
        "variableMeasured": [f.name for f in ds.fields],
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": "text/csv",
             "contentUrl": absolute_url("opendata.dataset_csv", name=ds.name)},
            {"@type": "DataDownload", "encodingFormat": "application/json",
             "contentUrl": absolute_url("opendata.dataset_json", name=ds.name)}],
    }
    if updated is not None:
        out["dateModified"] = iso(updated.replace(microsecond=0))
    return out


DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "xsd": "http://www.w3.org/2001/XMLSchema#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
MEDIA = "https://www.iana.org/assignments/media-types/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/FRA"


def _distribution(ds: Dataset, licence: dict, endpoint: str, fmt: str, media: str) -> dict:
    url = absolute_url(endpoint, name=ds.name)
    return {"@id": url, "@type": "dcat:Distribution", "dct:title": f"{ds.title_fr} ({fmt})",
            "dcat:accessURL": {"@id": url}, "dcat:downloadURL": {"@id": url},
            "dct:format": {"@id": EU_FILE_TYPE + fmt}, "dcat:mediaType": {"@id": MEDIA + media},
            "dct:license": {"@id": licence["path"]}}


def dcat_catalog(all_datasets: list[Dataset], licence: dict) -> dict:
    """The DCAT-AP catalogue (JSON-LD) of every dataset, in the shape the
    data.gouv.fr DCAT harvester reads: a ``dcat:Catalog`` whose datasets
    carry identifiers, bilingual titles, landing pages, licence,
    modification dates and one distribution per download format."""
    site = current_app.config["SITE_NAME"]
    publisher = {"@type": "foaf:Agent", "foaf:name": site, "foaf:homepage": {"@id": absolute_url("core.home")}}
    items = []
    for ds in all_datasets:
        page = absolute_url("opendata.dataset", name=ds.name)
        item = {
            "@id": page, "@type": "dcat:Dataset", "dct:identifier": ds.name,
            "dct:title": _lang(ds.title_fr, ds.title_en), "dct:description": _lang(ds.description_fr,
                                                                                 ds.description_en),
            "dcat:landingPage": {"@id": page}, "dct:publisher": publisher, "dct:license": {"@id": licence["path"]},
            "dct:language": {"@id": EU_LANGUAGE}, "dcat:keyword": [ds.kind],
            "dcat:distribution": [
                _distribution(ds, licence, "opendata.dataset_csv", "CSV", "text/csv"),
                _distribution(ds, licence, "opendata.dataset_json", "JSON", "application/json"),
                _distribution(ds, licence, "opendata.datapackage", "JSON", "application/json")
                | {"dct:title": f"{ds.title_fr} (Data Package)",
                   "dct:conformsTo": {"@id": "https://specs.frictionlessdata.io/data-package/"}}],
        }
        updated = ds.updated_at()
        if updated is not None:
            item["dct:modified"] = {"@value": iso(updated.replace(microsecond=0)), "@type": "xsd:dateTime"}
        items.append(item)
    return {"@context": DCAT_CONTEXT, "@id": absolute_url("opendata.catalog_jsonld"), "@type": "dcat:Catalog",
            "dct:title": _lang(f"Données ouvertes de {site}", f"Open data of {site}"),
            "dct:description": _lang("Les données publiques de la plateforme de participation, sous licence "
                                     "ouverte.", "The public data of the participation platform, under an "
                                     "open licence."),
            "dct:publisher": publisher, "dct:language": {"@id": EU_LANGUAGE},
            "dct:license": {"@id": licence["path"]}, "foaf:homepage": {"@id": absolute_url("opendata.index")},
            "dcat:dataset": items}


def participation_rows(all_activities, district_codes: dict):
    """Rows of the participation dataset: every activity's counts, by month,
    district and activity (sorted; a few hundred rows a year)."""
    rows = []
    for a in all_activities:
        for month, district_id, n in a.counts():
            if n:
                rows.append((month, district_codes.get(district_id), a.name, int(n)))
    rows.sort(key=lambda r: (r[0], r[1] or "", r[2]))
    return rows
