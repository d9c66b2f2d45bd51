"""The proposals CSV goes through the formula-safe export."""

import csv
import io

FORMULA = '=HYPERLINK("http://x")'


def test_a_proposal_title_starting_like_a_formula_is_neutralised(client, make_process, make_proposal):
    p = make_proposal(make_process(), title=FORMULA)
    resp = client.get(f"/processes/{p.process_id}/proposals.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="process-{p.process_id}-proposals.csv"'
    [row] = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert row["title"] == "'" + FORMULA and row["id"] == str(p.id)
