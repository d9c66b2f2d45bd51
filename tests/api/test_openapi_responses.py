"""Every documented GET route of /api/v1, called with realistic data in
every domain, answers what its ``@doc`` declares: a documented status, and a
body valid against that status's schema (errors against the Error schema)."""

from __future__ import annotations

from jsonschema import Draft202012Validator, FormatChecker

from civic.api import build_openapi

# How to fill each path parameter of a GET route: world -> list of values.
# A route with a parameter missing here fails the test: add its examples.
PATH_VALUES = {
    "petition_id": lambda w: [w.open_petition.id, w.closed_petition.id, w.rejected_petition.id,
                              w.removed_petition.id, 2147483647],
    "edition_id": lambda w: [w.edition.id, w.voting_edition.id, 2147483647],
    "consultation_id": lambda w: [w.open_consultation.id, w.closed_consultation.id, 2147483647],
    "debate_id": lambda w: [w.debate.id, 2147483647],
    "process_id": lambda w: [w.process.id, 2147483647],
    "proposal_id": lambda w: [p.id for p in w.proposals] + [2147483647],
    "dataset": lambda w: ["petitions", "consultation-results", "owed-answers", "nothing"],
    "assembly_id": lambda w: [w.assembly.id, 2147483647],
    "rec_id": lambda w: [r.id for r in w.recommendations] + [2147483647],
}
# Routes whose parameters go together (kind and object id).
ROUTE_VALUES = {
    "/api/v1/<kind>/<int:object_id>/comments": lambda w: [
        {"kind": "debates", "object_id": w.debate.id}, {"kind": "debate", "object_id": w.debate.id},
        {"kind": "petitions", "object_id": w.open_petition.id}, {"kind": "nothing", "object_id": 1},
        {"kind": "proposals", "object_id": w.proposals[0].id}],
}
# Query strings worth a call of their own, beyond none at all.
QUERIES = {
    "/api/v1/budgets/<int:edition_id>/pabulib": ["format=json", "format=pb", "envelope=2147483647"],
    "/api/v1/budgets/<int:edition_id>/projects": ["envelope=1", "page=2"],
    "/api/v1/petitions": ["state=rejected", "district=N", "q=Demande", "sort=signatures", "page=2", "page=0"],
    "/api/v1/proposals": ["order=supports", "state=accepted", "process=1", "district=1", "process=2147483647"],
    "/api/v1/debates": ["state=open", "district=city", "district=N", "district=nowhere"],
    "/api/v1/processes": ["archive=true"],
    "/api/v1/assemblies": ["page=2"],
    "/api/v1/accountability": ["state=pending", "district=N", "kind=proposal", "kind=recommendation",
                               "district=nowhere"],
    "/api/v1/<kind>/<int:object_id>/comments": ["order=newest", "order=oldest", "page=2"],
}


def get_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and "GET" in (r.methods or ())]


def routes_without_success_schema(app) -> list[str]:
    """Routes of /api/v1 (any method) whose ``@doc`` gives no 2xx schema, or that have no ``@doc``."""
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        meta = getattr(app.view_functions[rule.endpoint], "_openapi", None)
        responses = (meta or {}).get("responses", {})
        if not any(status.startswith("2") and ("schema" in resp or "content" in resp)
                   for status, resp in responses.items()):
            missing.append(rule.rule)
    return missing


def test_every_route_documents_the_schema_of_its_success(app):
    assert routes_without_success_schema(app) == []
    assert build_openapi(app)["paths"]


def test_a_new_route_without_a_success_schema_is_caught(app):
    from civic.api import doc

    app.add_url_rule("/api/v1/new-undocumented", "api.new_undocumented", lambda: {})
    app.add_url_rule("/api/v1/new-without-schema", "api.new_without_schema", doc("New")(lambda: {}))
    assert routes_without_success_schema(app) == ["/api/v1/new-undocumented", "/api/v1/new-without-schema"]


def _urls(rule, world):
    if rule.rule in ROUTE_VALUES:
        combos = ROUTE_VALUES[rule.rule](world)
    else:
        combos = [{}]
        for name in rule.arguments:
            assert name in PATH_VALUES, f"{rule.rule}: give examples of <{name}> in PATH_VALUES"
            combos = [dict(c, **{name: v}) for c in combos for v in PATH_VALUES[name](world)]
    for values in combos:
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        yield path
        for query in QUERIES.get(rule.rule, []):
            yield f"{path}?{query}"


def _validator(document, schema):
    return Draft202012Validator({"components": document["components"], "allOf": [schema]},
                                format_checker=FormatChecker())


def test_every_get_route_answers_what_its_document_declares(app, client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    from civic.api import _openapi_path

    problems, calls, statuses = [], 0, set()
    for rule in get_rules(app):
        path, _names = _openapi_path(rule.rule)
        responses = document["paths"][path]["get"]["responses"]
        for url in _urls(rule, world):
            resp = client.get(url)
            calls += 1
            status = str(resp.status_code)
            statuses.add((rule.rule, status))
            if status not in responses:
                problems.append(f"{url}: {status} is not documented ({sorted(responses)})")
                continue
            content = responses[status].get("content")
            if not content:
                problems.append(f"{url}: {status} has no documented body")
                continue
            media = resp.mimetype
            if media not in content:
                problems.append(f"{url}: {media} instead of {sorted(content)}")
                continue
            spec = content[media]
            body = resp.get_json() if media == "application/json" else resp.get_data(as_text=True)
            for error in _validator(document, spec["schema"]).iter_errors(body):
                problems.append(f"{url} ({status}): {error.json_path}: {error.message[:200]}")
    assert problems == [], "\n".join(problems)
    # The data reaches every route's success, not only its errors.
    succeeded = {r for r, s in statuses if s.startswith("2")}
    assert succeeded == {r.rule for r in get_rules(app)}
    assert calls > 60
