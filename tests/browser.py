"""Shared start-up for the browser tests: a seeded app served from a thread, Debian's Chromium, journeys.

- `seeded_app(path)`: the app on a new SQLite file with the Jönköpings län demo data (and, optionally,
  more rows added by a callback inside the app context);
- `served(app)`: the app served by werkzeug from a background thread; yields its base URL;
- `chromium()`: the system Chromium at /usr/bin/chromium through Playwright. A browser is never
  downloaded (no `playwright install`); when the package is missing the test fails and says so;
- `Journey`: screenshots of every step at a laptop's and a phone's width under
  test-output/journeys/<name>/NN-step-1366.png and NN-step-390.png, an axe-core check of every page the
  journey visits at both widths (no violation of impact "serious" or "critical"), and each page's text
  (what a person reads) kept for a check the journey names (no stored code on any page).

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
# A journey's pages are looked at as on a laptop and on a phone: (width, height) of each screenshot,
# and the widths at which axe-core checks each page.
WIDTHS = ((1366, 900), (390, 844))
AXE_WIDTHS = (1366, 390)


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
    """One user journey: numbered screenshots at two widths, an accessibility check of every page
    visited, and what each page says.

    `watch(page)` records every address the page's main frame navigates to and gives the page a
    laptop's width; `step(page, name)` takes the next screenshots (one per width in WIDTHS, the
    viewport resized for each and back), runs axe-core at each width in AXE_WIDTHS and keeps the
    page's text (the body's inner text at each width). Leaving the `with` block fails the test when
    a page had serious or critical violations (all of them listed), when a page was visited without
    a step, or when `find_codes(text)` (given) finds anything in a page's text (each page and what
    was found listed), all of it in one message.
    """

    def __init__(self, name, find_codes=None, folder=None):
        self.folder = folder or OUTPUT / "journeys" / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0
        self.visited = []
        self.checked = set()
        self.violations = []
        self.report = {}  # every step's violations of any impact, written to axe.json
        self.texts = {}  # every step's page text: {"NN-name": (url, text)}
        self.find_codes = find_codes

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
        width, height = WIDTHS[0]
        page.set_viewport_size({"width": width, "height": height})
        return page

    def step(self, page, name):
        """Screenshot the page at each width, check its accessibility and keep its text (the
        outcome is reported at the end). Returns the screenshots' paths."""
        page.wait_for_load_state()
        self.count += 1
        stem = f"{self.count:02d}-{name}"
        before = page.viewport_size
        paths, texts = [], []
        try:
            for width, height in WIDTHS:
                page.set_viewport_size({"width": width, "height": height})
                path = self.folder / f"{stem}-{width}.png"
                page.screenshot(path=path, full_page=True)
                paths.append(path)
                texts.append(page.inner_text("body"))
                if width not in AXE_WIDTHS:
                    continue
                everything = []
                found = axe_violations(page, everything)
                self.report[path.name] = {"url": page.url, "violations": everything}
                if found:
                    self.violations.append((f"{path.name} {page.url}", found))
        finally:
            if before:
                page.set_viewport_size(before)
        self.checked.add(page.url)
        self.texts[stem] = (page.url, "\n".join(dict.fromkeys(texts)))
        return paths

    def codes_found(self):
        """{"NN-name url": [what find_codes found]} of the steps whose page text holds a code."""
        if self.find_codes is None:
            return {}
        found = {}
        for stem, (url, text) in self.texts.items():
            hits = self.find_codes(text)
            if hits:
                found[f"{stem} {url}"] = hits
        return found

    def finish(self):
        """Fail with everything found, each kind of problem under its own heading."""
        (self.folder / "axe.json").write_text(json.dumps(self.report, indent=2, ensure_ascii=False))
        problems = []
        if self.violations:
            problems.append(
                "axe-core found serious or critical accessibility violations:\n" + describe(self.violations)
            )
        unchecked = [url for url in dict.fromkeys(self.visited) if url not in self.checked]
        if unchecked:
            problems.append(f"pages visited without an accessibility check: {unchecked}")
        codes = self.codes_found()
        if codes:
            problems.append(
                "stored codes where a person reads:\n"
                + "\n".join(f"  {where}: {', '.join(hits)}" for where, hits in codes.items())
            )
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)
