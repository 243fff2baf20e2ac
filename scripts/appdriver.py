"""Drive the real dashboard in headless Chromium: start a server, open pages, know when a page
is done drawing. Used by ``tests/test_screenshots.py``, ``tests/test_browser.py`` and
``benchmarks/pages_bench.py``.

*Done* means all of these, checked together:

1. the server said the script run finished (a ``script_finished`` message on Streamlit's
   websocket, read with Playwright's ``page.on("websocket")``) after the action;
2. the page's own final elements are there (its title; e.g. the charts, tables or tiles it
   must show), every Plotly chart has drawn its ``.main-svg``, every table its canvas;
3. nothing is left over from the run: no stale (greyed-out) element, no spinner, no skeleton,
   no "Running..." status widget;
4. the page has been quiet for ``QUIET_MS``: no DOM change (a ``MutationObserver`` on the whole
   document) and no websocket message.

The time a page took is from the click to the *last DOM change* before the quiet window, so the
quiet window itself is never counted. Streamlit shows its status widget only after a delay, which
is why its absence alone says nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
QUIET_MS = 500
START_TIMEOUT = 300.0  # seconds until the server answers (``serve --demo`` may load the demo)
DONE_TIMEOUT = 120.0  # seconds for one page to be done (a cold page on the large store)


def chromium_path() -> str:
    """Debian's Chromium (Playwright cannot download its own browsers here)."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("Debian's chromium is not installed (apt-get install chromium).")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_flags(port: int) -> list[str]:
    """``streamlit run`` flags of a test server: headless on ``127.0.0.1:port``, no usage
    statistics, and no file watcher (others may edit the package while the tests run: no
    "source changed" reruns)."""
    return [
        *("--server.headless", "true", "--server.port", str(port)),
        *("--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"),
        *("--server.fileWatcherType", "none"),
    ]


def healthy(url: str) -> bool:
    """Whether a Streamlit server at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def serve(db: Path, log: Path, *, demo: bool = True) -> Iterator[str]:
    """``python -m evaluation serve [--demo] --db DB`` on a free port; yields its URL.

    The server leads its own process group and is stopped with it afterwards.
    """
    port = free_port()
    url = f"http://localhost:{port}"
    cmd = [sys.executable, "-m", "evaluation", "serve", "--db", str(db), "--port", str(port)]
    if demo:
        cmd.append("--demo")
    # no file watcher: a source file changed during a run (an editor, a checkout) would be
    # reloaded mid-walk, and what is cached from before would no longer match its classes
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"The dashboard did not start (exit code {proc.poll()}); see {log}."
                    )
                time.sleep(0.25)
            yield url
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server and anything it started (it leads its own process group)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


# Installed in every document before Streamlit's own scripts: the time of the last DOM change.
_OBSERVER = """
window.__lastChange = performance.now();
new MutationObserver(() => { window.__lastChange = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""

# Whether the page is complete; returns [complete, what is missing, lastChange, now].
_CHECK = """
([title, needs]) => {
  const missing = [];
  const q = (s) => document.querySelectorAll(s);
  const main = document.querySelector('[data-testid="stMain"]');
  const h1 = main ? [...main.querySelectorAll('h1')].map(h => h.textContent.trim()) : [];
  if (!h1.some(t => t.startsWith(title))) missing.push('title ' + title);
  for (const [selector, least] of needs) {
    const n = q(selector).length;
    if (n < least) missing.push(`${selector} ${n}/${least}`);
  }
  for (const chart of q('[data-testid="stPlotlyChart"]'))
    if (!chart.querySelector('.main-svg')) missing.push('a chart not drawn');
  for (const table of q('[data-testid="stDataFrame"]'))
    if (!table.querySelector('canvas')) missing.push('a table not drawn');
  for (const busy of ['[data-stale="true"]', '[data-testid="stSpinner"]',
                      '[data-testid="stSkeleton"]', '[data-testid="stStatusWidget"]'])
    if (q(busy).length) missing.push('busy ' + busy);
  return [missing.length === 0, missing, window.__lastChange, performance.now()];
}
"""


@dataclass(frozen=True)
class Spec:
    """A page of the navigation and what it must show when done: (CSS selector, at least)."""

    title: str
    """The link in the navigation."""
    heading: str
    """The start of the page's ``st.title``."""
    needs: tuple[tuple[str, int], ...] = ()


PLOT = '[data-testid="stPlotlyChart"] .main-svg'
TABLE = '[data-testid="stDataFrame"] canvas'
TILE = '[data-testid="stMetric"]'
DOWNLOAD = '[data-testid="stDownloadButton"]'

PAGES: dict[str, Spec] = {
    s.title: s
    for s in (
        Spec(
            "Upload",
            "Upload a programme data package",
            (('[data-testid="stFileUploaderDropzone"]', 1), (DOWNLOAD, 1)),
        ),
        Spec("Submissions", "Submissions", ((TABLE, 1), (PLOT, 1))),
        Spec("Data overview", "Data overview", ((TABLE, 1), (TILE, 2))),
        Spec("Programme", "Programme overview", ((TILE, 1), (TABLE, 1))),
        Spec("Indicator explorer", "Indicator explorer", ((PLOT, 1), (TABLE, 1), (DOWNLOAD, 2))),
        Spec("Comparison", "Compare programmes", ((TABLE, 1),)),
        Spec("Reports", "Reports", (('[data-testid="stTable"]', 1), (DOWNLOAD, 1))),
        Spec("Indicator catalogue", "Indicator catalogue", (('[data-testid="stExpander"]', 10),)),
        Spec("Users", "Users", (('[data-testid="stForm"]', 1),)),
        Spec(
            "Upload a return", "Upload a return", (('[data-testid="stFileUploaderDropzone"]', 1),)
        ),
        Spec("Send a return", "Send a return", (('[data-testid="stMultiSelect"]', 1),)),
    )
}


class NotDone(RuntimeError):
    """A page did not finish within the time allowed; the message says what was missing."""


@dataclass
class Driver:
    """One browser tab on the dashboard, watching Streamlit's websocket."""

    page: Any  # playwright.sync_api.Page
    finished: int = 0
    """``script_finished`` messages received so far."""
    last_frame: float = field(default_factory=time.monotonic)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context: Any, url: str) -> Driver:
        page = context.new_page()
        page.add_init_script(_OBSERVER)
        driver = cls(page)
        page.on("websocket", driver._watch)
        page.on("pageerror", lambda exc: driver.errors.append(str(exc)))
        page.goto(url)
        return driver

    def _watch(self, ws: Any) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def received(payload: str | bytes) -> None:
            self.last_frame = time.monotonic()
            if isinstance(payload, bytes | bytearray):
                msg = ForwardMsg()
                try:
                    msg.ParseFromString(bytes(payload))
                except Exception:  # not a ForwardMsg: counts as activity only
                    return
                if msg.WhichOneof("type") == "script_finished":
                    self.finished += 1

        ws.on("framereceived", received)

    def now(self) -> float:
        """The page's clock (``performance.now()``, ms)."""
        return float(self.page.evaluate("performance.now()"))

    def settle(
        self, spec: Spec, since: float, finished_before: int, timeout: float = DONE_TIMEOUT
    ) -> float:
        """Wait until ``spec``'s page is done (see the module's doc); the milliseconds from
        ``since`` (page clock) to its last DOM change."""
        deadline = time.monotonic() + timeout
        missing: list[str] = []
        while time.monotonic() < deadline:
            complete, missing, last_change, now = self.page.evaluate(
                _CHECK, [spec.heading, [list(n) for n in spec.needs]]
            )
            quiet = (
                now - last_change >= QUIET_MS
                and (time.monotonic() - self.last_frame) * 1000 >= QUIET_MS
            )
            if complete and self.finished > finished_before and quiet:
                return last_change - since
            if not self.finished > finished_before:
                missing = [*missing, "no script_finished yet"]
            self.page.wait_for_timeout(50)
        raise NotDone(f"{spec.title} was not done after {timeout:.0f} s: " + "; ".join(missing))

    def open_page(self, page: str | Spec) -> float:
        """Click the page (a title of ``PAGES``, or a ``Spec``) in the navigation; the
        milliseconds until that page is done."""
        spec = PAGES[page] if isinstance(page, str) else page
        link = self.page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name=spec.title, exact=True
        )
        before, since = self.finished, self.now()
        link.click()
        return self.settle(spec, since, before)

    def open_link(self, index: int, spec: Spec) -> float:
        """Click the ``index``-th link of the navigation (its order is the router's, whatever
        language the links are in); the milliseconds until ``spec``'s page is done."""
        link = self.page.get_by_test_id("stSidebarNav").get_by_role("link").nth(index)
        before, since = self.finished, self.now()
        link.click()
        return self.settle(spec, since, before)

    def switch_role_at(self, index: int, on: Spec) -> float:
        """Demo mode: pick the ``index``-th role of the switcher (in any language); ``on`` is
        the page that is open (it stays open)."""
        radio = (
            self.page.get_by_test_id("stSidebar")
            .get_by_test_id("stRadio")
            .locator("label")
            .filter(has=self.page.locator("input[type=radio]"))
            .nth(index)
        )
        before, since = self.finished, self.now()
        radio.click()
        return self.settle(on, since, before)

    def switch_role(self, label: str, on: str) -> float:
        """Demo mode: pick the role whose switcher label starts with ``label``; ``on`` is the
        title of the page that is open (it stays open)."""
        radio = (
            self.page.get_by_test_id("stSidebar")
            .get_by_test_id("stRadio")
            .get_by_text(label, exact=False)
        )
        before, since = self.finished, self.now()
        radio.click()
        return self.settle(PAGES[on], since, before)

    def first_page(self, title: str | Spec) -> float:
        """After ``page.goto``: the milliseconds until the default page ``title`` (a title of
        ``PAGES``, or a ``Spec``) is done."""
        return self.settle(PAGES[title] if isinstance(title, str) else title, 0.0, 0)

    def quiet(self, timeout: float = DONE_TIMEOUT) -> None:
        """Wait until the DOM has not changed for ``QUIET_MS`` (e.g. after a resize)."""
        self.page.wait_for_function(
            f"performance.now() - window.__lastChange >= {QUIET_MS}",
            timeout=timeout * 1000,
            polling=50,
        )

    def screenshot(self, path: Path, *, full: bool = True) -> None:
        """The page as it is now; ``full``: the whole main area (it scrolls inside the window),
        up to 2400 px tall."""
        page = self.page
        page.mouse.move(VIEWPORT["width"] - 10, VIEWPORT["height"] - 10)
        size = page.viewport_size or VIEWPORT
        if full:
            height = page.get_by_test_id("stMain").evaluate("el => el.scrollHeight")
            page.set_viewport_size(
                {"width": size["width"], "height": max(size["height"], min(int(height), 2400))}
            )
            self.quiet()  # charts follow the new size
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, animations="disabled")
        if full:
            page.set_viewport_size(size)
            self.quiet()


ANY_PAGE = Spec("", "")
"""A page known only by having a title: with no needs of its own (any language)."""


def launch(playwright: Any) -> Any:
    """Headless Debian Chromium."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
