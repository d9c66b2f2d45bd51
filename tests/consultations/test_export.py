"""The results CSV goes through the formula-safe export."""

import csv
import io

from civic.extensions import db
from tests.consultations import factories
from tests.consultations.factories import close

FORMULA = '=HYPERLINK("http://x")'


def test_a_question_starting_like_a_formula_is_neutralised(client, factory, official, make_consultation, run_jobs):
    c = make_consultation()
    single = next(q for q in c.questions if q.kind.value == "single")
    single.prompt = FORMULA  # set-up written directly: the export is under test
    single.choices[0].label = "+cmd"
    db.session.commit()
    factories.answer(c)
    close(c, official)
    run_jobs()
    resp = client.get(f"/api/v1/consultations/{c.id}/results.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == f'attachment; filename="consultation-{c.id}-results.csv"'
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    mine = [r for r in rows if r["question_id"] == str(single.id)]
    assert mine and all(r["question"] == "'" + FORMULA for r in mine)
    assert "'+cmd" in {r["option"] for r in mine}
    assert not any(r["question"].startswith("=") for r in rows)
