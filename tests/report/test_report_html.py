"""The HTML report: one self-contained file, foreign text inert, and, in a real headless chromium, that it draws,
that the filters work and that nothing is loaded from the network."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalcore.domain.results import CaseResult, RunResult
from evalcore.report.html import embedded_json, report_html, write_html
from tests.report.report_browser import Browser, chromium_path, dump_dom
from tests.report.report_fixtures import HOSTILE, HOSTILE_MODEL, build_cases, build_run


def _script_bodies(page: str) -> list[tuple[str, str]]:
    return re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)


def _data(page: str) -> dict:
    [(_, body)] = [(a, b) for a, b in _script_bodies(page) if 'type="application/json"' in a]
    return json.loads(body)


# ---- the file ----


def test_the_page_is_one_file_that_refers_to_nothing_outside(run: RunResult, cases: list[CaseResult]) -> None:
    page = report_html(run, cases)
    shell = re.sub(r'(<script id="data" type="application/json">).*?(</script>)', r"\1\2", page, flags=re.S)
    assert not re.search(r"\b(src|href|action|srcset)\s*=", shell, flags=re.I)
    assert "<link" not in shell and "@import" not in shell and "url(" not in shell
    assert not re.search(r"https?://", shell)


def test_a_strict_csp_allows_only_the_page_own_script_and_style(run: RunResult, cases: list[CaseResult]) -> None:
    page = report_html(run, cases)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    policy = csp.group(1)
    assert policy.startswith("default-src 'none';")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    [(_, code)] = [(a, b) for a, b in _script_bodies(page) if "type=" not in a]
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S)
    assert style is not None
    for body in (code, style.group(1)):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_foreign_text_cannot_end_the_data_element_or_add_markup(run: RunResult, cases: list[CaseResult]) -> None:
    page = report_html(run, cases)
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert "<b>" not in page and "<!--" not in page
    data = _data(page)
    first = next(c for c in data["cases"] if c["title"].startswith("Question 0"))
    assert first["prompt"].startswith("Question 0: <script>alert(1)</script> @org/team #123 | pipes |")
    assert "\x1b" not in json.dumps(data) and "\\u0000" not in json.dumps(data)
    assert HOSTILE_MODEL in data["models"]


def test_embedded_json_escapes_every_angle_bracket_and_ampersand() -> None:
    text = embedded_json({"x": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"x": "</script><!-- & -->"}


def test_a_huge_answer_is_cut_with_a_pointer_to_the_results(run: RunResult, cases: list[CaseResult]) -> None:
    cases[0].output = "y" * 150_000
    data = _data(report_html(run, cases))
    output = next(c["output"] for c in data["cases"] if c["title"] == data["cases"][0]["title"])
    assert output.endswith("(50,000 more characters in results.jsonl)")


# ---- in a real browser ----


@pytest.fixture(scope="module")
def honeypot() -> Iterator[tuple[str, list[str]]]:
    """A server on loopback that records every request: the page must never reach it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, honeypot: tuple[str, list[str]]) -> Path:
    base, _ = honeypot
    bait = (
        f'<img src="{base}/img"><script src="{base}/js"></script><link rel="stylesheet" href="{base}/css">'
        f"<iframe src='{base}/frame'></iframe><style>@import url({base}/import);</style>"
    )
    cases = build_cases()
    cases[0].output = f"{cases[0].output} {bait}"
    cases[1].metrics[0].explanation = bait
    path = tmp_path_factory.mktemp("html") / "report.html"
    return write_html(path, build_run(cases), cases)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if chromium_path() is None:
        pytest.fail(
            "chromium is not installed: apt-get install -y chromium (the HTML report must be checked in a browser)"
        )
    with Browser() as b:
        yield b


def _items_in(cases: list[CaseResult]) -> int:
    return len({(c.section, c.item_key, c.repeat) for c in cases})


def test_chromium_is_installed() -> None:
    assert chromium_path() is not None, "chromium is not installed: apt-get install -y chromium"


def test_the_report_draws_every_item_and_the_verdict(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    assert browser.js("document.body.dataset.ready") == "true"
    expected = _items_in(build_cases())
    assert browser.js("document.querySelectorAll('#cases article.item').length") == expected
    assert browser.js("document.querySelector('#verdict h1').textContent") == "evalcore: demo error (exit 3)"
    assert browser.js("document.querySelectorAll('#verdict li').length") == 6
    assert browser.js("document.querySelectorAll('.section-summary').length") == 4
    assert browser.js("document.querySelector('#shown').textContent") == f"showing {expected} of {expected} items"
    assert browser.console_errors() == []


def test_each_section_says_which_rule_gated_it(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    shown = browser.js(
        "Array.from(document.querySelectorAll('.section-summary')).map(s => "
        "s.dataset.section + ': ' + (s.querySelector('.gate') || {textContent: '-'}).textContent)"
    )
    assert shown == [
        "qa: gated by: 1 threshold and no errors (error_rate <= 0, the default)",
        "safety: gated by: 1 threshold",
        "support: gated by: every case must pass (no thresholds)",
        "jobs: -",
    ]


def test_foreign_text_shows_as_text_and_adds_no_elements(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    text = browser.js("document.body.innerText")
    assert "<script>alert(1)</script> @org/team #123 | pipes |" in text
    assert HOSTILE_MODEL in text
    for tag in ("img", "iframe", "link", "b"):
        assert browser.js(f"document.querySelectorAll('{tag}').length") == 0, tag
    assert browser.js("document.querySelectorAll('script').length") == 2
    assert browser.js("document.querySelectorAll('style').length") == 1


def test_nothing_is_loaded_from_the_network(browser: Browser, page: Path, honeypot: tuple[str, list[str]]) -> None:
    _, hits = honeypot
    browser.open(page.as_uri())
    browser.js(
        "document.getElementById('filter-status').value = 'fail';"
        "document.getElementById('filter-status').dispatchEvent(new Event('change'))"
    )
    assert set(browser.all_requests()) == {page.as_uri()}
    assert hits == []


def test_the_policy_blocks_anything_that_tries_to_reach_out(
    browser: Browser, page: Path, honeypot: tuple[str, list[str]]
) -> None:
    base, hits = honeypot
    browser.open(page.as_uri())
    attempt = f"fetch({json.dumps(base + '/fetch')}).then(() => 'loaded', () => 'blocked')"
    assert browser.js(attempt, await_promise=True) == "blocked"
    browser.js(f"new Image().src = {json.dumps(base + '/image')}; 0")
    assert browser.js("new Promise(r => setTimeout(() => r(1), 300))", await_promise=True) == 1
    assert hits == []
    assert any("Content Security Policy" in e for e in browser.console_errors())


def _choose(browser: Browser, control: str, value: str) -> None:
    event = "input" if control == "filter-text" else "change"
    browser.js(
        f"var c = document.getElementById({json.dumps(control)}); c.value = {json.dumps(value)};"
        f"c.dispatchEvent(new Event({json.dumps(event)}))"
    )


def _shown(browser: Browser) -> int:
    return int(browser.js("document.getElementById('cases').dataset.shown"))


def test_the_status_filter_shows_only_items_with_that_status(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    _choose(browser, "filter-status", "error")
    assert _shown(browser) == 1
    assert browser.js("document.querySelector('#cases .badge.error') !== null")
    assert browser.js("location.hash") == "#status=error"
    _choose(browser, "filter-status", "fail")
    failing = {(c.section, c.item_key, c.repeat) for c in build_cases() if c.status == "fail"}
    assert _shown(browser) == len(failing)


def test_the_model_filter_shows_only_that_model(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    _choose(browser, "filter-model", "haiku")
    models = browser.js("[...document.querySelectorAll('#cases .answer')].map(a => a.dataset.model)")
    assert set(models) == {"haiku"}
    assert _shown(browser) == _items_in([c for c in build_cases() if c.model == "haiku"])


def test_the_section_filter_hides_other_sections_and_their_summaries(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    _choose(browser, "filter-section", "safety")
    sections = browser.js("[...document.querySelectorAll('#cases article.item')].map(a => a.dataset.section)")
    assert set(sections) == {"safety"}
    visible = browser.js("[...document.querySelectorAll('.section-summary')].filter(s => !s.hidden).length")
    assert visible == 1


def test_the_text_filter_searches_prompts_answers_and_conversations(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    _choose(browser, "filter-text", "ADJUSTER will call")
    assert _shown(browser) == _items_in([c for c in build_cases() if c.section == "support"])


def test_filters_combine_and_survive_a_reload_through_the_address(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri() + "#section=qa&model=haiku&status=fail")
    assert browser.js("document.getElementById('filter-model').value") == "haiku"
    expected = _items_in([c for c in build_cases() if c.section == "qa" and c.model == "haiku" and c.status == "fail"])
    assert _shown(browser) == expected


def test_agent_conversations_and_guardrail_hits_are_shown(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    assert browser.js("document.querySelectorAll('.conversation .turn').length") == 2 * 4
    tools = browser.js("[...document.querySelectorAll('.tool')].map(t => t.textContent)")
    assert "tool claims.open_claim(type=car)" in tools
    assert browser.js("document.querySelectorAll('.cite').length") == 4
    rows = browser.js("[...document.querySelectorAll('table.agent-tests tr')].map(r => r.innerText.split('\\t'))")
    assert rows[1:] == [["check_status", "1", "1", "100.0%"], ["file_claim", "3", "2", "66.7%"]]
    hits = browser.js("[...document.querySelectorAll('table.hits td:first-child')].map(td => td.textContent)")
    assert hits == ["content.VIOLENCE"] * 3  # the three probes the guardrail blocked
    assert "expected blocked, observed allowed" in browser.js("document.body.innerText")


def test_a_screenshot_shows_a_drawn_page(browser: Browser, page: Path, tmp_path: Path) -> None:
    browser.open(page.as_uri())
    shot = browser.screenshot(tmp_path / "report.png")
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 50_000  # a blank page is a few kilobytes


def test_dump_dom_from_the_command_line_shows_the_drawn_cases(page: Path) -> None:
    if chromium_path() is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    dom = dump_dom(page.as_uri())
    assert dom.count('<article class="item"') == _items_in(build_cases())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert HOSTILE not in dom


def test_a_threshold_on_any_aggregate_gets_a_column(cases: list[CaseResult]) -> None:
    run = build_run(cases)
    assert run.verdict is not None
    check = run.verdict.checks[0].model_copy(update={"metric": "latency_ms.p95", "threshold": 50.0, "passed": False})
    run.verdict.checks.append(check)
    [qa] = [s for s in _data(report_html(run, cases))["sections"] if s["name"] == "qa"]
    assert "latency_ms.p95" in [c["name"] for c in qa["columns"]]
    assert qa["models"][0]["values"]["latency_ms.p95"]["shown"] == "105 ms"


def test_a_page_that_leaves_cases_out_says_how_many_and_where_they_are(browser: Browser, tmp_path: Path) -> None:
    cases = [c for c in build_cases(hostile=False, n=40) if c.section == "qa"]
    path = tmp_path / "report.html"
    path.write_text(report_html(build_run(cases), cases, limit=10), encoding="utf-8")
    browser.open(path.as_uri())
    assert browser.js("document.body.dataset.ready") == "true"
    shown = browser.js("document.querySelector('#shown').textContent")
    assert shown.startswith("showing 5 of 5 items; 70 more cases are not in this page")
    assert shown.endswith("all are in results.jsonl and junit.xml")
    assert browser.console_errors() == []


def test_every_interval_in_the_drawn_summary_is_labelled(browser: Browser, page: Path) -> None:
    browser.open(page.as_uri())
    notes = browser.js("Array.from(document.querySelectorAll('.section-summary .intervals')).map(p => p.textContent)")
    assert any("95% wilson, n=6 items: pass rate" in n for n in notes), notes
    titles = browser.js("Array.from(document.querySelectorAll('.section-summary .ci')).map(s => s.title)")
    assert titles and all(t.startswith("95% ") and " items" in t for t in titles), titles
