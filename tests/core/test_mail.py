"""Mail headers cannot be injected."""

import pytest

from civic.core.mail import build


@pytest.mark.parametrize("evil", ["Hello\r\nBcc: victim@example.org", "Hello\nX-Injected: 1", "Hello\rworld"])
def test_a_header_value_with_cr_or_lf_is_refused(app, evil):
    with app.app_context(), pytest.raises(ValueError):
        build("someone@example.org", "Subject", "body", headers={"X-Civic-Topic": evil})
    with app.app_context(), pytest.raises(ValueError):
        build(evil, "Subject", "body")


def test_ordinary_headers_and_unicode_subjects_still_build(app):
    with app.app_context():
        msg = build("élodie@example.org", "Votre pétition a reçu une réponse", "Bonjour",
                    headers={"List-Unsubscribe": "<https://civic.test/unsubscribe/x>"})
    raw = bytes(msg)
    assert b"List-Unsubscribe: <https://civic.test/unsubscribe/x>" in raw and b"Subject: =?utf-8?" in raw
