"""Open data: every dataset of every module, served as users and harvesters
get it (catalogue, documentation page, CSV, JSON, Data Package, DCAT), its
validity against its own schema, and the absence of any personal data."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from frictionless import validate

from civic.core import datasets as registry
from civic.core.settings import change_settings
from civic.extensions import db
from civic.opendata import formats
from tests import factories
from tests.budgets import factories as bf
from tests.consultations import factories as cf
from tests.petitions import factories as pf

# The modules' datasets the issue asks for (declaring kind -> names).
EXPECTED = {
    "petition": {"petitions", "petition-signatures-by-district"}, "proposal": {"proposals"},
    "project": {"budget-projects"}, "budget": {"budget-turnout", "budget-results"},
    "consultation": {"consultation-results"}, "debate": {"debates"}, "comment": {"comments"},
    "moderation": {"moderation-transparency"}, "accountability": {"owed-answers"},
    "opendata": {"participation-by-district-month"},
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
IPV6 = re.compile(r"\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b", re.I)


def names():
    return [ds.name for ds in registry.datasets()]


@pytest.fixture(autouse=True)
def _fresh_fingerprints(monkeypatch):
    monkeypatch.setattr(formats, "_FINGERPRINTS", {})


def csv_of(client, name) -> str:
    r = client.get(f"/open-data/{name}.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    return r.get_data(as_text=True)


def test_every_module_declares_its_datasets_and_the_catalogue_lists_each(app, client, world):
    declared: dict[str, set] = {}
    for ds in registry.datasets():
        declared.setdefault(ds.kind, set()).add(ds.name)
    for kind, wanted in EXPECTED.items():
        assert wanted <= declared.get(kind, set()), kind
    page = client.get("/open-data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    dcat = client.get("/open-data/catalog.jsonld").get_json()
    in_dcat = {d["dct:identifier"] for d in dcat["dcat:dataset"]}
    api = {d["name"]: d for d in client.get("/api/v1/datasets").get_json()["items"]}
    for ds in registry.datasets():
        assert f'href="/open-data/{ds.name}"' in html, ds.name
        assert f'href="/open-data/{ds.name}.csv"' in html and f"/open-data/{ds.name}/datapackage.json" in html
        assert ds.name in in_dcat and ds.name in api
    assert "Licence Ouverte" in html
    # The demo-like data is there: sizes are counted rows, not placeholders.
    assert api["petitions"]["rows"] == 2 and api["petitions"]["licence"] == "etalab-2.0"


def test_every_data_package_validates_and_its_csv_matches_the_schema(app, client, world, tmp_path):
    """The reference implementation (frictionless) reads each package with
    its CSV: the descriptor, the types and constraints of every cell."""
    for name in names():
        pkg = client.get(f"/open-data/{name}/datapackage.json")
        assert pkg.status_code == 200, name
        descriptor = pkg.get_json()
        text = csv_of(client, name)
        assert len(text.splitlines()) > 1 or name == "budget-results", f"{name}: no rows with the world's data"
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        descriptor["resources"][0]["path"] = f"{name}.csv"
        (tmp_path / f"{name}.datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        report = validate(str(tmp_path / f"{name}.datapackage.json"))
        errors = [e.message for task in report.tasks for e in task.errors] + [e.message for e in report.errors]
        assert report.valid, f"{name}: {errors[:5]}"
        schema = descriptor["resources"][0]["schema"]
        assert [f["name"] for f in schema["fields"]] == next(csv.reader(io.StringIO(text)))
        assert all(f["description_fr"] and f["description_en"] for f in schema["fields"])
        assert descriptor["licenses"][0]["name"] == "etalab-2.0"


def test_a_wrong_value_fails_the_schema_check(app, client, world, tmp_path):
    """The validation above can fail: a count that is not a number is caught."""
    descriptor = client.get("/open-data/petitions/datapackage.json").get_json()
    text = csv_of(client, "petitions").replace(",open,other,N,4,", ",open,other,N,quatre,", 1)
    assert "quatre" in text
    (tmp_path / "p.csv").write_text(text, encoding="utf-8")
    descriptor["resources"][0]["path"] = "p.csv"
    (tmp_path / "p.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate(str(tmp_path / "p.json"))
    assert not report.valid and report.flatten(["type"]) == [["type-error"]]


def test_json_has_the_csv_rows(app, client, world):
    for name in names():
        doc = client.get(f"/open-data/{name}.json").get_json()
        rows = list(csv.DictReader(io.StringIO(csv_of(client, name))))
        assert len(doc["rows"]) == len(rows), name
        assert doc["fields"] == registry.get_dataset(name).header


def _secrets(world) -> list[str]:
    """Signers, a voter and a respondent with recognisable personal data;
    returns what must never appear in any dataset."""
    import sqlalchemy as sa

    from civic.budgets.models import Project
    from civic.petitions.models import Signature, SignatureState
    from civic.petitions.tally import tally_signatures

    people = [(f"Signataire Secrète {i}", f"secret.signer{i}@exemple.fr", f"203.0.113.{i + 10}") for i in range(3)]
    people.append(("Signataire Six", "v6@exemple.fr", "2001:db8::1234:5678"))
    for name, email, ip in people:
        db.session.add(Signature(petition_id=world.open_petition.id, state=SignatureState.VALIDATED, name=name,
                                 email=email, canonical_email=email, email_domain="exemple.fr", postcode="31000",
                                 district_id=world.north.id, ip=ip, nonce="n", dirty=True))
    db.session.commit()
    tally_signatures()
    voter = factories.user(email="votante.secrete@exemple.fr", name="Votante Secrète", verified_in=world.north)
    edition = world.voting_edition
    projects = db.session.scalars(sa.select(Project).where(Project.edition_id == edition.id)).all()
    bf.ballot(voter, edition.envelopes[0], projects[:1])
    respondent = factories.user(email="repondante.secrete@exemple.fr", name="Répondante Secrète")
    cf.answer(world.open_consultation, respondent, text="Ma réponse très personnelle")
    db.session.commit()
    return ["Signataire Secrète", "Signataire Six", "Votante Secrète", "Répondante Secrète", "secret.signer",
            "votante.secrete", "repondante.secrete", "203.0.113.", "2001:db8::1234", "Signer 0",
            "Ma réponse très personnelle"]


def test_no_dataset_holds_personal_data(app, client, world):
    """Every cell of every dataset, CSV and JSON: no email address, no IP
    address, no signer's, voter's or respondent's name, no free answer of a
    consultation (who answered what), and no column that could hold one."""
    secrets = _secrets(world)
    for name in names():
        ds = registry.get_dataset(name)
        assert not {"email", "ip", "user_id", "voter", "signer", "postcode"} & set(ds.header), name
        body = csv_of(client, name) + client.get(f"/open-data/{name}.json").get_data(as_text=True)
        assert not EMAIL.search(body), (name, EMAIL.search(body))
        assert not IPV4.search(body), (name, IPV4.search(body))
        assert not IPV6.search(body), (name, IPV6.search(body))
        for secret in secrets:
            assert secret not in body, (name, secret)
    # The scan sees what it scans for: the personal data is in the database.
    from civic.petitions.models import Signature

    assert db.session.scalar(db.select(Signature).where(Signature.name == "Signataire Six")).ip == "2001:db8::1234:5678"
    signatures = {r["district"]: int(r["signatures"]) for r in csv.DictReader(io.StringIO(
        csv_of(client, "petition-signatures-by-district"))) if r["petition_id"] == str(world.open_petition.id)}
    assert signatures["N"] == 7  # the 4 new signers are counted, without a trace of who they are


def test_the_csv_is_formula_safe(app, client, world):
    pf.petition("open", title='=HYPERLINK("http://evil.example","x")')
    rows = list(csv.reader(io.StringIO(csv_of(client, "petitions"))))
    titles = [r[1] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in titles
    assert not any(t.startswith(("=", "+", "@")) for t in titles)


@pytest.mark.parametrize("path", ["/open-data/petitions.csv", "/open-data/petitions.json",
                                  "/open-data/petitions/datapackage.json", "/open-data/catalog.jsonld"])
def test_conditional_get_answers_304_until_the_data_changes(app, client, world, path):
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    if path.endswith(("petitions.csv", "petitions.json")):
        assert first.headers["Last-Modified"]
        pf.petition("open", title="Une nouvelle demande")
        changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert changed.status_code == 200 and "Une nouvelle demande" in changed.get_data(as_text=True)
        assert changed.headers["ETag"] != first.headers["ETag"]


def test_the_documentation_page_describes_the_fields_and_carries_schema_org(app, client, world):
    r = client.get("/open-data/petitions", headers={"Accept-Language": "fr"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<h1>Pétitions</h1>" in html and "signature_count" in html and "nombre entier" in html
    assert "Comment les chiffres sont calculés" in html and "Première publication" in html
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert ld["@type"] == "Dataset" and ld["license"].startswith("https://www.etalab.gouv.fr/")
    assert ld["distribution"][0]["contentUrl"].endswith("/open-data/petitions.csv")
    assert len(r.data) < 60_000


def test_unknown_datasets_are_404(app, client):
    for path in ["/open-data/nothing", "/open-data/nothing.csv", "/open-data/nothing/datapackage.json",
                 "/api/v1/datasets/nothing"]:
        assert client.get(path).status_code == 404, path


def test_the_licence_is_an_admin_setting(app, client, world):
    admin = factories.user(roles=["admin"])
    with pytest.raises(Exception) as err:
        change_settings(admin, {"opendata.licence": "cc-by-nc"})
    assert "opendata.licence" in err.value.fields
    db.session.rollback()
    change_settings(admin, {"opendata.licence": "odbl-1.0"})
    db.session.commit()
    pkg = client.get("/open-data/petitions/datapackage.json").get_json()
    assert pkg["licenses"][0]["name"] == "ODbL-1.0"
    dcat = client.get("/open-data/catalog.jsonld").get_json()
    assert dcat["dct:license"]["@id"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert "Open Database License" in client.get("/open-data").get_data(as_text=True)


def test_pages_showing_figures_link_their_dataset_and_the_footer_links_the_catalogue(app, client, world):
    html = client.get("/petitions/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'href="/open-data/petitions"' in html and "Données ouvertes" in html
    assert 'href="/open-data"' in html  # footer
    assert 'href="/open-data/moderation-transparency"' in client.get("/transparency").get_data(as_text=True)
    assert 'href="/open-data/owed-answers"' in client.get("/accountability").get_data(as_text=True)
    assert 'href="/open-data/petitions"' not in client.get("/debates/").get_data(as_text=True)


def test_api_describes_each_dataset(app, client, world):
    doc = client.get("/api/v1/datasets/consultation-results").get_json()
    assert doc["name"] == "consultation-results" and doc["rows"] > 0
    assert {f["name"] for f in doc["fields"]} >= {"district", "measure", "value"}
    assert "10" in doc["method_en"]  # the small-count suppression is documented


def test_participation_counts_every_activity_by_district_and_month(app, client, world):
    from civic.core.time import utcnow

    month = utcnow().strftime("%Y-%m")
    rows = {(r["month"], r["district"], r["activity"]): int(r["count"]) for r in csv.DictReader(io.StringIO(
        csv_of(client, "participation-by-district-month")))}
    # The world: 3 counted signatures from the north and 1 from the south, 3 ballots, 1 support, and
    # 6 consultation answers; 4 visible comments (the hidden reply is not counted).
    assert rows[(month, "N", "petition_signatures")] == 3 and rows[(month, "S", "petition_signatures")] == 1
    assert rows[(month, "", "budget_ballots")] == 3 and rows[(month, "N", "proposal_supports")] == 1
    assert rows[(month, "", "consultation_answers")] == 6 and rows[(month, "", "comments")] == 4
    doc = client.get("/open-data/participation-by-district-month").get_data(as_text=True)
    assert "petition_signatures" in doc and "consultation_answers" in doc  # each activity's method


def test_every_page_said_to_show_a_dataset_exists(app):
    endpoints = set(app.view_functions)
    for ds in registry.datasets():
        assert set(ds.shown_at) <= endpoints, (ds.name, set(ds.shown_at) - endpoints)


def test_if_modified_since_answers_304(app, client, world):
    first = client.get("/open-data/petitions.csv")
    again = client.get("/open-data/petitions.csv", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304
    old = client.get("/open-data/petitions.csv", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert old.status_code == 200
