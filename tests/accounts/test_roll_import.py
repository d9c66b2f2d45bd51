"""Importing the electoral roll through the admin pages: upload, column
mapping guessed from the headers, preview with refused rows, import."""

from __future__ import annotations

import io
import os
import re
import time
from datetime import date

import sqlalchemy as sa

from civic.accounts import roll, roll_import
from civic.accounts.electors import identity_hash
from civic.accounts.models import ElectoralRoll, RollEntry
from civic.extensions import db
from tests.helpers import count_rows

EXPORT = ("Bureau;Nom de naissance;Nom d'usage;Prénoms;Date de naissance;Lieu de naissance\n"
          "12;DUPONT-MARTIN;LEFÈVRE;Anne Marie;17/05/1980;Toulouse\n"
          "12;Lefèvre;;Éloïse;03/02/1975;Albi\n"
          "3;;DURAND;Paul;01/01/1990;Paris\n"
          "3;MARTIN;;Jean;31/02/1970;Lyon\n"
          "3;BERNARD;;;12/12/1960;Nice\n")


def _upload(client, content: bytes, name="export.csv"):
    return client.post("/admin/roll", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _mapping_url(resp):
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp.headers["Location"]


def test_windows_1252_export_is_mapped_previewed_with_refusals_and_imported(client, login, factory, app):
    admin = factory.user(roles=["admin"], name="Inès Admin")
    login(admin)
    before = set(os.listdir(_dir(app)))
    url = _mapping_url(_upload(client, EXPORT.encode("cp1252")))
    page = client.get(url).get_data(as_text=True)
    assert "encoding Windows-1252" in page and "separated by “;”" in page
    # Guessed from the headers: each select has its column chosen.
    assert re.search(r'name="birth_name".*?<option selected value="1">Nom de naissance', page, re.S)
    assert re.search(r'name="usage_name".*?<option selected value="2">Nom d&#39;usage', page, re.S)
    assert re.search(r'name="given_names".*?<option selected value="3">Prénoms', page, re.S)
    assert re.search(r'name="polling_station".*?<option selected value="0">Bureau', page, re.S)
    mapping = {"birth_name": "1", "usage_name": "2", "given_names": "3", "birth_date": "4", "birth_place": "5",
               "polling_station": "0"}
    preview = client.post(url, data={**mapping, "action": "preview"}).get_data(as_text=True)
    assert "2 rows can be imported, 3 are refused." in preview
    assert "DUPONT MARTIN|ANNE MARIE|1980-05-17" in preview and "LEFEVRE|ELOISE|1975-02-03" in preview
    assert "birth name missing" in preview and "date of birth “31/02/1970” is not a date" in preview
    assert "given names missing" in preview
    assert count_rows(ElectoralRoll) == 0  # a preview changes nothing
    resp = client.post(url, data={**mapping, "action": "confirm"})
    assert resp.status_code == 302
    in_force = roll.roll_in_force()
    assert (in_force.elector_count, in_force.refused_count, in_force.imported_by_id) == (2, 3, admin.id)
    anne = identity_hash("Dupont Martin", "Anne-Marie", date(1980, 5, 17))
    assert roll.on_roll(anne).polling_station == "12"
    # The file (names!) is gone: its token no longer opens anything.
    assert client.get(url).status_code == 404
    assert set(os.listdir(_dir(app))) <= before
    page = client.get("/admin/roll").get_data(as_text=True)
    assert "Inès Admin" in page and "export.csv" in page and "in force" in page


def _dir(app):
    with app.test_request_context():
        return roll_import._upload_dir()


def test_utf8_comma_export_and_a_mapping_without_the_required_columns(client, login, factory):
    login(factory.user(roles=["admin"]))
    content = b"nom,prenom,date_naissance\nDUPONT,Anne,1980-05-17\n"
    url = _mapping_url(_upload(client, content))
    page = client.get(url).get_data(as_text=True)
    assert "encoding UTF-8" in page and "separated by “,”" in page
    resp = client.post(url, data={"birth_name": "0", "given_names": "", "birth_date": "2", "action": "preview"})
    assert resp.status_code == 422 and "Choose the column of this field." in resp.get_data(as_text=True)
    resp = client.post(url, data={"birth_name": "0", "given_names": "0", "birth_date": "2", "action": "preview"})
    assert resp.status_code == 422 and "This column is chosen for another field too." in resp.get_data(as_text=True)


def test_a_forged_token_is_404_and_residents_cannot_import(client, login, factory):
    login(factory.user(roles=["admin"]))
    assert client.get("/admin/roll/import/not-a-token").status_code == 404
    client.post("/account/logout")
    login(factory.user())
    assert client.get("/admin/roll").status_code == 403
    assert _upload(client, EXPORT.encode()).status_code == 403


def test_an_upload_that_is_not_a_csv_is_refused_with_a_message(client, login, factory):
    login(factory.user(roles=["admin"]))
    resp = _upload(client, b"just one line without separators\n")
    assert resp.status_code == 422
    assert "does not look like a CSV file" in resp.get_data(as_text=True)


def test_100k_rows_import_in_reasonable_time(client, login, factory):
    login(factory.user(roles=["admin"]))
    lines = ["nom;prenoms;date de naissance;bureau"] + [
        f"NOM{i};Prénom{i % 97};{1 + i % 28:02d}/{1 + i % 12:02d}/{1940 + i % 60};{i % 20}" for i in range(100_000)]
    url = _mapping_url(_upload(client, ("\n".join(lines) + "\n").encode()))
    started = time.monotonic()
    resp = client.post(url, data={"birth_name": "0", "given_names": "1", "birth_date": "2", "polling_station": "3",
                                  "action": "confirm"})
    assert resp.status_code == 302
    assert time.monotonic() - started < 60
    assert roll.roll_in_force().elector_count == 100_000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RollEntry)) == 100_000
