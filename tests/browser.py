"""Shared start-up for the browser tests: a seeded app served from a thread, Debian's Chromium, journeys.

- `seeded_app(path)`: the app on a new SQLite file with the Jönköpings län demo data (and, optionally,
  more rows added by a callback inside the app context);
- `served(app)`: the app served by werkzeug from a background thread; yields its base URL;
- `chromium()`: the system Chromium at /usr/bin/chromium through Playwright. A browser is never
  downloaded (no `playwright install`); when the package is missing the test fails and says so;
- `Journey`: screenshots under test-output/journeys/<name>/NN-step.png and an axe-core check of every
  page the journey visits (no violation of impact "serious" or "critical").

axe-core is vendored in tests/vendor/ (see its README.md).
"""

import json
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from registry import seed
from registry.db import db, upgrade
from tests.conftest import make_app

CHROMIUM = Path("/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
FAILING_IMPACTS = ("serious", "critical")


def seeded_app(db_file, prepare=None, **config):
    """An app on a new, migrated SQLite file with the demo data; `prepare()` adds more in its app context."""
    app = make_app(f"sqlite:///{db_file}", **config)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            upgrade()
            seed.load()
            if prepare is not None:
                prepare()
        finally:
            db.close()
    return app


@contextmanager
def served(app):
    """Serve `app` on a free loopback port from a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def require_chromium():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser tests need the system package "
            "(apt-get install chromium, or `make chromium`). Do not run `playwright install`.",
            pytrace=False,
        )


@contextmanager
def chromium():
    """Debian's Chromium, launched through Playwright; yields the Browser."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, **options):
    """A page in a fresh context (no cookies): a Swedish desktop browser.

    The context bypasses the app's Content-Security-Policy (script-src 'self'), which would refuse
    the inline script add_script_tag makes of axe-core; the pages have no inline styles or scripts
    of their own, so they look and behave the same.
    """
    settings = {"viewport": {"width": 1280, "height": 900}, "locale": "sv-SE", "bypass_csp": True}
    return browser.new_context(**{**settings, **options}).new_page()


def log_in(page, email, password):
    """Fill in and send the login form the page is showing."""
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()


# axe reports a violation once per rule, with every failing node; keep the nodes that fail hard.
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      impact: n.impact,
      target: n.target.map(t => Array.isArray(t) ? t.join(' >> ') : t).join(' | '),
    })),
  }));
}"""


def axe_violations(page, everything=None):
    """axe-core's violations on the page as it is now, with impact serious or critical.

    `everything`, a list, receives every violation, whatever its impact.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found = []
    violations = page.evaluate(_RUN_AXE)
    if everything is not None:
        everything.extend(violations)
    for violation in violations:
        nodes = [n for n in violation["nodes"] if (n["impact"] or violation["impact"]) in FAILING_IMPACTS]
        if nodes:
            found.append({**violation, "nodes": nodes})
    return found


def describe(violations_by_page):
    lines = []
    for where, violations in violations_by_page:
        lines.append(f"{where}:")
        for v in violations:
            lines.append(f"  - {v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
            lines.extend(f"      {n['target']}" for n in v["nodes"])
    return "\n".join(lines)


class Journey:
    """One user journey: numbered screenshots, and an accessibility check of every page visited.

    `watch(page)` records every address the page's main frame navigates to; `step(page, name)` takes
    the next screenshot and runs axe-core on the page. Leaving the `with` block fails the test when a
    page had serious or critical violations (all of them listed), or when a page was visited without
    a step.
    """

    def __init__(self, name):
        self.folder = OUTPUT / "journeys" / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0
        self.visited = []
        self.checked = set()
        self.violations = []
        self.report = {}  # every step's violations of any impact, written to axe.json

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.finish()
        return False

    def watch(self, page):
        def navigated(frame):
            if frame == page.main_frame and frame.url.startswith("http"):
                self.visited.append(frame.url)

        page.on("framenavigated", navigated)
        return page

    def screenshot(self, page, name):
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    def step(self, page, name):
        """Screenshot the page and check its accessibility (the outcome is reported at the end)."""
        page.wait_for_load_state()
        path = self.screenshot(page, name)
        self.checked.add(page.url)
        everything = []
        found = axe_violations(page, everything)
        self.report[path.name] = {"url": page.url, "violations": everything}
        if found:
            self.violations.append((f"{path.name} {page.url}", found))

    def finish(self):
        (self.folder / "axe.json").write_text(json.dumps(self.report, indent=2, ensure_ascii=False))
        unchecked = [url for url in dict.fromkeys(self.visited) if url not in self.checked]
        if self.violations:
            pytest.fail("axe-core found serious or critical accessibility violations:\n" + describe(self.violations))
        assert not unchecked, f"pages visited without an accessibility check: {unchecked}"
