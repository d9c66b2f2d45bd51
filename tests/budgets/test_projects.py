"""Projects: submission with an image, feasibility review and merges with the
author told, moderation hooks, implementation tracking mailed to followers,
and lists that run a constant number of queries."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from civic.budgets import services
from civic.budgets.models import ImplementationStatus, Project, ProjectStatus
from civic.core import content, follows, pictures
from civic.core.errors import InvalidTransition
from civic.extensions import db
from tests.helpers import count_queries, reload

from . import factories


def _photo(size=(2400, 1800)) -> bytes:
    # Noise does not compress: a worst case for the 200 KB limit.
    img = Image.merge("RGB", [Image.effect_noise(size, 90) for _ in range(3)])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def test_resident_submits_a_project_with_an_image_resized_under_200_kb(client, login, budget):
    b = budget.make("approval", phase="submission")
    author = budget.voter()
    login(author)
    raw = _photo()
    assert len(raw) > 1_000_000
    resp = client.post(f"/budgets/{b.edition.id}/projects/new", data={
        "title": "Un kiosque à musique", "description": "Pour les **concerts** du dimanche.",
        "envelope_id": str(b.envelope.id), "location": "Square Vivier", "estimated_cost": "45000",
        "image": (io.BytesIO(raw), "kiosque.jpg"), "image_alt": "Dessin du kiosque"},
        content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    project = db.session.scalar(sa.select(Project).where(Project.title == "Un kiosque à musique"))
    assert project.author_id == author.id and project.status == ProjectStatus.SUBMITTED
    assert "<strong>concerts</strong>" in project.description_html
    image = pictures.for_owner("project", project.id)
    assert len(image.web_data) <= 200 * 1024 and image.alt == "Dessin du kiosque"
    resp = client.get(f"/pictures/{image.id}/web.webp")
    assert resp.status_code == 200 and resp.mimetype == "image/webp"
    assert "max-age" in resp.headers["Cache-Control"]
    page = client.get(f"/budgets/projects/{project.id}").get_data(as_text=True)
    assert 'alt="Dessin du kiosque"' in page


def test_invalid_project_comes_back_filled_in_with_the_reasons(client, login, budget):
    b = budget.make("approval", phase="submission")
    login(budget.voter())
    resp = client.post(f"/budgets/{b.edition.id}/projects/new", data={
        "title": "Kiosque", "description": "", "envelope_id": str(b.envelope.id), "estimated_cost": "900000"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "There is a problem" in html and 'value="Kiosque"' in html
    assert "Describe the project" in html


def test_projects_cannot_be_submitted_outside_the_submission_phase(client, login, budget):
    b = budget.make("approval", phase="voting")
    login(budget.voter())
    resp = client.post(f"/budgets/{b.edition.id}/projects/new", data={
        "title": "Kiosque", "description": "Musique", "envelope_id": str(b.envelope.id), "estimated_cost": "1000"})
    assert resp.status_code == 403
    assert db.session.scalar(sa.select(Project.id).where(Project.title == "Kiosque")) is None


def test_official_review_sets_the_final_cost_and_the_author_is_told(client, login, budget, mails, web):
    b = budget.make("approval", phase="review")
    author = budget.voter(email="author@example.org")
    project = factories.project(b.edition, b.envelope, "Kiosque", 40_000, status=ProjectStatus.SUBMITTED,
                                author=author, description="Musique")
    login(budget.official)
    resp = client.post(f"/budgets/projects/{project.id}/review", data={"review-decision": "unfeasible"})
    assert resp.status_code == 422 and "Explain publicly why" in resp.get_data(as_text=True)
    resp = client.post(f"/budgets/projects/{project.id}/review", data={
        "review-decision": "feasible", "review-final_cost": "52000", "review-reason": "Coût des fondations ajouté."})
    assert resp.status_code == 302
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert project.status == ProjectStatus.FEASIBLE and project.cost == 52_000
    [mail] = mails("author@example.org")
    assert "will go to the vote" in mail.body and "Coût des fondations ajouté." in mail.body
    other = b.projects[0]
    with web():
        services.merge_project(budget.official, project, other, "Deux projets de kiosque très proches.")
    db.session.commit()
    assert project.status == ProjectStatus.MERGED and project.merged_into_id == other.id
    assert "merged" in mails("author@example.org")[-1].subject
    page = client.get(f"/budgets/projects/{project.id}").get_data(as_text=True)
    assert "Deux projets de kiosque très proches." in page


def test_review_is_refused_once_voting_has_opened(budget):
    b = budget.make("approval", phase="voting")
    with pytest.raises(InvalidTransition):
        services.review_project(budget.official, b.projects[0], feasible=False, reason="Trop tard", final_cost=None)


def test_implementation_updates_are_public_and_mailed_to_followers(client, login, budget, mails, run_jobs, web):
    b = budget.make("approval")
    factories.ballot(budget.voter(), b.envelope, [b.projects[0]])
    budget.enter_phase(b.edition, "results")
    run_jobs()
    db.session.expire_all()
    with web():
        services.publish_results(budget.official, services.get_edition(b.edition.id))
    db.session.commit()
    project = db.session.get(Project, b.projects[0].id)
    assert project.implementation_status == ImplementationStatus.PLANNED
    fan = budget.voter(email="fan@example.org")
    follows.follow(fan, "project", project.id)
    db.session.commit()
    login(budget.official)
    resp = client.post(f"/budgets/projects/{project.id}/updates", data={
        "update-status": "cancelled", "update-progress": "10", "update-body": "Le chantier est arrêté."})
    assert resp.status_code == 422 and "why the project is cancelled" in resp.get_data(as_text=True)
    resp = client.post(f"/budgets/projects/{project.id}/updates", data={
        "update-status": "in_progress", "update-progress": "40", "update-body": "Les travaux ont commencé."})
    assert resp.status_code == 302
    [mail] = mails("fan@example.org")
    assert "Les travaux ont commencé." in mail.body and "40%" in mail.body
    assert "List-Unsubscribe" in mail.headers
    edition_page = client.get(f"/budgets/{b.edition.id}").get_data(as_text=True)
    assert 'value="40"' in edition_page  # overall progress of the edition
    assert "Les travaux ont commencé." in client.get(f"/budgets/projects/{project.id}").get_data(as_text=True)


def test_hidden_projects_leave_public_pages_lists_and_the_api(client, budget):
    b = budget.make("approval", phase="submission")
    project = b.projects[0]
    content.hook("project", "set_hidden")(project, True)
    db.session.commit()
    assert client.get(f"/budgets/projects/{project.id}").status_code == 404
    assert project.title not in client.get(f"/budgets/{b.edition.id}/projects").get_data(as_text=True)
    items = client.get(f"/api/v1/budgets/{b.edition.id}/projects").get_json()["items"]
    assert project.id not in [i["id"] for i in items]
    assert project.title not in [p.title for p in services.ballot_projects(b.envelope)]


@pytest.mark.parametrize("url", ["/budgets/{id}/projects", "/api/v1/budgets/{id}/projects", "/api/v1/budgets"])
def test_lists_run_a_constant_number_of_queries(client, budget, url):
    few = budget.make("approval", projects=[(f"Projet {i}", 1000) for i in range(2)])
    many = budget.make("approval", projects=[(f"Projet {i}", 1000) for i in range(18)])
    _r, n_few = count_queries(lambda: client.get(url.format(id=few.edition.id)))
    _r, n_many = count_queries(lambda: client.get(url.format(id=many.edition.id)))
    assert n_few == n_many


def test_a_review_posted_after_voting_opened_is_a_conflict_on_the_project_page(client, login, budget):
    b = budget.make("approval", phase="voting")
    project = b.projects[0]
    login(budget.official)
    resp = client.post(f"/budgets/projects/{project.id}/review", data={
        "review-decision": "unfeasible", "review-reason": "Trop cher"})
    assert resp.status_code == 409
    assert "the review and merges can no longer change" in resp.get_data(as_text=True)
    assert reload(project).status == ProjectStatus.FEASIBLE
