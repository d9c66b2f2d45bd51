"""Nightly bulk downloads (issue 20, item 3): gzip CSV and JSON built from a
dataset's rows, published atomically with a ``latest`` pointer, a failed build
leaving the previous version, old versions pruned, memory flat, and the file
served with ETag / Last-Modified / gzip and 304."""

from __future__ import annotations

import gc
import gzip
import json
import tracemalloc
from datetime import date, datetime

import pytest

from civic.core import datasets, dumps
from civic.core.datasets import Dataset, Field
from civic.core.settings import store_setting
from civic.extensions import db

FIELDS = (Field("id", "integer", "Number", "Numéro"), Field("label", "string", "Label", "Libellé"),
          Field("day", "date", "Day", "Jour"))


def make_rows(n, fail_at=None):
    def rows():
        for i in range(n):
            if fail_at is not None and i == fail_at:
                raise RuntimeError("database gone mid-stream")
            yield (i, f"=ligne {i} é", date(2026, 12, 1))
    return rows


@pytest.fixture
def dataset(app):
    """Register a test dataset (``bulk``) and remove it afterwards."""
    made = []

    def make(n=3, *, name="test-bulk", bulk=True, fail_at=None):
        ds = Dataset(name=name, kind="test", title_en="Test", title_fr="Test", description_en="d",
                     description_fr="d", method_en="m", method_fr="m", fields=FIELDS,
                     rows=make_rows(n, fail_at), bulk=bulk)
        datasets._DATASETS[name] = ds
        made.append(name)
        return ds

    yield make
    for name in made:
        datasets._DATASETS.pop(name, None)


def folder(name="test-bulk"):
    return dumps.dump_root() / name


def test_a_dump_is_gzip_csv_and_json_published_with_a_latest_pointer(app, dataset):
    ds = dataset(3)
    pointer = dumps.build_dump(ds, date(2026, 12, 2))
    assert pointer["day"] == "2026-12-02" and pointer["rows"] == 3
    path, mtime, etag = dumps.latest_dump("test-bulk")
    assert path == folder() / "2026-12-02.csv.gz"
    assert isinstance(mtime, datetime) and etag.startswith('"')
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    # The same CSV as the live download: formula-looking cells neutralised.
    assert text.splitlines() == ["id,label,day", "0,'=ligne 0 é,2026-12-01", "1,'=ligne 1 é,2026-12-01",
                                 "2,'=ligne 2 é,2026-12-01"]
    jpath, _m, jtag = dumps.latest_dump("test-bulk", "json")
    doc = json.loads(gzip.decompress(jpath.read_bytes()))
    assert doc["name"] == "test-bulk" and doc["fields"] == ["id", "label", "day"]
    assert doc["rows"] == [{"id": i, "label": f"=ligne {i} é", "day": "2026-12-01"} for i in range(3)]
    assert jtag != etag
    # Same rows, same bytes (no time in the gzip header): the same ETag.
    dumps.build_dump(ds, date(2026, 12, 2))
    assert dumps.latest_dump("test-bulk")[2] == etag
    assert sorted(p.name for p in folder().iterdir()) == ["2026-12-02.csv.gz", "2026-12-02.json.gz", "latest"]


def test_a_build_killed_mid_stream_leaves_the_previous_version_published(app, dataset):
    dumps.build_dump(dataset(5000), date(2026, 12, 1))
    before = dumps.latest_dump("test-bulk")
    broken = dataset(5000, fail_at=4000)
    with pytest.raises(RuntimeError):
        dumps.build_dump(broken, date(2026, 12, 2))
    assert dumps.latest_dump("test-bulk") == before
    assert len(gzip.decompress(before[0].read_bytes()).splitlines()) == 5001
    # No half-written file is left behind, none under the new day's name.
    assert sorted(p.name for p in folder().iterdir()) == ["2026-12-01.csv.gz", "2026-12-01.json.gz", "latest"]
    # Rebuilding today's dump over a published one fails the same way.
    with pytest.raises(RuntimeError):
        dumps.build_dump(broken, date(2026, 12, 1))
    assert dumps.latest_dump("test-bulk") == before
    assert len(gzip.decompress(before[0].read_bytes()).splitlines()) == 5001


def test_the_job_reports_a_failed_dataset_and_builds_the_others(app, dataset, clock):
    clock.set(datetime(2026, 12, 2, 1))
    dataset(10, name="test-good")
    dataset(10, name="test-bad", fail_at=3)
    outcome = dumps.build_dumps()
    assert outcome["test-good"] == "10 rows" and outcome["test-bad"] == "failed"
    assert dumps.latest_dump("test-bad") is None
    assert dumps.latest_dump("test-good") is not None


def test_old_versions_are_pruned_to_the_setting(app, dataset):
    ds = dataset(3)
    for day in range(1, 10):
        dumps.build_dump(ds, date(2026, 11, day))
    assert dumps.versions("test-bulk") == [f"2026-11-0{d}" for d in range(9, 2, -1)]   # 7 kept by default
    assert dumps.versions("test-bulk", "json") == dumps.versions("test-bulk")
    store_setting(dumps.VERSIONS_KEY, 2)
    db.session.commit()
    dumps.build_dump(ds, date(2026, 11, 10))
    assert dumps.versions("test-bulk") == ["2026-11-10", "2026-11-09"]


def test_the_nightly_job_dumps_bulk_datasets_once_a_day(app, dataset, clock):
    clock.set(datetime(2026, 12, 1, 23, 30))            # 00:30 on 2 December in Paris
    dataset(3, name="test-bulk")
    dataset(3, name="test-small", bulk=False)
    from civic.core.jobs import run_periodic

    run_periodic("opendata.dumps")
    assert dumps.read_pointer("test-bulk")["day"] == "2026-12-02"
    assert dumps.latest_dump("test-small") is None
    assert dumps.build_dumps()["test-bulk"] == "up to date"
    # With the setting on, small datasets get their daily versions too.
    store_setting(dumps.DUMP_ALL_KEY, True)
    db.session.commit()
    assert dumps.build_dumps()["test-small"] == "3 rows"


def _peak(ds) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        dumps.build_dump(ds, date(2026, 12, 2))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_whatever_the_number_of_rows(app, dataset):
    _peak(dataset(10, name="test-warm"))  # first-use allocations (settings, codecs) are not the rows'
    small = _peak(dataset(5_000, name="test-small"))
    large = _peak(dataset(50_000, name="test-large"))
    # Ten times the rows: the peak is the buffers' (gzip, one batch of lines), not the rows'.
    assert large < 1.5 * small, (small, large)
    assert large < 2_000_000


def test_a_dump_is_served_gzip_with_etag_and_304(app, dataset):
    dumps.build_dump(dataset(3), date(2026, 12, 2))
    path, mtime, etag = dumps.latest_dump("test-bulk")
    with app.test_request_context("/", headers={"Accept-Encoding": "gzip, br"}):
        resp = dumps.dump_response("test-bulk")
        body = b"".join(resp.response)
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "gzip" and resp.headers["ETag"] == etag
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert resp.headers["Last-Modified"].endswith("GMT")
    assert body == path.read_bytes()
    with app.test_request_context("/", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}):
        assert dumps.dump_response("test-bulk").status_code == 304
    with app.test_request_context("/", headers={"If-Modified-Since": resp.headers["Last-Modified"]}):
        assert dumps.dump_response("test-bulk").status_code == 304
    with app.test_request_context("/", headers={"If-None-Match": '"other"'}):
        plain = dumps.dump_response("test-bulk")
        text = b"".join(plain.response).decode()
    # A client that does not take gzip gets the CSV itself.
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert text.startswith("id,label,day\r\n")
    with app.test_request_context("/"):
        assert dumps.dump_response("no-such-dataset") is None
        assert dumps.dump_response("test-bulk", "xml") is None


def test_build_dumps_command(app, dataset, clock):
    clock.set(datetime(2026, 12, 2, 10))
    dataset(4)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["civic", "build-dumps", "test-bulk"])
    assert result.exit_code == 0 and "test-bulk: 4 rows" in result.output
    assert "up to date" in runner.invoke(args=["civic", "build-dumps", "test-bulk"]).output
    assert "4 rows" in runner.invoke(args=["civic", "build-dumps", "--force", "test-bulk"]).output
    assert runner.invoke(args=["civic", "build-dumps", "nope"]).exit_code == 2


def test_a_dump_is_the_same_document_as_the_live_download(app, dataset, client):
    ds = dataset(20, name="test-live", bulk=False)
    dumps.build_dump(ds, date(2026, 12, 2))
    for fmt in ("csv", "json"):
        live = client.get(f"/open-data/test-live.{fmt}")
        assert live.status_code == 200
        assert gzip.decompress(dumps.latest_dump("test-live", fmt)[0].read_bytes()) == live.data


def test_the_catalogue_serves_a_large_dataset_from_its_dump(app, dataset, client):
    ds = dataset(30)
    # No dump yet: served live, as before.
    live = client.get("/open-data/test-bulk.csv")
    assert live.status_code == 200 and "Content-Encoding" not in live.headers
    dumps.build_dump(ds, date(2026, 12, 2))
    path, _mtime, etag = dumps.latest_dump("test-bulk")
    resp = client.get("/open-data/test-bulk.csv", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["ETag"] == etag and resp.data == path.read_bytes()
    assert gzip.decompress(resp.data) == live.data
    assert 'filename="test-bulk-2026-12-02.csv"' in resp.headers["Content-Disposition"]
    assert client.get("/open-data/test-bulk.csv", headers={"If-None-Match": etag}).status_code == 304
    as_json = client.get("/open-data/test-bulk.json")
    assert as_json.status_code == 200 and len(json.loads(as_json.data)["rows"]) == 30
