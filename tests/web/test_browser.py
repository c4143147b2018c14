"""Browser tests: the pages of ``medcite serve`` driven in real headless Chromium (Playwright).

They walk the reader's and the reviewer's paths (ask, switch audience, open a citation, save,
submit, review, approve, see the badge change), check accessibility (labels, headings, keyboard,
focus, contrast), phone width and injection, and save screenshots under
``$MEDCITE_TEST_ARTIFACTS/screenshots`` (default ``<repo>/test-artifacts/screenshots``).

They use Debian's ``/usr/bin/chromium`` (never ``playwright install``). Without it the module is
skipped, except under CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, ViewportSize, expect, sync_playwright

from tests.web.conftest import CAUSE_QUESTION, PASSWORD, LiveServer, Team

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
UNDER_CI = os.environ.get("CI", "").lower() in ("true", "1")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    Path(os.environ.get("MEDCITE_TEST_ARTIFACTS") or REPO / "test-artifacts") / "screenshots"
)
# Its synthetic source holds a literal <script> in its text and a javascript: URL.
XSS_QUESTION = "What is zappleflu?"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not UNDER_CI,
    reason=f"{CHROMIUM} is missing (apt-get install chromium; `make test` does it); "
    "browser tests skipped (they fail instead under CI=true)",
)

# Installed before any page script: records CSP violations, which an injected inline script or
# event handler would trigger even where the policy stops it from running.
RECORD_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

# WCAG 2.x contrast ratio of an element's text against its effective background (the
# backgrounds of it and its ancestors, composited over white).
CONTRAST_JS = """
(el) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]*)\\)/);
    if (!m) throw new Error("unparsed colour " + c);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) =>
    [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3]));
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let bg = [255, 255, 255];
  for (const layer of layers.reverse()) bg = over(layer, bg);
  const fg = over(parse(getComputedStyle(el).color), bg);
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return {ratio: (hi + 0.05) / (lo + 0.05), fg: fg.map(Math.round), bg: bg.map(Math.round)};
}
"""

# Every visible element with text of its own: its contrast, and a short description.
ALL_TEXT_CONTRAST_JS = (
    """
() => {
  const contrast = """
    + CONTRAST_JS
    + """;
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const r = contrast(el);
    const what = el.tagName.toLowerCase() + (el.className ? "." + el.className : "");
    out.push({what, text: el.textContent.trim().slice(0, 40), ...r});
  }
  return out;
}
"""
)

# Visible form controls without an accessible label.
UNLABELLED_JS = """
() => [...document.querySelectorAll("input, textarea, select")]
  .filter((el) => el.type !== "hidden" && el.getClientRects().length)
  .filter((el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return false;
    if (el.getAttribute("aria-labelledby")) return false;
    if (el.closest("label")) return false;
    return !(el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`));
  })
  .map((el) => el.outerHTML)
"""

# The text of a statement: its list item (or paragraph) up to the citation brackets.
STATEMENT_TEXT_JS = """
(button) => {
  const holder = button.closest("li, p");
  let text = "";
  for (const node of holder.childNodes) {
    if (node.nodeType === 1 && node.classList.contains("cite")) break;
    text += node.textContent;
  }
  return text.trim();
}
"""


@dataclass
class Tab:
    """One page in a fresh browser context, with what went wrong on it recorded."""

    page: Page
    base: str
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def go(self, path: str) -> Response:
        response = self.page.goto(self.base + path)
        assert response is not None
        return response

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        print(f"screenshot: {path}")
        return path

    def csp_violations(self) -> list[str]:
        found: list[str] = self.page.evaluate("window.__csp || []")
        return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"CI=true but {CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def screenshots(request: pytest.FixtureRequest) -> Iterator[list[Path]]:
    """Every screenshot the module took, listed once at the end even under output capture."""
    taken: list[Path] = []
    yield taken
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if taken and capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\nbrowser screenshots ({len(taken)}) in {SCREENSHOTS}:")
            for path in taken:
                print(f"  {path}")


def open_tab(
    browser: Browser, server: LiveServer, shots: list[Path], viewport: ViewportSize = DESKTOP
) -> Iterator[Tab]:
    context = browser.new_context(
        viewport=viewport,
        is_mobile=viewport["width"] < 600,
        has_touch=viewport["width"] < 600,
        locale="en-GB",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(RECORD_CSP)
    tab = Tab(page=context.new_page(), base=server.url, shots=shots)

    def on_dialog(dialog: Any) -> None:
        tab.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.page.on("dialog", on_dialog)
    tab.page.on("pageerror", lambda exc: tab.page_errors.append(str(exc)))
    yield tab
    try:
        violations = tab.csp_violations() if not tab.page.is_closed() else []
    finally:
        context.close()
    assert tab.dialogs == [], "a script ran and opened a dialog"
    assert tab.page_errors == [], "uncaught errors in page scripts"
    assert violations == [], "content-security-policy violations (something was injected?)"


@pytest.fixture
def tab(browser: Browser, live_server: LiveServer, screenshots: list[Path]) -> Iterator[Tab]:
    yield from open_tab(browser, live_server, screenshots)


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer, screenshots: list[Path]) -> Iterator[Tab]:
    yield from open_tab(browser, live_server, screenshots, PHONE)


# --- helpers -------------------------------------------------------------------------------


def ask(tab: Tab, question: str, audience: str = "Patient or caregiver") -> None:
    """Type a question on the ask page, pick the audience and submit with Enter."""
    page = tab.page
    if not page.url.startswith(tab.base) or page.locator("#q").count() == 0:
        tab.go("/")
    page.get_by_label(audience, exact=True).check()
    box = page.get_by_label("Ask a health question")
    box.fill(question)
    with page.expect_navigation():
        box.press("Enter")
    expect(page.locator("article.answer h1")).to_have_text(question)


def sign_in(tab: Tab, name: str) -> None:
    page = tab.page
    tab.go("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("header .who")).to_contain_text(f"Synthetic {name.title()}")


def sign_out(tab: Tab) -> None:
    page = tab.page
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.locator("header .who")).to_have_count(0)


def badge(tab: Tab) -> str:
    return tab.page.locator("article .badges .badge[data-status]").inner_text().strip()


def act(tab: Tab, label: str, expected_badge: str) -> None:
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name=label, exact=True).click()
    expect(tab.page.locator("article .badges .badge[data-status]")).to_have_text(expected_badge)


def api_article(server: LiveServer, team: Team, *, approve: bool) -> str:
    """An article made through the API (faster than the pages, for tests not about the workflow)."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post(
            "/api/ask", json={"question": CAUSE_QUESTION}, headers=team.auth("editor")
        ).json()
        made = http.post(
            "/api/articles", json={"answer_id": answer["id"]}, headers=team.auth("editor")
        )
        assert made.status_code == 201, made.text
        article_id: str = made.json()["id"]
        if approve:
            steps = [("editor", "submit"), ("reviewer", "start_review"), ("reviewer", "approve")]
            for who, action in steps:
                moved = http.post(f"/api/articles/{article_id}/{action}", headers=team.auth(who))
                assert moved.status_code == 200, moved.text
    return article_id


def no_horizontal_overflow(tab: Tab) -> None:
    """Nothing is wider than the screen. (A mobile browser widens its layout viewport to fit
    content that overflows, so ``innerWidth`` alone would hide the overflow.)"""
    viewport = tab.page.viewport_size
    assert viewport is not None
    scroll, inner = tab.page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert inner == viewport["width"], f"the page was zoomed out to fit at {tab.page.url}"
    assert scroll <= inner + 1, f"page scrolls sideways at {tab.page.url}: {scroll} > {inner}"


def check_labels_and_headings(tab: Tab) -> None:
    page = tab.page
    assert page.evaluate(UNLABELLED_JS) == [], f"form controls without a label on {page.url}"
    assert page.locator("h1").count() == 1, f"want exactly one h1 on {page.url}"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.title().strip() not in ("", "· medcite")


def check_contrast(tab: Tab, must_cover: list[str]) -> None:
    """Every visible text has contrast >= 4.5; ``must_cover`` selectors each matched some text."""
    results = tab.page.evaluate(ALL_TEXT_CONTRAST_JS)
    low = [r for r in results if r["ratio"] < 4.5]
    assert low == [], f"text below 4.5:1 contrast on {tab.page.url}"
    for selector in must_cover:
        el = tab.page.locator(selector).first
        expect(el).to_be_visible()
        ratio = el.evaluate(CONTRAST_JS)["ratio"]
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f} on {tab.page.url}"


# --- the reader's path -------------------------------------------------------------------------


def test_ask_with_keyboard_shows_a_cited_answer(tab: Tab) -> None:
    page = tab.page
    tab.go("/")
    ask(tab, CAUSE_QUESTION, "Patient or caregiver")

    article = page.locator("article.answer")
    assert article.get_attribute("data-audience") == "patient"
    expect(page.get_by_role("heading", name="Bottom line")).to_be_visible()
    expect(page.locator(".urgent[role=alert]")).to_contain_text("Get urgent care")
    bottom = page.locator("section.bottom-line ul.statements > li")
    expect(bottom.first).to_be_visible()
    # Numbered citations that point at entries of the references list.
    cites = page.locator("ul.statements .cite a[href^='#ref-']")
    assert cites.count() >= 3
    refs = page.locator("ol.refs > li")
    assert refs.count() >= 2
    for href in set(cites.evaluate_all("els => els.map((a) => a.getAttribute('href'))")):
        expect(page.locator(href)).to_have_count(1)
    expect(refs.first.locator("cite")).to_have_text(re.compile(r"\S"))
    expect(page.locator(".disclaimer")).to_be_visible()
    # The question stays in the box, the chosen audience stays checked.
    expect(page.get_by_label("Ask a health question")).to_have_value(CAUSE_QUESTION)
    expect(page.get_by_label("Patient or caregiver", exact=True)).to_be_checked()
    tab.shot("01-ask-patient")


def test_switch_to_the_clinician_version(tab: Tab) -> None:
    page = tab.page
    ask(tab, CAUSE_QUESTION)
    patient_labels = page.locator("ol.refs .label").all_inner_texts()
    assert not any("Level" in label for label in patient_labels)

    with page.expect_navigation():
        page.get_by_role("link", name="Show the clinician version").click()
    article = page.locator("article.answer")
    expect(article).to_have_attribute("data-audience", "clinician")
    expect(article.locator(".audience-switch strong")).to_have_text("Clinician")
    expect(page.get_by_role("link", name="Show the patient or caregiver version")).to_be_visible()
    expect(page.get_by_label("Clinician", exact=True)).to_be_checked()
    labels = page.locator("ol.refs .label").all_inner_texts()
    assert labels and all(re.search(r"Level \d", label) for label in labels), labels
    tab.shot("02-ask-clinician")


def test_open_a_citation(tab: Tab) -> None:
    page = tab.page
    ask(tab, CAUSE_QUESTION)

    # The "Source" button reveals the quoted passage, with the quote marked.
    button = page.locator("section.bottom-line button.show-source").first
    passage = page.locator("#" + (button.get_attribute("aria-controls") or "missing"))
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(passage).to_be_hidden()
    button.click()
    expect(passage).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    assert passage.locator("mark").inner_text().strip() == button.evaluate(STATEMENT_TEXT_JS)
    tab.shot("03-citation-source-open")
    button.click()
    expect(passage).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

    # Every statement's passage marks exactly the statement's text.
    for each in page.locator("ul.statements button.show-source").all():
        box = page.locator("#" + (each.get_attribute("aria-controls") or "missing"))
        marked = box.locator("mark").evaluate("m => m.textContent").strip()
        assert marked == each.evaluate(STATEMENT_TEXT_JS)

    # A citation number jumps to its reference.
    link = page.locator("section[data-section] ul.statements .cite a[href^='#ref-']").first
    href = link.get_attribute("href") or ""
    link.click()
    page.wait_for_function("h => location.hash === h", arg=href)
    assert page.evaluate("location.hash") == href
    target = page.locator(f"ol.refs > li{href}")
    assert target.evaluate("li => li.matches(':target')")
    expect(target).to_be_in_viewport()
    tab.shot("03-citation-reference-target")

    # Hovering a citation number reveals its statement's source too.
    item = page.locator("section[data-section] ul.statements > li").nth(1)
    hover_button = item.locator("button.show-source")
    hover_passage = page.locator("#" + (hover_button.get_attribute("aria-controls") or "x"))
    expect(hover_passage).to_be_hidden()
    item.locator(".cite a").first.hover()
    expect(hover_passage).to_be_visible()
    expect(hover_button).to_have_attribute("aria-expanded", "true")
    # Escape closes what is open.
    page.keyboard.press("Escape")
    expect(hover_passage).to_be_hidden()


# --- the editor's and reviewer's path ----------------------------------------------------------


def test_review_workflow_changes_the_badge(tab: Tab) -> None:
    page = tab.page
    sign_in(tab, "editor")
    ask(tab, CAUSE_QUESTION)
    with page.expect_navigation():
        page.get_by_role("button", name="Save as article draft").click()
    assert re.search(r"/articles/[^/?#]+$", page.url), page.url
    path = page.url.removeprefix(tab.base)
    article_id = path.rsplit("/", 1)[1]
    expect(page.locator("h1")).to_have_text(re.compile("glimmerpox", re.I))
    assert badge(tab) == "Draft"
    expect(page.locator(".caution")).to_be_visible()
    expect(page.locator(".caution")).to_contain_text("Not yet approved")
    # An editor cannot approve their own draft: only "Submit for review" is offered.
    expect(page.locator(".review-form button")).to_have_text(["Submit for review"])
    tab.shot("04-article-draft")

    act(tab, "Submit for review", "Submitted")
    expect(page.locator(".caution")).to_be_visible()
    tab.shot("04-article-submitted")
    sign_out(tab)

    sign_in(tab, "reviewer")
    page.get_by_role("link", name="Review queue").click()
    expect(page.locator("h1")).to_have_text("Review queue")
    queued = page.locator(f"[data-queue=submitted] a[href='/articles/{article_id}']")
    expect(queued).to_be_visible()
    tab.shot("04-review-queue")
    with page.expect_navigation():
        queued.click()
    assert page.url == tab.base + path

    act(tab, "Start review", "Under review")
    tab.shot("04-article-under-review")

    page.locator(".review-form details summary").click()
    section = page.locator("article section[data-section]").first
    key = section.get_attribute("data-section")
    section_title = section.locator("h2").inner_text()
    page.get_by_role("textbox", name=section_title, exact=True).fill(
        "Synthetic section note: reads well."
    )
    page.get_by_role("textbox", name="Comment", exact=True).fill("Synthetic approval comment.")
    act(tab, "Approve", "Approved")
    expect(page.locator(".caution")).to_have_count(0)
    reviewed = page.locator("dl.facts dt:text-is('Last reviewed') + dd")
    expect(reviewed).to_contain_text("by Synthetic Reviewer")
    expect(page.locator(f"section[data-section='{key}'] .review-comment")).to_contain_text(
        "Synthetic section note"
    )
    actions = page.locator("table.audit tbody tr td:nth-child(3)").all_inner_texts()
    assert sorted(actions) == ["approve", "create", "start_review", "submit"], actions
    expect(page.locator("table.audit")).to_contain_text("Synthetic approval comment.")
    tab.shot("04-article-approved")
    sign_out(tab)

    # Anyone now finds the approved article in the library and reads it.
    tab.go("/articles")
    listed = page.locator(f"ul.articles a[href='/articles/{article_id}']")
    expect(listed).to_be_visible()
    expect(page.locator("ul.articles .badge")).to_have_count(0)  # statuses are for staff
    tab.shot("04-library-anonymous")
    with page.expect_navigation():
        listed.click()
    assert badge(tab) == "Approved"
    expect(page.locator(".caution")).to_have_count(0)
    expect(page.locator("section.staff")).to_have_count(0)
    expect(page.get_by_role("heading", name="Bottom line")).to_be_visible()
    tab.shot("04-article-approved-anonymous")


def test_anonymous_cannot_see_a_draft(tab: Tab, live_server: LiveServer, team: Team) -> None:
    draft = api_article(live_server, team, approve=False)
    response = tab.go(f"/articles/{draft}")
    assert response.status == 404
    expect(tab.page.locator("h1")).to_have_text("Not found")
    expect(tab.page.locator("article")).to_have_count(0)
    check_labels_and_headings(tab)
    tab.shot("05-draft-not-found")
    tab.go("/articles")
    expect(tab.page.locator(f"a[href='/articles/{draft}']")).to_have_count(0)
    # A reader who signed in cannot see it either.
    sign_in(tab, "reader")
    assert tab.go(f"/articles/{draft}").status == 404


# --- phones and accessibility -------------------------------------------------------------------


def test_phone_width_has_no_sideways_scroll(
    phone: Tab, live_server: LiveServer, team: Team
) -> None:
    page = phone.page
    phone.go("/")
    no_horizontal_overflow(phone)
    ask(phone, CAUSE_QUESTION)
    no_horizontal_overflow(phone)
    phone.page.locator("ul.statements button.show-source").first.click()
    no_horizontal_overflow(phone)
    phone.shot("06-phone-ask")

    approved = api_article(live_server, team, approve=True)
    phone.go(f"/articles/{approved}")
    assert badge(phone) == "Approved"
    no_horizontal_overflow(phone)
    phone.shot("06-phone-article")
    phone.go("/articles")
    no_horizontal_overflow(phone)

    # Staff see the review panel and audit table, which must fit too.
    sign_in(phone, "reviewer")
    phone.go(f"/articles/{approved}")
    expect(page.locator("table.audit")).to_be_visible()
    no_horizontal_overflow(phone)
    phone.shot("06-phone-article-staff")


def test_labels_headings_and_language(tab: Tab, live_server: LiveServer, team: Team) -> None:
    approved = api_article(live_server, team, approve=True)
    draft = api_article(live_server, team, approve=False)
    for path in ("/", "/login", "/articles", f"/articles/{approved}", "/no-such-page"):
        tab.go(path)
        check_labels_and_headings(tab)
    ask(tab, CAUSE_QUESTION)
    check_labels_and_headings(tab)

    sign_in(tab, "editor")
    tab.go(f"/articles/{draft}")
    for details in tab.page.locator("details").all():
        details.locator("summary").click()
    check_labels_and_headings(tab)
    sign_out(tab)
    sign_in(tab, "reviewer")
    tab.go("/review")
    check_labels_and_headings(tab)
    api_submit = httpx.post(
        f"{live_server.url}/api/articles/{draft}/submit", headers=team.auth("editor"), timeout=30
    )
    assert api_submit.status_code == 200
    tab.go(f"/articles/{draft}")
    for details in tab.page.locator("details").all():
        details.locator("summary").click()
    check_labels_and_headings(tab)


def test_keyboard_reaches_skip_link_then_question(tab: Tab) -> None:
    page = tab.page
    tab.go("/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    expect(focused).to_be_in_viewport()  # it is moved on screen when focused
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")
    page.keyboard.press("Tab")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(CAUSE_QUESTION)

    # Focus is visible on the button the keyboard reaches next.
    page.keyboard.press("Tab")
    ask_button = page.locator("form.ask button[type=submit]")
    expect(ask_button).to_be_focused()
    outline = ask_button.evaluate(
        "b => { const s = getComputedStyle(b);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline
    tab.shot("07-keyboard-focus")

    # The audience radios work with arrow keys, and Enter on the button asks.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Patient or caregiver", exact=True)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Clinician", exact=True)).to_be_checked()
    page.keyboard.press("Shift+Tab")
    expect(ask_button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("article.answer")).to_have_attribute("data-audience", "clinician")

    # A "Source" button opens with the keyboard as well.
    source = page.locator("button.show-source").first
    source.focus()
    page.keyboard.press("Enter")
    expect(source).to_have_attribute("aria-expanded", "true")


def test_text_contrast(tab: Tab, live_server: LiveServer, team: Team) -> None:
    page = tab.page
    ask(tab, CAUSE_QUESTION)
    page.locator("ul.statements button.show-source").first.click()
    check_contrast(
        tab,
        [
            "article .bottom-line li",
            ".muted",
            "ol.refs .label",
            "ol.refs a",
            "header.site a",
            ".urgent h2",
            ".urgent li strong",
            "blockquote.source mark",
            "form.ask button",
            "footer.site p",
        ],
    )

    draft = api_article(live_server, team, approve=False)
    sign_in(tab, "editor")
    tab.go(f"/articles/{draft}")
    # Badges of every state, drawn with the page's own stylesheet.
    page.evaluate(
        """() => {
          const p = document.createElement("p");
          p.id = "badge-sampler";
          for (const s of ["draft", "submitted", "under_review", "changes_requested", "approved"]) {
            const b = document.createElement("span");
            b.className = "badge status-" + s;
            b.textContent = s;
            p.append(b);
          }
          const stale = document.createElement("span");
          stale.className = "badge stale";
          stale.textContent = "Due for review";
          const flag = document.createElement("span");
          flag.className = "flag";
          flag.textContent = "no citation";
          const note = document.createElement("p");
          note.className = "review-comment";
          note.textContent = "Reviewer note";
          p.append(stale, flag, note);
          document.querySelector("main").prepend(p);
        }"""
    )
    check_contrast(
        tab, [".badges .badge", ".caution", "dl.facts dt", ".role", "#badge-sampler .badge"]
    )
    for sample in page.locator("#badge-sampler > *").all():
        ratio = sample.evaluate(CONTRAST_JS)["ratio"]
        assert ratio >= 4.5, f"{sample.get_attribute('class')}: {ratio:.2f}"
    tab.shot("07-contrast-article")


# --- injection ---------------------------------------------------------------------------------


def assert_nothing_injected(tab: Tab) -> None:
    page = tab.page
    scripts = page.evaluate("[...document.scripts].map((s) => s.getAttribute('src') || 'inline')")
    assert scripts == ["/static/medcite.js"], scripts
    assert page.locator("main img, main [onerror], main iframe, main object").count() == 0
    bad_links = page.evaluate(
        "[...document.querySelectorAll('a[href]')]"
        ".map((a) => a.getAttribute('href'))"
        ".filter((h) => /^\\s*(javascript|data|vbscript):/i.test(h))"
    )
    assert bad_links == []


def test_injected_source_text_and_url_stay_inert(tab: Tab) -> None:
    page = tab.page
    for audience in ("Patient or caregiver", "Clinician"):
        ask(tab, XSS_QUESTION, audience)
        summary = page.locator("section.bottom-line")
        expect(summary).to_contain_text("<script>alert('synthetic-xss')</script>")
        refs = page.locator("ol.refs")
        expect(refs).to_contain_text("javascript:alert('synthetic-url')")  # shown, not linked
        expect(refs.locator("a")).to_have_count(0)
        page.locator("button.show-source").first.click()
        expect(page.locator("blockquote.source mark").first).to_contain_text("<script>")
        assert_nothing_injected(tab)
    tab.shot("08-injection-source")

    # Its other passage holds an <img src=x onerror=...>.
    ask(tab, "What causes zappleflu?", "Clinician")
    assert_nothing_injected(tab)

    # The reader's own question is echoed as text, in the title, heading, box and links.
    question = "What causes glimmerpox? <img src=x onerror=alert(1)>"
    ask(tab, question)
    expect(page.get_by_label("Ask a health question")).to_have_value(question)
    assert question in page.title()
    assert_nothing_injected(tab)
    page.wait_for_timeout(200)  # give any injected handler a moment to fire
    tab.shot("08-injection-question")
