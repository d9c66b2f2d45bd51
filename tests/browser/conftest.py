"""Browser tests: a live Civic server, a real SMTP server and the system Chromium.

What runs where:

- the application is a real ``create_app`` served by werkzeug in a background
  thread on 127.0.0.1 (a free port), with CSRF on, as in production;
- the database is a SQLite file built with ``create_all`` in a temporary
  folder, even when TEST_DATABASE_URL is set: the browser exercises the web
  layer, and the shared PostgreSQL test database is truncated by the other
  tests between theirs;
- mail goes over SMTP (``MAIL_URL``) to an aiosmtpd server on loopback that
  keeps what it receives; jobs run inline after commit, or, when
  TEST_REDIS_URL is set, on RQ, drained by a SimpleWorker while a test waits
  for a mail;
- Chromium is ``/usr/bin/chromium`` driven by Playwright; each test gets a new
  browser context (no cookies carried over), once with JavaScript and once
  without.

``site.check()`` runs after every navigation: axe-core with the WCAG 2.1 A/AA
rules must report nothing, the page must weigh under 60 KB in under 10
requests, and no request may leave the site.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import os
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CIVIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MAX_PAGE_BYTES = 60 * 1024  # DESIGN.md: a page transfers under 60 KB...
MAX_PAGE_REQUESTS = 10  # ...in under 10 requests (EcoIndex grade A)
PASSWORD = "correct horse battery"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")

_seq = itertools.count(1)


def _axe_script() -> str:
    # The axe-core build shipped with axe-playwright-python (no network access needed).
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


AXE_SCRIPT = _axe_script()


def unique_email(prefix: str = "resident") -> str:
    """A fresh address per test: the server and its database live for the session."""
    return f"{prefix}-{next(_seq)}-{uuid.uuid4().hex[:6]}@example.org"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP ----------------------------------------------------------------------

@dataclass
class ReceivedMail:
    msg: email.message.EmailMessage
    rcpt_tos: list[str]

    @property
    def to(self) -> str:
        return str(self.msg["To"])

    @property
    def subject(self) -> str:
        return str(self.msg["Subject"])

    @property
    def body(self) -> str:
        return self.msg.get_body(preferencelist=("plain",)).get_content()

    def link(self, contains: str) -> str:
        for url in re.findall(r"https?://\S+", self.body):
            if contains in url:
                return url
        raise AssertionError(f"no link containing {contains!r} in mail {self.subject!r}:\n{self.body}")


class Inbox:
    """aiosmtpd handler that keeps every message it is sent."""

    def __init__(self):
        self.messages: list[ReceivedMail] = []
        self._cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._cond:
            self.messages.append(ReceivedMail(msg, list(envelope.rcpt_tos)))
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ReceivedMail]:
        with self._cond:
            return [m for m in self.messages if address in m.rcpt_tos]

    def wait_for(self, address: str, *, drain=None, timeout: float = 15.0) -> ReceivedMail:
        """The first mail received for ``address``; ``drain`` runs queued jobs
        (RQ mode) while waiting."""
        deadline = time.monotonic() + timeout
        while True:
            if drain is not None:
                drain()
            found = self.to(address)
            if found:
                return found[0]
            if time.monotonic() > deadline:
                with self._cond:
                    seen = [(m.rcpt_tos, m.subject) for m in self.messages]
                raise AssertionError(f"no mail for {address} over SMTP within {timeout}s; received: {seen}")
            with self._cond:
                self._cond.wait(0.1)


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


# --- live server -----------------------------------------------------------------

@dataclass
class LiveServer:
    app: object
    base_url: str
    inbox: Inbox
    redis: bool = False

    def url(self, path: str) -> str:
        return self.base_url + path

    def drain_jobs(self) -> None:
        """RQ mode: run what is queued with a SimpleWorker (here, in the test's
        thread, where RQ may install its signal handlers). Inline mode: nothing
        to do, jobs already ran after the request committed."""
        if not self.redis:
            return
        from civic.core.jobs import make_worker
        from civic.extensions import db

        with self.app.app_context():
            make_worker(self.app, simple=True).work(burst=True, with_scheduler=False)
            db.session.remove()

    def wait_for_mail(self, address: str, timeout: float = 15.0) -> ReceivedMail:
        return self.inbox.wait_for(address, drain=self.drain_jobs, timeout=timeout)

    def query(self, fn):
        """Run ``fn()`` in an application context and return its result (to read rows)."""
        from civic.extensions import db

        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, smtp_server):
    from werkzeug.serving import make_server

    from civic import create_app
    from civic.extensions import db

    tmp = tmp_path_factory.mktemp("browser")
    config = {
        "TESTING": False,  # errors become 500 pages as in production; check() fails on any 5xx
        "JOBS_RAISE": True,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'browser.db'}",
        "MAIL_URL": smtp_server.url,
        "MAIL_DIR": str(tmp / "mail"),
        "REDIS_URL": None,
        "SECRET_KEY": "browser-test-secret",
        "SERVER_NAME": None,
    }
    if TEST_REDIS_URL:
        config["REDIS_URL"] = TEST_REDIS_URL
        config["RQ_QUEUE"] = f"civic-browser-{uuid.uuid4().hex[:8]}"
    app = create_app(config)
    with app.app_context():
        db.create_all()
        _seed(app)
        db.session.remove()
    if TEST_REDIS_URL:
        from civic.core.redis import redis_client

        with app.app_context():
            redis_client().flushdb()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url  # read at call time by absolute_url() and mails
    thread = threading.Thread(target=server.serve_forever, name="civic-live-server", daemon=True)
    thread.start()
    yield LiveServer(app=app, base_url=base_url, inbox=smtp_server, redis=bool(TEST_REDIS_URL))
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


def _seed(app):
    """A few districts, so the registration form offers a real choice."""
    from civic.accounts.models import District
    from civic.extensions import db

    for code, name in [("T01", "Capitole"), ("T06", "Saint-Cyprien"), ("T17", "Rangueil")]:
        db.session.add(District(code=code, name=name))
    db.session.commit()


@pytest.fixture
def make_user(live_server):
    """Create a confirmed account directly in the database; returns its email."""
    def make(name: str = "Léa Martin", locale: str = "en", **kw) -> str:
        from tests import factories

        address = unique_email()
        live_server.query(lambda: factories.user(email=address, name=name, locale=locale, **kw))
        return address
    return make


# --- browser -----------------------------------------------------------------------

# One Playwright per process. Test modules outside tests/browser import these
# fixtures (tests/deliberation/test_browser.py), which gives pytest a second
# session fixture of the same name; a second sync_playwright().start() in the
# same process fails ("Sync API inside the asyncio loop"), so they share it.
_PLAYWRIGHT = {"instance": None, "users": 0}


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if _PLAYWRIGHT["instance"] is None:
        _PLAYWRIGHT["instance"] = sync_playwright().start()
    _PLAYWRIGHT["users"] += 1
    yield _PLAYWRIGHT["instance"]
    _PLAYWRIGHT["users"] -= 1
    if _PLAYWRIGHT["users"] == 0:
        _PLAYWRIGHT["instance"].stop()
        _PLAYWRIGHT["instance"] = None


@pytest.fixture(scope="session")
def browser(playwright_instance):
    if not Path(CHROMIUM).exists():
        # Fail, never skip: CI installs Chromium, and a silently skipped browser
        # suite would let accessibility regressions through.
        pytest.fail(f"Chromium not found at {CHROMIUM}. Install it (apt-get install chromium) "
                    "or set CIVIC_CHROMIUM to its path; the browser tests need it.", pytrace=False)
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture(scope="session")
def axe_snapshot_page(browser):
    """A JavaScript-enabled page that re-renders the HTML of a JavaScript-less
    page for axe: axe-core needs timers, which do not run when a context has
    JavaScript disabled. The site's own scripts are blocked here, so axe sees
    exactly the document a reader without JavaScript gets, styled by the real CSS."""
    context = browser.new_context(java_script_enabled=True, locale="en-GB")
    context.add_init_script(script=AXE_SCRIPT)
    page = context.new_page()
    page.snapshot = {"html": ""}

    def handle(route):
        kind = route.request.resource_type
        if kind == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page.snapshot["html"])
        elif kind == "script":
            route.abort()
        else:
            route.continue_()

    page.route("**/*", handle)
    yield page
    context.close()


# Figures printed at the end of the run: (test, url, requests, bytes).
PAGE_FIGURES: list[tuple[str, str, int, int]] = []


class Site:
    """A browser tab on the live server, with the checks every page must pass."""

    def __init__(self, page, live: LiveServer, js: bool, snapshot_page, test_name: str):
        self.page = page
        self.live = live
        self.js = js
        self.snapshot_page = snapshot_page
        self.test_name = test_name
        self.requests = []
        self.console_errors: list[str] = []
        self.pages_checked = 0
        page.on("request", lambda r: self.requests.append(r))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        # Measure every page as a first visit: with the HTTP cache on, the CSS
        # would be counted once per test and the figures would flatter us.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def _console(self, message) -> None:
        # Chromium logs every HTTP error status as a console error; statuses are
        # checked in _check_requests (a 422 for an invalid form is expected).
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server responded"):
            self.console_errors.append(message.text)

    # navigation -------------------------------------------------------------
    def visit(self, path: str, expect_status: int = 200):
        response = self.page.goto(self.live.url(path))
        assert response is not None and response.status == expect_status, (
            f"GET {path}: {response and response.status}, expected {expect_status}")
        self.check()
        return response

    def navigate(self, action, expect_status: int = 200):
        """Run ``action()`` (a click or a key press) that leads to a new page, then check that page."""
        with self.page.expect_navigation() as nav:
            action()
        response = nav.value
        assert response is not None and response.status == expect_status, (
            f"{self.page.url}: status {response and response.status}, expected {expect_status}")
        self.check()
        return response

    def press(self, key: str, expect_status: int = 200):
        return self.navigate(lambda: self.page.keyboard.press(key), expect_status)

    def enter(self, locator, expect_status: int = 200, limit: int = 80):
        """Tab to ``locator`` and press Enter, expecting the page it opens."""
        self.tab_to(locator, limit=limit)
        return self.press("Enter", expect_status=expect_status)

    # keyboard ---------------------------------------------------------------
    # What has the focus, in a few words (for failure messages).
    FOCUS_JS = ("() => { const e = document.activeElement; if (!e || e === document.body) return 'body';"
                " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' +"
                " JSON.stringify((e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 40)); }")

    def focused_description(self) -> str:
        return self.page.evaluate(self.FOCUS_JS)

    def tab_to(self, locator, limit: int = 60) -> None:
        """Press Tab until ``locator`` has the focus, as a keyboard user would."""
        trail = []
        # One round trip per key press: "is it focused, else what is?" in a single call.
        probe = f"e => e === document.activeElement ? null : ({self.FOCUS_JS})()"
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            where = locator.evaluate(probe)
            if where is None:
                return
            trail.append(where)
        raise AssertionError(f"{locator} not reached after {limit} Tab presses; focus went: " + " > ".join(trail))

    # checks ---------------------------------------------------------------------
    def forget_requests(self) -> None:
        self.requests.clear()

    def check(self) -> None:
        """Axe (WCAG 2.1 A/AA), page weight, no third-party request, no server
        error, no console error, for the page now displayed."""
        self.page.wait_for_load_state("load")
        url = self.page.url
        self.pages_checked += 1
        self._check_requests(url)
        if self.console_errors:
            errors, self.console_errors[:] = list(self.console_errors), []
            pytest.fail(f"console errors on {url} (a CSP violation shows here):\n" + "\n".join(errors), pytrace=False)
        self._check_axe(url)

    def _check_requests(self, url: str) -> None:
        reqs, self.requests[:] = list(self.requests), []
        base = self.live.base_url + "/"
        outside = [r.url for r in reqs if not (r.url.startswith(base) or r.url.startswith("data:"))]
        if outside:
            pytest.fail(f"{url}: requests leave the site: {outside}", pytrace=False)
        total, rows, errors = 0, [], []
        # The page's weight and requests count from its own document on: what loaded
        # before it is the previous page's (lazy images that a Tab scrolled into view
        # after that page was checked), not this page's. Server errors count from all.
        starts = [i for i, r in enumerate(reqs) if r.is_navigation_request() and r.frame == self.page.main_frame]
        first = starts[-1] if starts else 0
        for r in reqs[:first]:
            response = r.response()
            if response is not None and response.status >= 500:
                errors.append(f"{r.method} {r.url} -> {response.status}")
        reqs = reqs[first:]
        for r in reqs:
            if r.url.startswith("data:"):
                continue
            response = r.response()
            if response is not None and (response.status >= 500 or (
                    response.status >= 400 and r.resource_type != "document")):
                errors.append(f"{r.method} {r.url} -> {response.status}")
            if response is None:
                # A request the page itself abandoned (a script's fetch cut short when the
                # user moves on) has no response and no sizes: it still counts as a request.
                size = 0
            else:
                sizes = r.sizes()
                size = sizes["responseHeadersSize"] + max(sizes["responseBodySize"], 0)
            total += size
            rows.append(f"  {r.method} {r.url[len(self.live.base_url):]} {response and response.status} {size} B")
        if errors:
            pytest.fail(f"{url}: server errors or missing resources:\n" + "\n".join(errors), pytrace=False)
        PAGE_FIGURES.append((self.test_name, url[len(self.live.base_url):], len(reqs), total))
        if len(reqs) >= MAX_PAGE_REQUESTS:
            pytest.fail(f"{url}: {len(reqs)} requests (limit: under {MAX_PAGE_REQUESTS}):\n" + "\n".join(rows),
                        pytrace=False)
        if total >= MAX_PAGE_BYTES:
            pytest.fail(f"{url}: {total} bytes transferred (limit: under {MAX_PAGE_BYTES}):\n" + "\n".join(rows),
                        pytrace=False)

    def _check_axe(self, url: str) -> None:
        if self.js:
            target = self.page
        else:
            target = self.snapshot_page
            # Without JavaScript, <noscript> content is real markup: keep it visible to axe.
            html = re.sub(r"<noscript\b", "<div data-noscript", self.page.content()).replace("</noscript>", "</div>")
            target.snapshot["html"] = html
            target.goto(url.split("#")[0])
        if target.evaluate("() => typeof axe === 'undefined'"):
            target.evaluate(AXE_SCRIPT)
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        violations = target.evaluate("options => axe.run(document, options).then(r => r.violations)", options)
        if violations:
            pytest.fail(f"axe: {len(violations)} WCAG 2.1 A/AA violation(s) on {url}"
                        + ("" if self.js else " (JavaScript off)") + ":\n" + format_violations(violations),
                        pytrace=False)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v.get('impact')}] {v['id']}: {v['help']}\n  {v.get('helpUrl', '')}")
        for node in v["nodes"][:8]:
            lines.append(f"    at {' '.join(map(str, node.get('target', [])))}")
            lines.append(f"       {node.get('html', '')[:240]}")
            summary = (node.get("failureSummary") or "").strip()
            if summary:
                lines.append("       " + summary.replace("\n", "\n       "))
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def site(request, browser, live_server, axe_snapshot_page):
    """A fresh browser context (no cookies) in English, with JavaScript on or off."""
    js = request.param
    context = browser.new_context(java_script_enabled=js, locale="en-GB", accept_downloads=True)
    context.set_default_timeout(15_000)
    if js:
        context.add_init_script(script=AXE_SCRIPT)  # as if already injected; no request, not weighed
    page = context.new_page()
    s = Site(page, live_server, js, axe_snapshot_page, request.node.name)
    yield s
    assert s.pages_checked > 0, "a browser test must check at least one page"
    context.close()


def read_json(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def pytest_terminal_summary(terminalreporter):
    if not PAGE_FIGURES:
        return
    heaviest = max(PAGE_FIGURES, key=lambda f: f[3])
    most = max(PAGE_FIGURES, key=lambda f: f[2])
    terminalreporter.write_sep("-", "browser pages")
    terminalreporter.write_line(
        f"{len(PAGE_FIGURES)} page loads checked (axe WCAG 2.1 A/AA, weight, third parties); "
        f"heaviest {heaviest[3]} B ({heaviest[1]} in {heaviest[0]}); "
        f"most requests {most[2]} ({most[1]} in {most[0]})")


# --- helpers for the module flows (budgets, processes, consultations, moderation, accountability) ---

def log_in(site, address: str, password: str = PASSWORD) -> None:
    """Log in with the keyboard only, whatever the page's language: Tab to the
    fields from the top of the page, type, and press Enter in the password field."""
    page = site.page
    site.visit("/account/login")
    site.tab_to(page.locator("#email"))
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    site.press("Enter")
    assert page.locator("form[action='/account/logout'] button").count() == 1, f"{address} is not logged in"


def log_out(site) -> None:
    """The "Log out" button in the header, with the keyboard: Tab from the top
    of a fresh page, or Shift+Tab back up from the content."""
    page = site.page
    button = page.locator("form[action='/account/logout'] button")
    if page.evaluate("() => !document.activeElement || document.activeElement === document.body"):
        site.tab_to(button)
    else:
        for _ in range(150):
            page.keyboard.press("Shift+Tab")
            if button.evaluate("e => e === document.activeElement"):
                break
        else:
            raise AssertionError("Shift+Tab never reached the log-out button")
    site.press("Enter")
    assert button.count() == 0


def skip_to_main(site) -> None:
    """From the top of a freshly loaded page: Tab to the skip link and follow
    it, so the next Tab lands in the content (fewer presses in long headers)."""
    page = site.page
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("e => e === document.activeElement"), (
        f"the first Tab on {page.url} went to {site.focused_description()}, not the skip link")
    page.keyboard.press("Enter")


def switch_language(site, lang: str) -> None:
    """Press the language button in the header (a form that comes back to the same page)."""
    page = site.page
    link = page.locator(".lang-switch a")
    assert link.get_attribute("hreflang") == lang, f"the switch offers {link.get_attribute('hreflang')}, not {lang}"
    link.focus()
    site.press("Enter")
    assert page.locator("html").get_attribute("lang") == lang


def wait_for_mails(live: LiveServer, address: str, count: int, timeout: float = 15.0) -> list[ReceivedMail]:
    """The first ``count`` mails received for ``address`` (running queued jobs in RQ mode)."""
    deadline = time.monotonic() + timeout
    while True:
        live.drain_jobs()
        found = live.inbox.to(address)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} mail(s) for {address} within {timeout}s, expected {count}: "
                                 f"{[m.subject for m in found]}")
        time.sleep(0.1)


@pytest.fixture
def make_district(live_server):
    """A district of its own for one test (the live database lasts the session):
    returns its code."""
    def make(name: str = "Minimes") -> str:
        from civic.accounts.models import District
        from civic.extensions import db

        code = f"X{next(_seq)}{uuid.uuid4().hex[:4]}"

        def create():
            db.session.add(District(code=code, name=f"{name} {code}"))
            db.session.commit()
        live_server.query(create)
        return code
    return make


@pytest.fixture
def make_resident(live_server):
    """A confirmed account verified as living in the district ``code``; returns its email."""
    def make(name: str, code: str = "T06", locale: str = "en", **kw) -> str:
        import sqlalchemy as sa

        from civic.accounts.models import District
        from civic.extensions import db
        from tests import factories

        address = unique_email()

        def create():
            district = db.session.scalar(sa.select(District).where(District.code == code))
            factories.user(email=address, name=name, locale=locale, verified_in=district,
                           district_id=district.id, **kw)
        live_server.query(create)
        return address
    return make
