"""The settings page writes through core.settings.change_settings."""

import pytest
import sqlalchemy as sa

from civic.core.errors import PermissionDenied, ValidationError
from civic.core.models import AuditEntry
from civic.core.settings import change_settings, get_setting
from civic.extensions import db

THRESHOLD, DIGEST = "moderation.auto_hide_threshold", "moderation.digest_interval"


def test_only_an_administrator_changes_settings(app, factory):
    official = factory.user(roles=("official",))
    with pytest.raises(PermissionDenied):
        change_settings(official, {THRESHOLD: "5"})
    assert get_setting(THRESHOLD) == 3


def test_nothing_is_stored_when_one_value_is_wrong(app, factory):
    admin = factory.user(roles=("admin",))
    with pytest.raises(ValidationError) as err:
        change_settings(admin, {THRESHOLD: "5", DIGEST: "1"})
    assert set(err.value.fields) == {DIGEST}
    db.session.rollback()
    assert get_setting(THRESHOLD) == 3


def test_changed_values_are_stored_and_audited_once(app, factory):
    admin = factory.user(roles=("admin",))
    assert change_settings(admin, {THRESHOLD: "5", DIGEST: str(get_setting(DIGEST))}) == {THRESHOLD: 5}
    db.session.commit()
    assert get_setting(THRESHOLD) == 5
    [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "settings.changed")).all()
    assert entry.actor_id == admin.id and entry.data == {THRESHOLD: "5"}


def test_the_page_shows_the_reason_next_to_the_field_and_keeps_the_input(app, client, factory, login):
    admin = factory.user(roles=("admin",))
    login(admin)
    resp = client.post("/admin/settings", data={"moderation__auto_hide_threshold": "500"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'value="500"' in html and "allowed range (100)" in html
    assert get_setting(THRESHOLD) == 3


def test_the_premoderation_setting_offers_the_kinds_by_name_not_internal_codes(app, client, factory, login):
    admin = factory.user(roles=("admin",))
    login(admin)
    html = client.get("/admin/settings").get_data(as_text=True)
    assert "<legend>Moderation: pre-moderated contributions</legend>" in html
    assert 'type="checkbox"' in html and 'value="comment"' in html
    assert "Comma-separated kinds" not in html
    from civic.core.settings import specs

    # Every other setting kept as it is; booleans left unticked are False either way.
    data = {s.key.replace(".", "__"): str(get_setting(s.key)) for s in specs()
            if s.type in (int, str) and s.choices is None}
    data["moderation__premoderated_kinds"] = ["petition", "comment"]
    resp = client.post("/admin/settings", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert set(get_setting("moderation.premoderated_kinds").split(",")) == {"petition", "comment"}
    data["moderation__premoderated_kinds"] = ["nonsense"]
    resp = client.post("/admin/settings", data=data)
    assert resp.status_code == 422 and "unknown: nonsense" in resp.get_data(as_text=True)


def test_the_settings_page_says_thresholds_apply_to_new_petitions_only(app, client, factory, login):
    login(factory.user(roles=("admin",)))
    html = client.get("/admin/settings").get_data(as_text=True)
    assert html.count("petitions already open keep the value they were published with") == 3
