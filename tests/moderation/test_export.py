"""The transparency CSV goes through the formula-safe export. It holds no
user text (a month and figures), so its cells must come out unchanged; a
formula-like cell, injected into its rows, must be neutralised."""

import csv
import io

from civic.moderation import views
from civic.moderation.transparency import CSV_COLUMNS, csv_rows, transparency_figures


def _rows(resp):
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True))))


def test_figures_only_csv_parses_unchanged(client):
    resp = client.get("/transparency.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="moderation-transparency.csv"'
    rows = _rows(resp)
    expected = [[str(c) for c in row] for row in csv_rows(transparency_figures())]
    assert rows[0] == CSV_COLUMNS and rows[1:] == expected
    assert not any(cell.startswith("'") for row in rows for cell in row)


def test_a_formula_like_cell_is_neutralised(client, monkeypatch):
    monkeypatch.setattr(views, "csv_rows", lambda figures: [['=HYPERLINK("http://x")', -3, None]])
    assert _rows(client.get("/transparency.csv"))[1] == ['\'=HYPERLINK("http://x")', "-3", ""]
