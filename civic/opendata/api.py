"""The datasets in the public JSON API: the catalogue and each dataset's
description (schema, licence, links to the downloads)."""

from __future__ import annotations

from flask import jsonify

from civic.api import MOMENT_OR_NULL, bp, doc, obj
from civic.core.datasets import FIELD_TYPES, datasets, get_dataset
from civic.core.errors import NotFound
from civic.core.export import iso
from civic.core.urls import absolute_url
from civic.opendata import formats
from civic.opendata import settings as odsettings

TAGS = ["open data"]
INT_OR_NULL = {"type": ["integer", "null"], "minimum": 0}
FIELD_SCHEMA = obj({"name": {"type": "string"}, "type": {"enum": list(FIELD_TYPES)},
                    "description_en": {"type": "string"}, "description_fr": {"type": "string"},
                    "constraints": {"type": "object"}})
SUMMARY_SCHEMA = obj({
    "name": {"type": "string"}, "kind": {"type": "string"}, "title_en": {"type": "string"},
    "title_fr": {"type": "string"}, "description_en": {"type": "string"}, "description_fr": {"type": "string"},
    "licence": {"type": "string"}, "updated_at": MOMENT_OR_NULL,
    "rows": {**INT_OR_NULL, "description": "Null for bulk datasets, served from the nightly file."},
    "bytes": {**INT_OR_NULL, "description": "Size of the CSV file; null for bulk datasets."},
    "bulk": {"type": "boolean"}, "url": {"type": "string"}, "csv_url": {"type": "string"},
    "json_url": {"type": "string"}, "datapackage_url": {"type": "string"}})
DETAIL_SCHEMA = obj({
    **SUMMARY_SCHEMA["properties"], "method_en": {"type": "string"}, "method_fr": {"type": "string"},
    "fields": {"type": "array", "items": FIELD_SCHEMA},
    "changelog": {"type": "array", "items": obj({"date": {"type": "string"}, "change": {"type": "string"}})}})


def _summary(ds, licence) -> dict:
    info = formats.fingerprint(ds, licence)
    return {"name": ds.name, "kind": ds.kind, "title_en": ds.title_en, "title_fr": ds.title_fr,
            "description_en": ds.description_en, "description_fr": ds.description_fr, "licence": licence["name"],
            "updated_at": iso(info["updated_at"].replace(microsecond=0)) if info["updated_at"] else None,
            "rows": info["rows"], "bytes": info["bytes"], "bulk": ds.bulk,
            "url": absolute_url("opendata.dataset", name=ds.name),
            "csv_url": absolute_url("opendata.dataset_csv", name=ds.name),
            "json_url": absolute_url("opendata.dataset_json", name=ds.name),
            "datapackage_url": absolute_url("opendata.datapackage", name=ds.name)}


@bp.get("/datasets")
@doc("Every open dataset: titles, licence, last update, size and download links", tags=TAGS,
     description="The same list as the /open-data catalogue page; the files themselves are at csv_url, "
                 "json_url and datapackage_url (Frictionless Data Package with the Table Schema).",
     responses={"200": {"description": "The datasets, by name",
                        "schema": obj({"items": {"type": "array", "items": SUMMARY_SCHEMA}})}})
def api_datasets():
    licence = odsettings.licence()
    return jsonify({"items": [_summary(ds, licence) for ds in datasets()]})


@bp.get("/datasets/<dataset>")
@doc("One open dataset: its fields with types and descriptions, method, known limits and changelog", tags=TAGS,
     responses={"200": {"description": "The dataset", "schema": DETAIL_SCHEMA},
                "404": {"description": "No such dataset"}})
def api_dataset(dataset):
    ds = get_dataset(dataset)
    if ds is None:
        raise NotFound()
    data = _summary(ds, odsettings.licence())
    data.update(method_en=ds.method_en, method_fr=ds.method_fr,
                fields=[{"name": f.name, "type": f.type, "description_en": f.description_en,
                         "description_fr": f.description_fr, "constraints": dict(f.constraints)}
                        for f in ds.fields],
                changelog=[{"date": d, "change": c} for d, c in ds.changelog])
    return jsonify(data)
