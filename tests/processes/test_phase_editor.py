"""The phases form as a structured editor, without JavaScript: "Add a phase"
and "Remove phase N" are answered by the server with the same form, every
input kept and nothing saved; a row's missing date is shown next to it."""

from __future__ import annotations

import re

from civic.core import phases
from civic.extensions import db
from civic.processes import services
from civic.processes.forms import MAX_PHASES


def _html(resp):
    return resp.get_data(as_text=True)


def _rows(html: str) -> list[tuple[str, str]]:
    """(kind chosen, start date) of each row shown, in order."""
    found = []
    for i in sorted({int(n) for n in re.findall(r'name="rows-(\d+)-starts_on"', html)}):
        code = re.search(rf'<select[^>]*name="rows-{i}-code".*?</select>', html, re.S).group(0)
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', code)
        start = re.search(rf'name="rows-{i}-starts_on"[^>]*value="([^"]*)"', html)
        found.append(((chosen.group(1) or chosen.group(2)) if chosen else "", start.group(1) if start else ""))
    return found


def _process(admin):
    process = services.create_process(admin, services.ProcessData(title="Plan vélo 2027", summary="Proposez."))
    db.session.commit()
    return process


TWO = {"rows-0-code": "information", "rows-0-starts_on": "2030-01-01",
       "rows-1-code": "proposals", "rows-1-starts_on": "2030-02-01", "rows-1-capabilities": ["submit"]}


def test_adding_a_phase_keeps_every_row_typed_and_saves_nothing(client, login, admin):
    process = _process(admin)
    login(admin)
    resp = client.post(f"/processes/{process.id}/phases", data={**TWO, "add_row": "rows"})
    assert resp.status_code == 200
    html = _html(resp)
    assert _rows(html) == [("information", "2030-01-01"), ("proposals", "2030-02-01"), ("", "")]
    assert "Phase 3" in html and "Remove phase 3" in html
    assert re.search(r'name="rows-1-capabilities"[^>]*value="submit"[^>]*checked|checked[^>]*name="rows-1-capabilities"'
                     r'[^>]*value="submit"', html)
    assert phases.phases_for("process", process.id) == []


def test_removing_a_phase_drops_that_row_and_renumbers_the_others(client, login, admin):
    process = _process(admin)
    login(admin)
    three = {**TWO, "rows-2-code": "results", "rows-2-starts_on": "2030-03-01"}
    resp = client.post(f"/processes/{process.id}/phases", data={**three, "remove_row": "rows-0"})
    assert resp.status_code == 200
    assert _rows(_html(resp)) == [("proposals", "2030-02-01"), ("results", "2030-03-01")]
    assert phases.phases_for("process", process.id) == []


def test_a_phase_without_start_date_is_shown_next_to_its_row(client, login, admin):
    process = _process(admin)
    login(admin)
    resp = client.post(f"/processes/{process.id}/phases", data={**TWO, "rows-1-starts_on": ""})
    assert resp.status_code == 422
    html = _html(resp)
    assert re.search(r'id="rows-1-starts_on-error"[^>]*>.*Phase 2 needs a start date', html)
    assert 'aria-describedby="rows-1-starts_on-hint rows-1-starts_on-error"' in html
    assert '<a href="#rows-1-starts_on">Phase 2 needs a start date.</a>' in html
    assert phases.phases_for("process", process.id) == []


def test_no_more_phases_than_the_limit(client, login, admin):
    process = _process(admin)
    login(admin)
    full = {}
    for i in range(MAX_PHASES):
        full[f"rows-{i}-code"] = "information"
        full[f"rows-{i}-starts_on"] = f"2030-01-{i + 1:02d}"
    resp = client.post(f"/processes/{process.id}/phases", data={**full, "add_row": "rows"})
    assert resp.status_code == 422
    assert len(_rows(_html(resp))) == MAX_PHASES and f"at most {MAX_PHASES} phases" in _html(resp)


def test_saved_phases_come_back_in_order_with_an_empty_row_after_them(client, login, admin):
    process = _process(admin)
    login(admin)
    assert client.post(f"/processes/{process.id}/phases", data=TWO).status_code == 302
    rows = _rows(_html(client.get(f"/processes/{process.id}/phases")))
    assert rows[:3] == [("information", "2030-01-01"), ("proposals", "2030-02-01"), ("", "")]
