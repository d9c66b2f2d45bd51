"""'My data' reads as sentences in the reader's language, not a dump of keys."""

from flask_babel import force_locale

from civic.accounts import privacy


def test_the_page_names_every_section_and_field_in_french_with_local_dates(client, factory, login):
    person = factory.user(name="Léa Martin", locale="fr")
    login(person)
    client.get("/language?lang=fr")
    html = client.get("/account/my-data").get_data(as_text=True)
    assert "Compte" in html and "Nom affiché" in html and "Adresse e-mail" in html
    assert "display_name" not in html and "created_at" not in html and "audit_log" not in html
    assert "Z</dd>" not in html  # moments are shown as dates, not ISO strings


def test_every_key_the_exports_use_has_a_name(app, factory):
    """A module that adds a key to its export names it (register_data_labels)."""
    from civic.accounts import services

    person = factory.user()
    keys = set()

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                keys.add(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    with app.test_request_context("/"):
        walk(services.export_personal_data(person))
        with force_locale("fr"):
            unnamed = [k for k in keys if k not in privacy._LABELS]
    assert unnamed == []
