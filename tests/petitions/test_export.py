"""The petitions CSV: formula-safe cells, and every matching petition
streamed in chunks (no row cap)."""

import csv
import io

from civic.petitions import views

FORMULA = '=HYPERLINK("http://x")'


def _rows(resp):
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))


def test_a_title_starting_like_a_formula_is_neutralised(client, pf):
    pf.petition(title=FORMULA)
    resp = client.get("/petitions/petitions.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="petitions.csv"'
    [row] = _rows(resp)
    assert row["title"] == "'" + FORMULA


def test_every_petition_comes_out_once_across_chunks(client, pf, monkeypatch):
    monkeypatch.setattr(views, "CSV_CHUNK", 2)
    made = {pf.petition(title=f"Demande {i}").id for i in range(3)}
    pf.petition("draft", title="Brouillon")
    rows = _rows(client.get("/petitions/petitions.csv"))
    assert sorted(int(r["id"]) for r in rows) == sorted(made)
    assert list(rows[0]) == ["id", "title", "state", "topic", "district", "signature_count", "paper_count",
                             "opened_at", "closes_at", "closed_at", "response_threshold", "response_threshold_at",
                             "response_due_at", "debate_threshold", "debate_threshold_at", "url"]
    assert rows[0]["opened_at"].endswith("Z") and rows[0]["closed_at"] == ""
