"""The site's identity, pages and accessibility statement, as admins set
them and visitors see them."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from civic.core.models import AuditEntry
from civic.extensions import db
from civic.site import colours
from civic.site.models import AccessibilityStatement, PageVersion, SiteIdentity
from civic.site.svg import UnsafeSvg, sanitize_svg
from tests import factories
from tests.helpers import count_rows, login

LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 48"><title>x</title><rect width="96" height="48" fill="#8a1538"/></svg>'

ADMIN_URLS = ["/admin/identity", "/admin/pages", "/admin/pages/legal-notice", "/admin/pages/terms/history",
              "/admin/accessibility"]


@pytest.fixture
def admin(client):
    person = factories.user(name="Admin A.", roles=("admin",))
    login(client, person)
    return person


def identity_form(**over):
    data = {"site_name": "Toulouse participe", "territory_name": "Ville de Toulouse", "logo_alt": "",
            "accent": "#8a1538"}
    data.update(over)
    return data


def statement_form(**over):
    data = {"entity_name": "Mairie de Toulouse", "site_url": "https://participer.example.org", "status": "partial",
            "rate": "78,5", "audit_date": "2026-10-12", "audited_by": "Cabinet Exemple",
            "established_on": "2026-11-02", "contact_email": "a11y@example.org",
            "contact_postal": "Place du Capitole\n31000 Toulouse", "contact_form_url": "",
            "pages_audited": "Accueil\nPétitions\n\nBudget participatif",
            "non_conformities": "Graphiques sans alternative (critère 1.3)",
            "derogations": "Plans PDF numérisés", "not_subject": "Vidéos en direct",
            "technologies": "HTML5\nCSS", "tools": "axe-core\nWAVE", "environment": "Firefox et NVDA"}
    data.update(over)
    return data


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_people_who_are_not_admins_are_refused_every_admin_form(client, url):
    login(client, factories.user(roles=("official", "moderator")))
    assert client.get(url).status_code == 403
    if not url.endswith(("/pages", "/history")):  # lists only
        assert client.post(url, data={"site_name": "Pirate", "body": "x"}).status_code == 403
    assert count_rows(SiteIdentity) == count_rows(PageVersion) == 0


def test_restoring_is_refused_to_people_who_are_not_admins(client, admin):
    client.post("/admin/pages/terms", data={"body": "Règles"})
    version = db.session.scalar(sa.select(PageVersion.id))
    client.post("/account/logout")
    login(client, factories.user())
    assert client.post(f"/admin/pages/terms/history/{version}/restore").status_code == 403
    assert count_rows(PageVersion) == 1


def test_admin_index_links_the_site_forms(client, admin):
    html = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/identity"' in html and 'href="/admin/accessibility"' in html and 'href="/admin/pages"' in html


def test_a_new_identity_shows_on_the_home_page(client, admin):
    resp = client.post("/admin/identity", data={
        **identity_form(logo_alt="Emblème du Capitole", link_label_0="Site de la ville",
                        link_url_0="https://www.toulouse.fr", link_label_1="", link_url_1=""),
        "logo": (io.BytesIO(LOGO), "logo.svg")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    client.post("/account/logout")
    html = client.get("/").get_data(as_text=True)
    assert re.search(r"<title>[^<]*· Toulouse participe</title>", html)
    brand = re.search(r'<a class="brand"[^>]*>(.*?)</a>', html, re.S).group(1)
    assert "Toulouse participe" in brand and "Civic" not in brand
    img = re.search(r'<img src="(/site/logo\?v=[0-9a-f]+)" alt="Emblème du Capitole" width="96" height="48">', brand)
    assert img
    assert '<a href="https://www.toulouse.fr">Site de la ville</a>' in html
    assert "Ville de Toulouse" in html
    css = re.search(r'<link rel="stylesheet" href="(/site.css\?v=[0-9a-f]+)">', html).group(1)
    resp = client.get(css)
    assert resp.mimetype == "text/css" and "--accent:#8a1538" in resp.get_data(as_text=True)
    assert "immutable" in resp.headers["Cache-Control"]
    logo = client.get(img.group(1))
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml" and "immutable" in logo.headers["Cache-Control"]
    assert client.get(img.group(1), headers={"If-None-Match": logo.headers["ETag"]}).status_code == 304
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "site.identity_changed")).one()
    assert entry.actor_id == admin.id and "logo" in entry.data["changed"]


def test_a_raster_logo_is_made_small_and_served_with_an_etag(client, admin):
    raw = io.BytesIO()
    Image.new("RGBA", (1200, 600), (138, 21, 56, 0)).save(raw, "PNG")
    resp = client.post("/admin/identity", data={**identity_form(logo_alt="Logo"),
                                                "logo": (io.BytesIO(raw.getvalue()), "logo.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    identity = db.session.get(SiteIdentity, 1)
    assert identity.logo_type == "image/jpeg" and len(identity.logo) <= 40 * 1024
    assert (identity.logo_width, identity.logo_height) == (96, 48)
    served = client.get(f"/site/logo?v={identity.logo_hash}")
    assert served.headers["ETag"].strip('"') == identity.logo_hash
    # Transparent parts are put on white, not black.
    assert Image.open(io.BytesIO(served.data)).convert("RGB").getpixel((10, 10)) > (240, 240, 240)


def test_a_logo_needs_its_text_alternative(client, admin):
    resp = client.post("/admin/identity", data={**identity_form(), "logo": (io.BytesIO(LOGO), "logo.svg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "Describe the logo" in resp.get_data(as_text=True)
    assert count_rows(SiteIdentity) == 0


def test_an_accent_colour_with_poor_contrast_is_refused_next_to_the_field(client, admin):
    resp = client.post("/admin/identity", data=identity_form(accent="#ffcc00"))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    ratio = f"{colours.worst_contrast('#ffcc00'):.2f}"
    error = re.search(r'<p class="field-error" id="accent-error">(.*?)</p>', html, re.S).group(1)
    assert f"{ratio}:1" in error and "4.5:1" in error
    assert re.search(r'<input[^>]*aria-describedby="accent-hint accent-error"[^>]*>', html)
    assert 'value="#ffcc00"' in html and 'value="Toulouse participe"' in html
    assert count_rows(SiteIdentity) == 0
    assert client.post("/admin/identity", data=identity_form(accent="blue")).status_code == 422
    assert client.post("/admin/identity", data=identity_form(accent="#757575")).status_code == 422


def test_contrast_follows_wcag():
    assert round(colours.contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(colours.contrast("#767676", "#ffffff"), 2) == 4.54
    assert colours.contrast("#777777", "#ffffff") < 4.5
    # Enough on white, not on the header's light grey, where the accent colours links too.
    assert colours.contrast("#757575", "#ffffff") > 4.5 > colours.worst_contrast("#757575")
    assert colours.normalise("#ABC") == "#aabbcc" and colours.normalise("red") is None


def test_a_good_colour_appears_in_the_site_stylesheet(client, admin):
    assert client.get("/").get_data(as_text=True).count('rel="stylesheet"') == 1  # no accent: no extra request
    assert client.post("/admin/identity", data=identity_form(accent="#1E6B34")).status_code == 302
    body = client.get("/site.css").get_data(as_text=True)
    assert "--accent:#1e6b34" in body and "--accent-dark:" in body


@pytest.mark.parametrize("svg, reason", [
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>', "script"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="alert(1)"/>', "handler"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 1 1">'
     b'<use xlink:href="https://evil.example/x.svg#a"/></svg>', "external"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><use href="data:image/svg+xml,x"/></svg>', "external"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><foreignObject><p>x</p></foreignObject></svg>',
     "element"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect fill="url(https://evil.example/a)"/></svg>',
     "external"),
    (b'<!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">&x;</svg>',
     "doctype"),
    (b'<html><body>not svg</body></html>', "not_svg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><style>rect{fill:url(https://e.example)}</style></svg>',
     "element"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><a href="javascript:alert(1)"><rect/></a></svg>',
     "element"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><image href="https://e.example/p.png"/></svg>',
     "element"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><g ONCLICK="x()"/></svg>', "handler"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><set attributeName="href" to="x"/></svg>',
     "element"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect fill="javascript:x"/></svg>', "script"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "no_size"),
])
def test_dangerous_svgs_are_refused(svg, reason):
    with pytest.raises(UnsafeSvg) as err:
        sanitize_svg(svg)
    assert err.value.reason == reason


def test_an_svg_is_cleaned_of_styles_and_editor_metadata():
    raw = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/"'
           b' viewBox="0 0 10 5" style="background:url(https://evil.example/t)" inkscape:version="1">'
           b'<!-- comment --><metadata>x</metadata><rect width="10" height="5" fill="url(#g)" class="c"/></svg>')
    data, w, h = sanitize_svg(raw)
    assert (w, h) == (10.0, 5.0)
    text = data.decode()
    assert "style" not in text and "evil" not in text and "inkscape" not in text and "metadata" not in text
    assert "comment" not in text and 'fill="url(#g)"' in text and "<rect" in text


def test_an_svg_with_a_script_is_refused_by_the_form(client, admin):
    bad = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>'
    resp = client.post("/admin/identity", data={**identity_form(logo_alt="Logo"), "logo": (io.BytesIO(bad), "l.svg")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "contains a script or an event handler" in resp.get_data(as_text=True)
    assert count_rows(SiteIdentity) == 0


def test_editing_a_page_keeps_every_version_and_restores_one(client, admin):
    assert client.get("/pages/legal-notice").status_code == 404
    assert client.post("/admin/pages/legal-notice", data={"body": "## Éditeur\n\nMairie <script>alert(1)</script>"}
                       ).status_code == 302
    assert client.post("/admin/pages/legal-notice", data={"body": "Deuxième **version**"}).status_code == 302
    page = client.get("/pages/legal-notice").get_data(as_text=True)
    assert "Deuxième <strong>version</strong>" in page and "<h1>Legal notice</h1>" in page
    assert 'href="/pages/legal-notice">Legal notice</a>' in page  # the footer links the published page
    assert 'href="/admin/pages/legal-notice">Edit this page</a>' in page
    history = client.get("/admin/pages/legal-notice/history").get_data(as_text=True)
    assert history.count("By Admin A.") == 2 and history.count("Restore this version") == 1
    assert "<script" not in history.split("<main")[1] and "<h2>Éditeur</h2>" in history
    first = db.session.scalars(sa.select(PageVersion).order_by(PageVersion.id)).first()
    resp = client.post(f"/admin/pages/legal-notice/history/{first.id}/restore")
    assert resp.status_code == 302
    assert count_rows(PageVersion) == 3
    page = client.get("/pages/legal-notice").get_data(as_text=True)
    assert "Éditeur" in page and "Deuxième" not in page and "<script" not in page.split("<main")[1]
    history = client.get("/admin/pages/legal-notice/history").get_data(as_text=True)
    assert "restored from an earlier version" in history
    assert count_rows(AuditEntry, AuditEntry.action == "site.page_restored") == 1


def test_a_version_of_another_page_cannot_be_restored_here(client, admin):
    client.post("/admin/pages/terms", data={"body": "Règles"})
    version = db.session.scalar(sa.select(PageVersion.id))
    assert client.post(f"/admin/pages/legal-notice/history/{version}/restore").status_code == 404
    assert client.get("/admin/pages/nope").status_code == 404 and client.get("/pages/nope").status_code == 404


def test_privacy_additions_are_appended_to_the_privacy_page(client, admin):
    client.post("/admin/pages/privacy", data={"body": "## Délégué à la protection des données\n\ndpo@example.org"})
    html = client.get("/privacy").get_data(as_text=True)
    assert "<h2>Délégué à la protection des données</h2>" in html
    assert html.index("Cookies") < html.index("Délégué à la protection")


def test_an_unfilled_statement_says_so_and_gives_a_contact(client):
    html = client.get("/accessibility").get_data(as_text=True)
    assert "has not been published yet" in html
    assert "Feedback and contact" in html and "Libre réponse 71120" in html
    assert "%" not in html.split("<main")[1].split("</main>")[0]  # no conformance figure is made up
    assert 'href="/accessibility">Accessibility: not compliant</a>' in html


def test_a_filled_statement_has_every_rgaa_section(client, admin):
    resp = client.post("/admin/accessibility", data=statement_form())
    assert resp.status_code == 302, resp.get_data(as_text=True)
    client.post("/account/logout")
    html = client.get("/accessibility").get_data(as_text=True)
    for text in ["Mairie de Toulouse is committed", "article 47", "https://participer.example.org",
                 "Conformance status", "is partially compliant with", "Test results",
                 "Cabinet Exemple", "78.5 % of the RGAA criteria are met", "October 12, 2026",
                 "Non-conformities", "<li>Graphiques sans alternative (critère 1.3)</li>",
                 "Derogations for disproportionate burden", "<li>Plans PDF numérisés</li>",
                 "Content not subject to the accessibility obligation", "<li>Vidéos en direct</li>",
                 "This statement was established or last updated on November 2, 2026",
                 "Technologies used to build the site", "<li>HTML5</li>", "Test environment",
                 "<li>Firefox et NVDA</li>", "Tools used to assess accessibility", "<li>axe-core</li>",
                 "Pages of the site checked for conformance", "<li>Budget participatif</li>",
                 "Feedback and contact", 'href="mailto:a11y@example.org"', "Place du Capitole<br>31000 Toulouse",
                 "Remedies", 'href="https://formulaire.defenseurdesdroits.fr/"',
                 "Défenseur des droits<br>Libre réponse 71120<br>75342 Paris CEDEX 07",
                 'href="/accessibility">Accessibility: partially compliant</a>']:
        assert text in html, text
    assert "has not been published yet" not in html and "Edit the statement" not in html
    statement = db.session.get(AccessibilityStatement, 1)
    assert statement.rate == 78.5 and statement.pages_audited == "Accueil\nPétitions\nBudget participatif"


@pytest.mark.parametrize("over, field, message", [
    ({"status": "full", "rate": "90"}, "rate", "100 % of the criteria"),
    ({"status": "partial", "rate": ""}, "rate", "Enter the rate"),
    ({"status": "none", "rate": "60"}, "rate", "partially conformant"),
    ({"rate": "120"}, "rate", "between 0 and 100"),
    ({"status": "maybe"}, "status", "Choose the conformance status"),
    ({"contact_email": "", "contact_postal": ""}, "contact_email", "at least one way"),
    ({"audited_by": ""}, "audited_by", "who carried out the audit"),
    ({"established_on": ""}, "established_on", "Enter the date this statement"),
])
def test_a_statement_that_does_not_add_up_is_refused(client, admin, over, field, message):
    resp = client.post("/admin/accessibility", data=statement_form(**over))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert error and message in error.group(1)
    assert 'value="Mairie de Toulouse"' in html
    assert count_rows(AccessibilityStatement) == 0


def test_a_site_without_audit_may_publish_a_not_compliant_statement(client, admin):
    data = statement_form(status="none", rate="", audit_date="", audited_by="")
    assert client.post("/admin/accessibility", data=data).status_code == 302
    html = client.get("/accessibility").get_data(as_text=True)
    assert "is not compliant with" in html and "No conformance audit has been carried out yet." in html


def test_the_french_statement_uses_the_rgaa_words(client, admin):
    client.post("/admin/accessibility", data=statement_form())
    client.get("/language?lang=fr")
    html = client.get("/accessibility").get_data(as_text=True)
    assert "Déclaration d’accessibilité" in html and "partiellement conforme" in html
    assert "Voies de recours" in html and "Retour d’information et contact" in html
    assert "Accessibilité\u00a0: partiellement conforme" in html


def test_the_identity_form_says_who_changed_it_last(client, admin):
    client.post("/admin/identity", data=identity_form())
    html = client.get("/admin/identity").get_data(as_text=True)
    assert "by Admin A." in html and 'value="Toulouse participe"' in html and 'value="#8a1538"' in html
