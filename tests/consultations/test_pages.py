"""Every consultation page: one h1, labels for inputs, works in French."""

import re

from tests.consultations import factories
from tests.consultations.factories import close, form_for


def _check(html, path):
    assert html.count("<h1") == 1, path
    ids = set(re.findall(r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids <= labelled, (path, ids - labelled)
    assert "<script>" not in html and ' style="' not in html, path


def test_every_page_has_one_h1_and_a_label_for_every_input(client, login, factory, official, make_consultation,
                                                          run_jobs):
    c = make_consultation()
    factories.answer(c, text="Une idée")
    closed = make_consultation(title="Close")
    factories.answer(closed, text="Texte")
    close(closed, official)
    run_jobs()
    text_q = next(q for q in closed.questions if q.kind.value == "text")
    pages = ["/consultations", f"/consultations/{c.id}", f"/consultations/{closed.id}",
             f"/consultations/{closed.id}/results", f"/consultations/{closed.id}/results/{text_q.id}/texts",
             "/accountability"]
    for lang in ("en", "fr"):
        for path in pages:
            resp = client.get(path, headers={"Accept-Language": lang})
            assert resp.status_code == 200, path
            _check(resp.get_data(as_text=True), path)
    login(factory.user(email="admin@example.org", roles=("admin",)))
    data = form_for(c)
    data["action"] = "review"
    _check(client.post(f"/consultations/{c.id}/answer", data=data).get_data(as_text=True), "summary")
    for path in [f"/consultations/{c.id}/answer", "/consultations/new", f"/consultations/{c.id}/manage",
                 f"/consultations/{closed.id}/followup", f"/consultations/{c.id}/paper", "/consultations/review"]:
        resp = client.get(path)
        assert resp.status_code == 200, path
        _check(resp.get_data(as_text=True), path)
