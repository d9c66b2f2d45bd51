"""Benchmark-only reference endpoint: one plain INSERT on the same table,
app and stack as signing, so ``sign_vs_floor`` compares like with like.

Registered only when ``BENCH_ENDPOINTS`` is set in the config or
``CIVIC_BENCH=1`` in the environment: never in production.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, request

from civic.core.time import utcnow
from civic.extensions import csrf, db
from civic.petitions.models import Signature

bp = Blueprint("petitions_bench", __name__, url_prefix="/bench")
csrf.exempt(bp)


@bp.post("/floor/<int:petition_id>")
def floor(petition_id):
    data = request.get_json(silent=True) or {}
    email = str(data.get("email") or f"{secrets.token_hex(8)}@floor.example")
    db.session.execute(Signature.__table__.insert().values(
        petition_id=petition_id, state="pending", source="online", sponsor=False, name=str(data.get("name") or "x"),
        email=email, canonical_email=email, email_domain="floor.example", postcode="31000", ip=request.remote_addr,
        notify=False, locale="en", nonce="x", created_at=utcnow(), flagged=False, mail_pending=False, mails_sent=0,
        counted=False, dirty=False, anonymised=False))
    db.session.commit()
    resp = jsonify({"status": "ok"})
    resp.status_code = 202
    return resp
