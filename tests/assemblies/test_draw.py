"""The draw of a citizens' assembly: invitations, volunteers, quotas, the
verifiable draw, the public report and the erasure of the pool's data.

Tests assert what people see (status codes, page text), rows and audit
entries; the panel is recomputed by the CLI from the published files."""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import json
from datetime import timedelta
from unittest.mock import MagicMock

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin
from pypdf import PdfReader

from civic.assemblies import draw_jobs, draw_services, report, selection
from civic.assemblies.cli import assemblies_group
from civic.assemblies.models import (
    Assembly,
    AssemblyState,
    Invitation,
    Member,
    Selection,
    SelectionState,
    Volunteer,
    VolunteerStatus,
)
from civic.core.errors import InvalidTransition, PermissionDenied, ValidationError
from civic.core.models import AuditEntry
from civic.core.time import utcnow
from civic.extensions import db
from tests import factories
from tests.helpers import count_rows, login, reload

CATEGORIES = """category,feature,min,max
Genre,Femme,2,2
Genre,Homme,2,2
Âge,18-39,1,3
Âge,40+,1,3
"""

ADDRESSES = "nom,adresse,code_postal,ville\n" + "".join(
    f"Foyer {i},{i} rue des Filatiers,31000,Toulouse\n" for i in range(1, 21))


def make_assembly(size: int = 4, district=None) -> Assembly:
    a = Assembly(title="Convention citoyenne sur l'eau", summary="Comment partager l'eau ?", mandate="",
                 mandate_html="", size=size, state=AssemblyState.SELECTING, published_at=utcnow(),
                 district_id=getattr(district, "id", None))
    db.session.add(a)
    db.session.commit()
    return a


@pytest.fixture
def admin(app):
    return factories.user(roles=["admin"])


@pytest.fixture
def assembly(app):
    return make_assembly()


def open_with_quotas(admin, assembly, categories=CATEGORIES) -> Selection:
    sel = draw_services.open_selection(admin, assembly)
    draw_services.import_categories(admin, sel, categories)
    db.session.commit()
    return sel


def add_volunteers(admin, sel, rows) -> None:
    """rows: (Genre, Âge[, address]) tuples, imported in the respondents format."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["first_name", "Genre", "Âge", "address"])
    for i, row in enumerate(rows):
        w.writerow([f"Camille{i}", row[0], row[1], row[2] if len(row) > 2 else ""])
    draw_services.import_respondents(admin, sel, out.getvalue())
    db.session.commit()


COUNTER = "/counter/"

POOL = [("Femme", "18-39"), ("Femme", "40+"), ("Femme", "40+"), ("Homme", "18-39"), ("Homme", "18-39"),
        ("Homme", "40+"), ("Femme", "18-39"), ("Homme", "40+")]


def drawn(admin, assembly, rows=POOL) -> Selection:
    sel = open_with_quotas(admin, assembly)
    add_volunteers(admin, sel, rows)
    draw_services.commit(admin, sel)
    draw_services.run_draw(admin, sel)
    db.session.commit()
    return sel


# --- stage 1: invitations ----------------------------------------------------------------

def test_invitations_are_a_uniform_sample_drawn_from_the_published_seed(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    login(client, admin)
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/invitations",
                       data={"addresses": ADDRESSES, "count": "5", "seed": "loto-2026-11-28"})
    assert resp.status_code == 302
    rows = db.session.scalars(sa.select(Invitation).order_by(Invitation.position)).all()
    expected = selection.sample_uniform(list(range(20)), 5, "loto-2026-11-28")
    assert [r.name for r in rows] == [f"Foyer {i + 1}" for i in expected]
    # Only the addresses drawn are kept, and no code in clear anywhere in the row.
    assert count_rows(Invitation) == 5
    code = draw_services.reply_code(reload(sel), 0)
    assert all(code not in (r.code_hash + r.name + r.address) for r in rows)
    assert rows[0].code_hash == draw_services.code_hash(code) != hashlib.sha256(code.encode()).hexdigest()
    page = client.get(f"/assemblies/{assembly.id}/selection").get_data(as_text=True)
    assert "5 letters were sent to addresses drawn uniformly at random among 20" in page
    assert "loto-2026-11-28" in page


def test_the_invitation_form_keeps_its_input_and_says_what_is_wrong(client, admin, assembly):
    open_with_quotas(admin, assembly)
    login(client, admin)
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/invitations",
                       data={"addresses": "name,street\nA,B\n", "count": "3", "seed": "graine"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "needs the columns name, address, postcode and city" in page
    assert 'value="graine"' in page
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/invitations",
                       data={"addresses": ADDRESSES, "count": "50", "seed": "graine"})
    assert resp.status_code == 422 and "The list has only 20 addresses." in resp.get_data(as_text=True)
    assert count_rows(Invitation) == 0


def test_the_letters_carry_the_reply_codes(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    db.session.commit()
    login(client, admin)
    resp = client.get(f"/assemblies/{assembly.id}/selection/manage/letters.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages]
    assert len(pages) == 3
    for inv, code in draw_services.invitations(admin, sel):
        assert any(code in p and inv.name in p for p in pages)


# --- stage 2: volunteers ------------------------------------------------------------------

def reply_form(code: str, **extra) -> dict:
    data = {"code": code, "first_name": "Inès", "email": "ines@example.org", "f0": "Femme", "f1": "18-39",
            "consent": "y"}
    data.update(extra)
    return data


def test_an_invited_person_registers_with_the_code_once(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    db.session.commit()
    code = draw_services.reply_code(sel, 1)
    page = client.get(f"/assemblies/{assembly.id}/reply").get_data(as_text=True)
    assert "Genre" in page and "Femme" in page and "18-39" in page
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form(code.lower().replace("-", " ")))
    assert resp.status_code == 200 and "your interest is registered" in resp.get_data(as_text=True)
    v = db.session.scalars(sa.select(Volunteer)).one()
    assert (v.first_name, v.features, v.status) == ("Inès", {"Genre": "Femme", "Âge": "18-39"}, VolunteerStatus.POOL)
    assert v.household and v.recorded_by_id is None
    # Twice with the same code: refused, next to the code.
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form(code))
    assert resp.status_code == 422
    assert "already been used" in resp.get_data(as_text=True)
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form("AAAAA-AAAAA"))
    assert resp.status_code == 422 and "does not match any letter" in resp.get_data(as_text=True)
    assert count_rows(Volunteer) == 1
    # The audit says someone registered, never what they answered.
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "assemblies.interest_registered")).one()
    assert "Femme" not in json.dumps(entry.data)


def test_sensitive_answers_need_their_own_consent(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    draw_services.update_quotas(admin, sel, {}, ["Âge"], "maximin")
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    db.session.commit()
    code = draw_services.reply_code(sel, 0)
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form(code, first_name="Léa"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "used only with your consent" in page and 'id="f1_consent-error"' in page
    assert 'value="Léa"' in page  # input kept
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form(code, f1_consent="y"))
    assert resp.status_code == 200 and count_rows(Volunteer) == 1


def test_wrong_codes_are_rate_limited(app, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    db.session.commit()
    anon = AnonymousUserMixin()
    kwargs = {"first_name": "X", "email": "x@example.org", "features": {"Genre": "Femme", "Âge": "40+"},
              "consents": [], "consent": True, "ip": "203.0.113.9"}
    for _ in range(draw_services.CODE_TRIES):
        with pytest.raises(ValidationError):
            draw_services.register_interest(anon, sel, code="ZZZZZ-ZZZZZ", **kwargs)
    from civic.core.errors import RateLimited

    with pytest.raises(RateLimited):
        draw_services.register_interest(anon, sel, code="ZZZZZ-ZZZZZ", **kwargs)


def test_a_mediator_registers_an_invited_person_from_the_counter(client, admin):
    d = factories.district()
    assembly = make_assembly(district=d)
    mediator = factories.user(roles=[("mediator", d)])
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    db.session.commit()
    login(client, mediator)
    counter = client.get(COUNTER)
    assert counter.status_code == 200
    assert "register an invited person" in counter.get_data(as_text=True)
    page = client.get(f"/assemblies/{assembly.id}/reply").get_data(as_text=True)
    assert "You are recording the interest of an invited person" in page
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form(draw_services.reply_code(sel, 2)))
    assert resp.status_code == 302
    v = db.session.scalars(sa.select(Volunteer)).one()
    assert v.recorded_by_id == mediator.id and v.user_id is None
    assert count_rows(AuditEntry, AuditEntry.action == "assemblies.interest_recorded",
                      AuditEntry.actor_id == mediator.id) == 1


def test_registrations_close_with_the_commitment(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    add_volunteers(admin, sel, POOL)
    draw_services.commit(admin, sel)
    db.session.commit()
    resp = client.post(f"/assemblies/{assembly.id}/reply", data=reply_form(draw_services.reply_code(sel, 0)))
    assert resp.status_code == 409 and "Registrations are closed" in resp.get_data(as_text=True)


# --- quotas ------------------------------------------------------------------------------------

def test_quotas_are_validated_next_to_their_field(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    q = sel.quotas[0]
    login(client, admin)
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/quotas",
                       data={f"min_{q.id}": "3", f"max_{q.id}": "1", "algorithm": "maximin"})
    assert resp.status_code == 422
    assert "The min (3) is above the max (1)." in resp.get_data(as_text=True)
    assert (reload(q).min, reload(q).max) == (2, 2)
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/quotas",
                       data={f"min_{q.id}": "1", f"max_{q.id}": "3", "algorithm": "nash", "sensitive": ["Âge"]})
    assert resp.status_code == 302
    sel = reload(sel)
    assert (sel.quotas[0].min, sel.quotas[0].max, sel.algorithm.value, sel.sensitive) == (1, 3, "nash", ["Âge"])


def test_categories_file_errors_are_shown(client, admin, assembly):
    open_with_quotas(admin, assembly)
    login(client, admin)
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/categories",
                       data={"categories": "category,feature,min,max\nGenre,Femme,3,1\n"})
    assert resp.status_code == 422 and "min 3 is above max 1" in resp.get_data(as_text=True)


def test_infeasible_quotas_say_which_relaxation_makes_them_feasible(admin, assembly):
    sel = open_with_quotas(admin, assembly)
    # Only one woman: the quota of two women cannot be met.
    add_volunteers(admin, sel, [("Femme", "18-39"), ("Homme", "40+"), ("Homme", "18-39"), ("Homme", "40+"),
                                ("Homme", "40+")])
    with pytest.raises(ValidationError) as err:
        draw_services.commit(admin, sel)
    assert "Genre / Femme: min 2 → 1" in err.value.message
    assert reload(sel).state == SelectionState.OPEN


# --- the draw -------------------------------------------------------------------------------------

def test_the_commitment_is_published_before_the_draw_and_the_seed_after(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    add_volunteers(admin, sel, POOL)
    commitment = draw_services.commit(admin, sel)
    db.session.commit()
    page = client.get(f"/assemblies/{assembly.id}/selection").get_data(as_text=True)
    assert commitment in page and sel.seed not in page
    assert commitment == hashlib.sha256(sel.seed.encode()).hexdigest()
    draw_services.run_draw(admin, sel)
    db.session.commit()
    page = client.get(f"/assemblies/{assembly.id}/selection").get_data(as_text=True)
    assert sel.seed in page and commitment in page
    assert f"--size 4 --algorithm maximin --seed {sel.seed}" in page


def test_the_panel_meets_the_quotas_and_its_members_join_the_assembly(admin, assembly):
    drawn(admin, assembly)
    chosen = db.session.scalars(sa.select(Volunteer).where(Volunteer.status == VolunteerStatus.SELECTED)).all()
    assert len(chosen) == 4
    genders = [v.features["Genre"] for v in chosen]
    assert genders.count("Femme") == 2 and genders.count("Homme") == 2
    assert sum(v.probability for v in db.session.scalars(sa.select(Volunteer))) == pytest.approx(4)
    members = db.session.scalars(sa.select(Member).where(Member.assembly_id == assembly.id)).all()
    assert sorted(m.first_name for m in members) == sorted(v.first_name for v in chosen)
    assert not any(m.show_name for m in members)
    assert count_rows(Volunteer, Volunteer.status == VolunteerStatus.NOT_SELECTED) == 4


def test_anyone_recomputes_the_panel_from_the_published_files_and_the_seed(client, admin, assembly, tmp_path):
    sel = drawn(admin, assembly)
    cats = client.get(f"/assemblies/{assembly.id}/selection/categories.csv")
    resp = client.get(f"/assemblies/{assembly.id}/selection/respondents.csv")
    assert cats.status_code == resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert text.splitlines()[0] == "id,Genre,Âge"
    assert "Camille" not in text  # pseudonymous ids, not the imported first names
    (tmp_path / "c.csv").write_bytes(cats.data)
    (tmp_path / "r.csv").write_bytes(resp.data)
    out = client.application.test_cli_runner().invoke(assemblies_group, [
        "select", str(tmp_path / "c.csv"), str(tmp_path / "r.csv"), "--size", "4", "--seed", sel.seed, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output.strip().splitlines()[-1])
    assert sorted(result["panel"]) == reload(sel).report["panel"]
    selected = {v.ref for v in db.session.scalars(sa.select(Volunteer).where(
        Volunteer.status == VolunteerStatus.SELECTED))}
    assert set(result["panel"]) == selected


def test_the_public_report_shows_the_figures_and_no_personal_data(client, admin, assembly):
    sel = drawn(admin, assembly)
    r = reload(sel).report
    assert r["pool_size"] == 8 and r["panel_size"] == 4
    women = next(f for f in r["features"] if f["value"] == "Femme")
    assert (women["pool"], women["pool_share"], women["panel"], women["panel_share"]) == (4, 0.5, 2, 0.5)
    assert r["probabilities"]["chosen"]["mean"] == pytest.approx(0.5)
    assert r["probabilities"]["chosen"]["min"] == pytest.approx(0.5)  # 4 of each gender, 2 drawn: all equal
    assert r["probabilities"]["chosen"]["gini"] == pytest.approx(0, abs=1e-6)
    assert r["probabilities"]["legacy"] is not None
    page = client.get(f"/assemblies/{assembly.id}/selection").get_data(as_text=True)
    assert "<svg" in page and "Share of each feature in the pool and in the panel" in page
    assert "Quotas and shares by feature" in page and "50.0" in page
    assert "Selection probabilities of the volunteers" in page and "0.5000" in page
    for v in db.session.scalars(sa.select(Volunteer)):
        assert v.first_name not in page
    profiles = client.get(f"/assemblies/{assembly.id}/selection/profiles.csv").get_data(as_text=True)
    lines = profiles.splitlines()
    assert lines[0] == "Genre,Âge,people,probability"
    assert "Femme,18-39,2,0.500000" in lines


def test_nash_and_legacy_draw_too(admin):
    for algorithm in ("nash", "legacy"):
        assembly = make_assembly()
        sel = open_with_quotas(admin, assembly)
        draw_services.update_quotas(admin, sel, {}, [], algorithm)
        add_volunteers(admin, sel, POOL)
        draw_services.commit(admin, sel)
        draw_services.run_draw(admin, sel)
        db.session.commit()
        assert len(reload(sel).report["panel"]) == 4
        assert reload(sel).report["algorithm"] == algorithm


def test_at_most_one_person_per_household(client, admin, assembly):
    sel = open_with_quotas(admin, assembly, "category,feature,min,max\nGenre,Femme,1,1\nGenre,Homme,1,1\n"
                           "Âge,18-39,0,2\nÂge,40+,0,2\n")
    assembly.size = 2
    # A woman and a man share an address (written differently): never drawn together.
    add_volunteers(admin, sel, [("Femme", "18-39", "1 rue Alsace-Lorraine"), ("Femme", "40+", "2 rue du Taur"),
                                ("Homme", "18-39", "1, Rue Alsace-Lorraine"), ("Homme", "40+", "3 place Wilson")])
    draw_services.commit(admin, sel)
    assert report.has_households(sel.respondents_csv)
    draw_services.run_draw(admin, sel)
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(sel.respondents_csv)))
    homes = [r["household"] for r in rows]
    assert sorted(homes).count("") == 2 and len(set(homes)) == 2  # only the shared home is numbered
    shared = next(h for h in homes if homes.count(h) == 2)
    together = {r["id"] for r in rows if r["household"] == shared}
    pool = draw_services.frozen_pool(sel)
    result = selection.select(pool, 2)
    for _w, panel in result.lottery:
        people = {pool.ids[result.members[t][0]] for t in panel}
        assert not together <= people
    assert not together <= set(reload(sel).report["panel"])
    page = client.get(f"/assemblies/{assembly.id}/selection").get_data(as_text=True)
    assert f"--seed {sel.seed} --address-columns household" in page


def test_a_replacement_has_the_same_profile_and_is_recomputable(admin, assembly):
    # Three people of each profile: whoever leaves has someone like them left in the pool.
    sel = drawn(admin, assembly, POOL + [("Femme", "18-39"), ("Femme", "40+"), ("Homme", "18-39"), ("Homme", "40+")])
    everyone = db.session.scalars(sa.select(Volunteer).order_by(Volunteer.ref)).all()
    # Someone whose profile has somebody left in the pool.
    leaving = next(v for v in everyone if v.status == VolunteerStatus.SELECTED and any(
        o.status == VolunteerStatus.NOT_SELECTED and o.features == v.features for o in everyone))
    incoming = draw_services.draw_replacement(admin, sel, leaving.id)
    db.session.commit()
    assert incoming.features == leaving.features and incoming.status == VolunteerStatus.SELECTED
    assert reload(leaving).status == VolunteerStatus.WITHDRAWN
    assert db.session.get(Member, leaving.member_id).left_at is not None
    candidates = sorted(v.ref for v in db.session.scalars(sa.select(Volunteer)) if v.features == leaving.features
                        and v.id not in (leaving.id, incoming.id) and v.status == VolunteerStatus.NOT_SELECTED)
    expected = selection.sample_uniform(sorted([*candidates, incoming.ref]), 1, f"{sel.seed}:replacement:1")
    assert expected == [incoming.ref]
    assert reload(sel).report["replacements"][0]["in"] == incoming.ref


def test_the_draw_goes_forward_only(admin, assembly):
    sel = drawn(admin, assembly)
    with pytest.raises(InvalidTransition):
        draw_services.run_draw(admin, sel)
    with pytest.raises(InvalidTransition):
        draw_services.import_categories(admin, sel, CATEGORIES)


# --- privacy: erasing the pool ------------------------------------------------------------------------

def test_the_pool_data_of_people_not_selected_is_erased_after_the_delay(app, admin, assembly):
    sel = drawn(admin, assembly)
    draw_services.close_selection(admin, sel)
    db.session.commit()
    assert draw_jobs.erase_closed_pools(utcnow() + timedelta(days=29)) == 0
    assert count_rows(Volunteer, Volunteer.features.is_not(None)) == 8
    assert draw_jobs.erase_closed_pools(utcnow() + timedelta(days=31)) == 4
    db.session.commit()
    kept = db.session.scalars(sa.select(Volunteer).where(Volunteer.features.is_not(None))).all()
    assert len(kept) == 4 and all(v.status == VolunteerStatus.SELECTED for v in kept)
    gone = db.session.scalars(sa.select(Volunteer).where(Volunteer.status == VolunteerStatus.NOT_SELECTED)).all()
    assert all(v.first_name == "" and v.ref is None and v.probability is None for v in gone)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "assemblies.pool_data_erased")).one()
    assert entry.data["volunteers"] == 4 and entry.actor_id is None
    assert draw_jobs.erase_closed_pools(utcnow() + timedelta(days=60)) == 0  # once


def test_the_retention_delay_is_a_setting(app, admin, assembly):
    from civic.core.models import Setting

    db.session.add(Setting(key=draw_jobs.RETENTION_SETTING, value="0"))
    sel = drawn(admin, assembly)
    draw_services.close_selection(admin, sel)
    db.session.commit()
    assert draw_jobs.erase_closed_pools(utcnow() + timedelta(seconds=1)) == 4


# --- permissions and pages by role -------------------------------------------------------------------------

OPEN_TO_ANONYMOUS = {"register_interest"}


def _actor_services():
    for name, fn in inspect.getmembers(draw_services, inspect.isfunction):
        if not name.startswith("_") and fn.__module__ == draw_services.__name__:
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "actor" and name not in OPEN_TO_ANONYMOUS:
                yield name, fn


@pytest.mark.parametrize(("name", "fn"), list(_actor_services()))
def test_every_draw_service_refuses_anonymous_visitors_first(app, name, fn):
    params = list(inspect.signature(fn).parameters.values())[1:]
    args = [MagicMock() for p in params if p.default is inspect.Parameter.empty and p.kind != p.KEYWORD_ONLY]
    kwargs = {p.name: MagicMock() for p in params if p.kind == p.KEYWORD_ONLY and p.default is inspect.Parameter.empty}
    with pytest.raises(PermissionDenied):
        fn(AnonymousUserMixin(), *args, **kwargs)


def test_only_admins_run_the_selection(client, admin, assembly):
    official = factories.user(roles=["official"])
    assert client.get(f"/assemblies/{assembly.id}/selection/manage").status_code in (302, 401)
    login(client, official)
    assert client.get(f"/assemblies/{assembly.id}/selection/manage").status_code == 403
    assert client.post(f"/assemblies/{assembly.id}/selection/manage/open").status_code == 403
    assert count_rows(Selection) == 0
    client.post("/account/logout")
    login(client, admin)
    page = client.get(f"/assemblies/{assembly.id}/selection/manage")
    assert page.status_code == 200 and "Start the selection" in page.get_data(as_text=True)
    assert client.post(f"/assemblies/{assembly.id}/selection/manage/open").status_code == 302
    assert count_rows(Selection) == 1


def test_pool_files_are_not_public_before_the_commitment(client, admin, assembly):
    sel = open_with_quotas(admin, assembly)
    add_volunteers(admin, sel, POOL)
    assert client.get(f"/assemblies/{assembly.id}/selection/respondents.csv").status_code == 404
    assert client.get(f"/assemblies/{assembly.id}/selection/manage/pool.csv").status_code in (302, 401)


def test_a_draft_assemblys_selection_is_not_public(client, admin):
    a = make_assembly()
    open_with_quotas(admin, a)
    a.state, a.published_at = AssemblyState.DRAFT, None
    db.session.commit()
    assert client.get(f"/assemblies/{a.id}/selection").status_code == 404
    assert client.get(f"/assemblies/{a.id}/reply").status_code == 404


def test_volunteers_data_in_my_data_export_and_erasure(app, admin, assembly):
    from civic.assemblies import draw_kind

    person = factories.user()
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    draw_services.register_interest(person, sel, code=draw_services.reply_code(sel, 0), first_name="Jo",
                                    email="jo@example.org", features={"Genre": "Homme", "Âge": "40+"},
                                    consents=[], consent=True)
    db.session.commit()
    exported = draw_kind.export_volunteering(person)
    assert exported[0]["answers"] == {"Genre": "Homme", "Âge": "40+"}
    draw_kind.erase_volunteering(person)
    db.session.commit()
    assert count_rows(Volunteer, Volunteer.user_id == person.id) == 0


# --- the demo ---------------------------------------------------------------------------------------------------

def test_the_demo_shows_a_drawn_toulouse_assembly_and_one_still_open(app, client):
    from civic.accounts.cli import load_accounts
    from civic.assemblies.draw_demo import load_draw

    ctx = {}
    load_accounts(ctx)
    load_draw(ctx)
    db.session.commit()
    drawn_sel, open_sel = db.session.scalars(sa.select(Selection).order_by(Selection.id)).all()
    assert drawn_sel.state == SelectionState.DRAWN and open_sel.state == SelectionState.OPEN
    assert drawn_sel.report["pool_size"] == 612 and len(drawn_sel.report["panel"]) == 40
    assert len(drawn_sel.report["replacements"]) == 1
    page = client.get(f"/assemblies/{drawn_sel.assembly_id}/selection", headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Quotas et parts par caractéristique" in text
    assert "Loto du 28 novembre 2026" in text
    code = draw_services.reply_code(open_sel, 0)
    resp = client.post(f"/assemblies/{open_sel.assembly_id}/reply", data={
        "code": code, "first_name": "Zoé", "email": "zoe@example.org", "f0": "femme", "f1": "18-34 ans",
        "consent": "y"})
    assert resp.status_code == 200


def test_the_assembly_page_leads_to_the_draw(client, admin, assembly):
    page = client.get(f"/assemblies/{assembly.id}").get_data(as_text=True)
    assert "How the members are drawn" not in page  # no selection yet: nothing for visitors
    sel = open_with_quotas(admin, assembly)
    draw_services.draw_invitations(admin, sel, ADDRESSES, 3, "graine")
    db.session.commit()
    page = client.get(f"/assemblies/{assembly.id}").get_data(as_text=True)
    assert f'href="/assemblies/{assembly.id}/selection"' in page
    assert f'href="/assemblies/{assembly.id}/reply"' in page and "Run the selection" not in page
    login(client, admin)
    page = client.get(f"/assemblies/{assembly.id}").get_data(as_text=True)
    assert f'href="/assemblies/{assembly.id}/selection/manage"' in page


# --- the draw runs in a worker ---------------------------------------------------------------

def _committed(admin, assembly) -> Selection:
    sel = open_with_quotas(admin, assembly)
    add_volunteers(admin, sel, POOL)
    draw_services.commit(admin, sel)
    db.session.commit()
    return sel


def test_the_manager_starts_the_draw_and_a_worker_runs_it(client, admin, assembly, run_jobs):
    sel = _committed(admin, assembly)
    login(client, admin)
    resp = client.post(f"/assemblies/{assembly.id}/selection/manage/draw")
    assert resp.status_code == 302
    run_jobs()  # under Redis, the worker's turn; inline, it ran after the commit
    sel = reload(sel)
    assert sel.state == SelectionState.DRAWN and sel.draw_requested_at is None
    assert count_rows(Member, Member.assembly_id == assembly.id) == assembly.size
    assert count_rows(AuditEntry, AuditEntry.action == "assemblies.draw_started") == 1


def test_a_draw_already_running_is_not_started_twice(admin, assembly):
    sel = _committed(admin, assembly)
    sel.draw_requested_at, sel.draw_requested_by_id = utcnow(), admin.id  # a worker has it
    db.session.commit()
    with pytest.raises(InvalidTransition):
        draw_services.start_draw(admin, sel)


def test_a_lost_draw_is_resumed_and_a_failed_one_says_why(client, admin, assembly):
    from datetime import timedelta

    sel = _committed(admin, assembly)
    # Its job was lost with Redis: twenty minutes later the periodic job runs it.
    sel.draw_requested_at, sel.draw_requested_by_id = utcnow() - timedelta(minutes=5), admin.id
    db.session.commit()
    assert draw_jobs.resume_draws() == 0  # not yet
    assert draw_jobs.resume_draws(now=utcnow() + timedelta(minutes=30)) == 1
    assert reload(sel).state == SelectionState.DRAWN
    # A draw started by someone who is no longer a manager fails, and the page says so.
    other = make_assembly()
    sel2 = _committed(admin, other)
    former = factories.user()
    sel2.draw_requested_at, sel2.draw_requested_by_id = utcnow(), former.id
    db.session.commit()
    assert draw_jobs.draw(sel2.id) is False
    sel2 = reload(sel2)
    assert sel2.state == SelectionState.COMMITTED and sel2.draw_requested_at is None and sel2.draw_error
    login(client, admin)
    page = client.get(f"/assemblies/{other.id}/selection/manage").get_data(as_text=True)
    assert "The last draw could not be done" in page and "Run the draw" in page
