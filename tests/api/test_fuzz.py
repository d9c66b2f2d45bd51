"""Property-based fuzzing of /api/v1 from its own OpenAPI document
(schemathesis' engine, the one its CLI runs): every operation, every check,
a fixed seed and budget, zero failures."""

from __future__ import annotations

import time

import schemathesis
from flask.globals import _cv_app
from schemathesis.engine import Status, events
from schemathesis.engine import from_schema as engine_for

from civic.api import build_openapi
from tests.api.conftest import build_world

SEED = 15
MAX_EXAMPLES = 100
# Answers to a schema-valid request that are not a rejection of it: schemathesis'
# defaults, and 410 Gone (a petition the moderators removed), the documented
# answer for an id that existed, like 404 for one that never did.
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "410", "429", "5xx"]


class Isolated:
    """The app as a server runs it: each request in its own application
    context (not the test's), its answer read to the end inside it."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        token = _cv_app.set(None)
        try:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]
            finally:
                getattr(body, "close", lambda: None)()
        finally:
            _cv_app.reset(token)


def fuzz(app) -> dict:
    config = schemathesis.Config.from_dict({
        "seed": SEED, "workers": 1, "color": False,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none", "mode": "all"},
        "checks": {"enabled": True, "positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        # Two documented 422s no schema can foresee: a confirmation token is only valid if
        # the site signed it, and a district code only if an administrator created it.
        "operations": [{"include-path": path, "checks": {"positive_data_acceptance": {
            "expected-statuses": [*ACCEPTED, "422"]}}}
            for path in ("/api/v1/petitions/signatures/{token}/confirm", "/api/v1/accountability")],
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", Isolated(app), config=config)
    report = {"operations": set(), "cases": 0, "checks": set(), "failures": [], "errors": [], "skipped": []}
    started = time.monotonic()
    for event in engine_for(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.label:
                report["operations"].add(event.label)
            report["cases"] += len(event.recorder.cases)
            if event.status == Status.SKIP:
                report["skipped"].append((event.phase, event.label, event.skip_reason))
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    report["checks"].add(check.name)
                    if check.status == Status.FAILURE:
                        interaction = event.recorder.interactions.get(case_id)
                        req = interaction.request if interaction else None
                        report["failures"].append(
                            f"{event.phase.name} {event.label}: {check.name}: {check.failure_info.failure.title}"
                            f" -- {req.method if req else ''} {req.uri if req else ''}"
                            f" {(req.body or b'')[:200] if req else ''} -> "
                            f"{interaction.response.status_code if interaction and interaction.response else ''}"
                            f" {(interaction.response.content or b'')[:300] if interaction and interaction.response else ''}")
        elif isinstance(event, events.NonFatalError):
            report["errors"].append(f"{event.label}: {event.info.format() if hasattr(event.info, 'format') else event.value}")
        elif isinstance(event, events.FatalError):
            report["errors"].append(repr(event.exception))
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def test_fuzzing_the_api_from_its_document_finds_nothing(app, run_jobs):
    build_world(app, run_jobs)
    report = fuzz(app)
    print("\nfuzzing:", {k: (len(v) if isinstance(v, (set, list)) else v) for k, v in report.items()},
          sorted(report["checks"]))
    assert report["errors"] == []
    assert report["failures"] == [], "\n".join(sorted(set(report["failures"])))
    document = build_openapi(app)
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    # Every operation was fuzzed (schemathesis leaves out the document it was loaded from).
    assert report["operations"] == operations - {"GET /api/v1/openapi.json"}
    assert report["cases"] > 20 * len(operations)
    assert {"not_a_server_error", "status_code_conformance", "content_type_conformance",
            "response_schema_conformance", "response_headers_conformance", "positive_data_acceptance",
            "negative_data_rejection", "unsupported_method"} <= report["checks"]
