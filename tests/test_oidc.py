"""Single sign-on end to end: the real dashboard, a real OpenID Connect provider, a real browser.

An organisation that has an identity provider (Microsoft Entra, Google, Keycloak...) configures
it in ``.streamlit/secrets.toml``; the dashboard then signs people in with ``st.login`` and maps
the provider's ``email`` claim to the platform account of that name, whose role and scope decide
what they see (``evaluation.app.session``). Nothing the provider says about roles or groups
counts. This module checks exactly that against ``oidc-provider-mock`` (a small OpenID provider
for tests, from PyPI) started on a free port, with the dashboard started in a folder whose
``secrets.toml`` points at it, driven through the provider's own authorisation page in Debian's
Chromium:

* a CSO manager and a funder the platform knows land on their role's first page, the funder
  seeing only the programme of their scope (although the provider claims they are an admin);
* a person the provider knows but the platform does not, and one whose e-mail address the
  provider has not verified, get a sentence and no page;
* the audit trail records each sign-in and each refusal.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

for _module, _why in (
    ("playwright", "Playwright is not installed"),
    ("oidc_provider_mock", "oidc-provider-mock (a test extra) is not installed"),
    ("authlib", "Authlib, which st.login needs (streamlit[auth]), is not installed"),
):
    if importlib.util.find_spec(_module) is None:  # (found, not imported: no warnings here)
        pytest.skip(_why, allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # scripts/appdriver.py
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from playwright.sync_api import expect as playwright_expect  # noqa: E402

from scripts.appdriver import (  # noqa: E402
    CHROMIUM_ARGS,
    VIEWPORT,
    free_port,
    healthy,
    server_flags,
    stop,
)
from tests.conftest import MINIMAL, approve_releases  # noqa: E402

START_TIMEOUT = 60  # seconds until a server answers
UI_TIMEOUT = 30_000  # ms: a redirect round trip, a rerun, a page drawn
MANAGER = "manager@bruecken.example"
FUNDER, FUNDER_SCOPE = "funder@stiftung.example", "P-CJS"
STRANGER = "stranger@elsewhere.example"  # known to the provider, not to the platform
IMPOSTOR = "impostor"  # the provider's subject claiming the manager's address, unverified
INSIDE = "Inside Out Continuum (fictional)"  # P-CJS, the funder's programme
OUTSIDE = ("P-OPEN", "Open Door Exit (fictional)")  # the minimal package's other programme
INTERNAL_PAGES = {"Upload", "Submissions", "Programme", "Approvals", "Audit trail", "Users"}
"""Pages of the CSO's own staff and administrators: never in a funder's navigation."""
REFUSED = "has no access to this dashboard"

expect = type(playwright_expect)()  # this module's own, so its timeout does not leak
expect.set_options(timeout=UI_TIMEOUT)


def _chromium() -> str:
    for candidate in ("/usr/bin/chromium",):
        if Path(candidate).is_file():
            return candidate
    pytest.skip("Debian's chromium is not installed; .ci/run installs it")


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            output = log.read_text(errors="replace")[-3000:]
            pytest.fail(f"{what} did not start (exit code {proc.poll()}):\n{output}")
        time.sleep(0.25)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """oidc-provider-mock on a free port: its issuer URL. The people it knows in advance are
    listed on its authorisation page; any other subject typed there gets ``email`` = subject."""
    tmp = tmp_path_factory.mktemp("provider")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    people = [
        # what a provider may say about roles or groups does not count on the platform
        {"sub": "u-1001", "email": MANAGER, "email_verified": True, "name": "Manager"},
        {"sub": "u-1002", "email": FUNDER.upper(), "email_verified": True, "roles": ["admin"]},
        {"sub": IMPOSTOR, "email": MANAGER, "email_verified": False},
    ]
    cmd = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for person in people:
        cmd += ["--user-claims", json.dumps(person)]
    log_path = tmp / "provider.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp
        )
        try:
            metadata = f"{url}/.well-known/openid-configuration"
            _wait_until(lambda: _answers(metadata), proc, log_path, "The identity provider")
            yield url
        finally:
            stop(proc)


@dataclass(frozen=True)
class Dashboard:
    url: str
    db: Path


@pytest.fixture(scope="module")
def dashboard(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The real dashboard, started in a folder whose ``.streamlit/secrets.toml`` configures the
    provider, over a store with the minimal package and two accounts without a password (they
    sign in only through the provider), named by the addresses the provider sends."""
    from evaluation.demo.generate import DEMO_ORGANISATIONS
    from evaluation.intake.ingest import ingest
    from evaluation.store.database import Store
    from evaluation.store.users import Operator, add_user

    tmp = tmp_path_factory.mktemp("sso")
    db = tmp / "store.duckdb"
    operator = Operator("test")
    with Store.open(db) as store:
        assert ingest(MINIMAL, store, actor="test").status == "loaded"
        add_user(
            store,
            MANAGER,
            "cso_manager",
            DEMO_ORGANISATIONS[:1],
            actor=operator,
            allow_no_password=True,
        )
        add_user(store, FUNDER, "funder", (FUNDER_SCOPE,), actor=operator, allow_no_password=True)
        approve_releases(store)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp / ".streamlit").mkdir()
    (tmp / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "evaluation-dashboard"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    env = {**os.environ, "EVALUATION_DB": str(db)}
    env.pop("EVALUATION_DEMO", None)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        *server_flags(port),
    ]
    log_path = tmp / "streamlit.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until(lambda: healthy(url), proc, log_path, "The dashboard")
            yield Dashboard(url, db)
        finally:
            stop(proc)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    path = _chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context: no cookie of an earlier sign-in, a new Streamlit session."""
    context = chromium.new_context(
        viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]}
    )
    context.set_default_timeout(UI_TIMEOUT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, errors


def _through_provider(page: Page, dashboard: Dashboard, subject: str) -> None:
    """Open the dashboard, press its identity-provider button and authorise as ``subject`` on
    the provider's own page; returns once the browser is back on the dashboard."""
    page.goto(dashboard.url)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Sign in with your organisation's account.")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{dashboard.url}/**")


def _nav(page: Page) -> set[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_role("link")
    return {t.strip().splitlines()[-1] for t in links.all_inner_texts()}  # after the icon


def _sign_ins(dashboard: Dashboard, actor: str) -> list[dict[str, object]]:
    """The audit trail's sign-ins and refused sign-ins of ``actor``, read as another program
    would while the dashboard runs."""
    from evaluation.sharing.audit import read_audit
    from evaluation.store.lease import open_waiting

    with open_waiting(dashboard.db, read_only=True, wait_seconds=30) as store:
        rows = read_audit(store, reader=None, actions=("sign_in", "sign_in_failed"), actor=actor)
    return [{str(k): v for k, v in row.items()} for row in rows.to_dict("records")]


def _detail(row: dict[str, object]) -> dict[str, object]:
    detail = row["detail"]
    parsed = json.loads(detail) if isinstance(detail, str) else detail
    assert isinstance(parsed, dict), detail
    return parsed


def test_a_cso_manager_signs_in_through_the_provider(page: Page, dashboard: Dashboard) -> None:
    _through_provider(page, dashboard, "u-1001")
    expect(page.get_by_role("heading", name="Upload a programme data package")).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(MANAGER)
    expect(sidebar.get_by_role("button", name="Sign out")).to_be_visible()
    assert "Upload" in _nav(page) and "Users" not in _nav(page)
    rows = [r for r in _sign_ins(dashboard, MANAGER) if r["action"] == "sign_in"]
    assert [(r["action"], _detail(r)["method"]) for r in rows] == [("sign_in", "identity provider")]
    assert rows[0]["role"] == "cso_manager"


def test_a_funder_sees_only_their_scope_whatever_the_provider_says(
    page: Page, dashboard: Dashboard
) -> None:
    """The provider sends the address in capitals and claims the funder is an admin: the
    account is found regardless of case, and its role and scope are the platform's."""
    _through_provider(page, dashboard, "u-1002")
    expect(page.get_by_role("heading", name="Data overview")).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(INSIDE)
    nav = _nav(page)
    assert {"Data overview", "Comparison", "Reports"} <= nav and not nav & INTERNAL_PAGES, nav
    text = main.inner_text()
    assert not [o for o in OUTSIDE if o in text]
    rows = _sign_ins(dashboard, FUNDER)
    assert [r["action"] for r in rows] == ["sign_in"]
    assert rows[0]["role"] == "funder"


def test_a_person_the_platform_does_not_know_gets_a_sentence_and_no_page(
    page: Page, dashboard: Dashboard
) -> None:
    _through_provider(page, dashboard, STRANGER)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(REFUSED)).to_be_visible()
    expect(main).to_contain_text("Ask an administrator to add a user")
    expect(page.get_by_role("button", name="Sign out of the identity provider")).to_be_visible()
    assert _nav(page) <= {"Sign in"}  # one page: Streamlit may not list it at all
    page.reload()  # a new Streamlit session in the same browser: still refused
    expect(main.get_by_text(REFUSED)).to_be_visible()
    rows = _sign_ins(dashboard, STRANGER)
    assert rows and {r["action"] for r in rows} == {"sign_in_failed"}
    assert {_detail(r)["reason"] for r in rows} == {"no account"}
    # signing out ends the provider's session too (it asks to confirm), then the sign-in page
    page.get_by_role("button", name="Sign out of the identity provider").click()
    page.wait_for_url("**/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_text("Sign in with your organisation's account.")).to_be_visible()


def test_an_unverified_address_does_not_sign_in_as_its_owner(
    page: Page, dashboard: Dashboard
) -> None:
    """A provider account whose e-mail claim is the manager's, but not verified by the
    provider (many let people type any address), must not become the manager."""
    _through_provider(page, dashboard, IMPOSTOR)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(REFUSED)).to_be_visible()
    expect(main).to_contain_text("has not confirmed that this e-mail address is yours")
    expect(page.get_by_role("heading", name="Upload a programme data package")).to_have_count(0)
    assert _nav(page) <= {"Sign in"}
    refused = [r for r in _sign_ins(dashboard, MANAGER) if r["action"] == "sign_in_failed"]
    assert refused and {_detail(r)["reason"] for r in refused} == {"address not verified"}
