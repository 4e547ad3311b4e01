// evalcore HTML report: draws itself from the JSON in #data. Text is only ever set with textContent.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var PAGE = 200;
  var limit = PAGE;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function fmt(v, digits) { return v === null || v === undefined ? "–" : Number(v).toFixed(digits === undefined ? 3 : digits); }
  function pct(v) { return v === null || v === undefined ? "–" : (100 * v).toFixed(1) + "%"; }
  function clip(v) { return Math.max(0, Math.min(1, v)); }

  // ---- the verdict ----
  function drawVerdict() {
    var v = data.verdict || { status: "error", exit_code: null, reasons: ["no verdict was recorded"] };
    var head = document.getElementById("verdict");
    head.classList.add(v.status);
    add(head, el("h1", null, "evalcore: " + data.run.suite + " " + v.status + (v.exit_code === null ? "" : " (exit " + v.exit_code + ")")));
    var facts = [data.total, data.sections.length + (data.sections.length === 1 ? " section" : " sections"), "run " + data.run.run_id];
    if (data.duration) facts.push(data.duration);
    if (data.run.git_sha) facts.push("commit " + data.run.git_sha.slice(0, 12));
    facts.push("evalcore " + data.run.tool_version);
    add(head, el("div", "facts", facts.join(" · ")));
    if (v.reasons.length) {
      var ul = el("ul");
      v.reasons.forEach(function (r) { add(ul, el("li", null, r)); });
      add(head, ul);
    }
  }

  // ---- the summary ----
  function checksOf(section, model, metric) {
    return data.checks.filter(function (c) { return c.section === section && c.model === model && c.metric === metric; });
  }
  function markCell(td, checks) {
    checks.forEach(function (c) {
      add(td, el("span", c.passed ? "mark-ok" : "mark-bad", " " + (c.passed ? "✓" : "✗") + " " + (c.bound === "min" ? "≥" : "≤") + " " + c.threshold + (c.on && c.on !== "value" ? " on " + c.on : "")));
    });
  }
  function drawSummary() {
    var root = document.getElementById("summary");
    add(root, el("h2", null, "Summary"));
    data.sections.forEach(function (s) {
      var box = el("div", "section-summary");
      box.dataset.section = s.name;
      add(box, el("h3", null, s.name + " (" + s.kind + ")"));
      if (s.status === "not_run") { add(box, el("p", "reason", "did not run: " + (s.reason || ""))); add(root, box); return; }
      add(box, el("p", "gate", "gated by: " + s.gated_by));
      if (s.status === "partial") add(box, el("p", "reason", "partial: " + (s.reason || "")));
      var columns = s.columns;
      var table = el("table", "models");
      var hr = add(el("tr"), el("th", null, "model"), el("th", null, "pass"), el("th", null, "fail"), el("th", null, "error"));
      columns.forEach(function (c) { add(hr, el("th", null, c.label)); });
      add(hr, el("th", null, "latency p95"), el("th", null, "tokens in/out"), el("th", null, "cost"));
      add(table, add(el("thead"), hr));
      var body = el("tbody");
      s.models.forEach(function (m) {
        var tr = add(el("tr"), el("td", null, m.model === null ? "–" : m.model), el("td", "num", m.counts.pass), el("td", "num", m.counts.fail), el("td", "num", m.counts.error));
        columns.forEach(function (c) {
          var td = el("td", "num", m.values[c.name] === undefined ? "–" : m.values[c.name].shown);
          if (m.values[c.name] && m.values[c.name].ci) {
            var ci = el("span", "ci", " " + m.values[c.name].ci);
            if (m.values[c.name].label) ci.title = m.values[c.name].label;
            add(td, ci);
          }
          markCell(td, checksOf(s.name, m.model, c.name));
          add(tr, td);
        });
        add(tr, el("td", "num", m.p95), el("td", "num", m.tokens), el("td", "num", m.cost));
        add(body, tr);
      });
      add(root, add(box, add(table, body)));
      if (s.intervals && s.intervals.length) {
        add(box, el("p", "intervals", "Intervals over items (each item's repeats averaged first): " +
          s.intervals.map(function (i) { return i.label + ": " + i.of.join(", "); }).join("; ")));
      }
      if (s.confusion) add(box, confusion(s.confusion));
      if (s.agent_tests.length) add(box, agentTests(s.agent_tests));
      s.charts.forEach(function (chart) { add(box, bars(chart)); });
      add(root, box);
    });
  }
  function confusion(matrix) {
    var table = el("table", "confusion");
    var outcomes = ["blocked", "anonymized", "allowed"];
    var hr = add(el("tr"), el("th", null, "expected \\ observed"));
    outcomes.forEach(function (o) { add(hr, el("th", null, o)); });
    add(table, hr);
    outcomes.forEach(function (e) {
      if (!matrix[e]) return;
      var tr = add(el("tr"), el("th", null, e));
      outcomes.forEach(function (o) { add(tr, el("td", "num" + (o === e ? " mark-ok" : ""), matrix[e][o] || 0)); });
      add(table, tr);
    });
    return table;
  }
  function agentTests(tests) {
    var table = el("table", "agent-tests");
    add(table, add(el("tr"), el("th", null, "test"), el("th", null, "runs"), el("th", null, "passed"), el("th", null, "pass rate")));
    tests.forEach(function (t) {
      add(table, add(el("tr"), el("td", null, t.test), el("td", "num", t.runs), el("td", "num", t.passed),
        el("td", "num " + (t.passed === t.runs ? "mark-ok" : "mark-bad"), pct(t.passed / t.runs))));
    });
    return table;
  }
  function bars(chart) {
    var box = el("div");
    add(box, el("div", "muted", chart.title));
    var grid = el("div", "bars");
    chart.rows.forEach(function (r) {
      var track = el("div", "bar-track");
      var bar = el("div", "bar");
      bar.style.width = (100 * clip(r.value)).toFixed(1) + "%";
      add(grid, el("span", null, r.label), add(track, bar), el("span", "num", fmt(r.value)));
    });
    return add(box, grid);
  }

  // ---- the cases ----
  var items = [];
  function group() {
    var byKey = {};
    data.cases.forEach(function (c) {
      var key = c.section + "\u0000" + c.item_key + "\u0000" + c.repeat;
      if (!byKey[key]) { byKey[key] = { key: key, first: c, cases: [] }; items.push(byKey[key]); }
      byKey[key].cases.push(c);
    });
  }
  function field(label, text) {
    if (!text) return null;
    return add(el("div", "field"), el("h4", null, label), el("pre", null, text));
  }
  function scores(c) {
    if (!c.metrics.length) return null;
    var table = el("table", "scores");
    add(table, add(el("tr"), el("th", null, "metric"), el("th", null, "score"), el("th", null, "judge / check")));
    c.metrics.forEach(function (m) {
      var mark = m.passed === true ? "mark-ok" : m.passed === false ? "mark-bad" : "";
      add(table, add(el("tr"), el("td", null, m.name), el("td", "num " + mark, fmt(m.value) + (m.passed === false ? " ✗" : m.passed ? " ✓" : "")),
        el("td", "explanation", m.error ? "could not be computed: " + m.error : (m.explanation || ""))));
    });
    return table;
  }
  function conversation(agent) {
    var box = el("div", "conversation");
    agent.turns.forEach(function (t, i) {
      var turn = el("div", "turn");
      add(turn, el("div", "who", "turn " + (i + 1) + " · user"), el("pre", null, t.user));
      if (t.agent !== null && t.agent !== undefined) add(turn, el("div", "who", "agent" + (t.latency_ms ? " · " + Math.round(t.latency_ms) + " ms" : "")), el("pre", null, t.agent));
      t.tool_calls.forEach(function (call) { add(turn, el("div", "tool", "tool " + call)); });
      t.citations.forEach(function (cite) { add(turn, el("div", "cite", "cited " + cite)); });
      if (t.guardrail_action) add(turn, el("div", "muted", "guardrail: " + t.guardrail_action));
      add(box, turn);
    });
    if (agent.reasoning) add(box, el("div", "who", "evaluator" + (agent.evaluator_model ? " · " + agent.evaluator_model : "")), el("pre", null, agent.reasoning));
    return box;
  }
  function guardrail(g) {
    var box = el("div", "guardrail");
    add(box, el("div", null, "expected " + g.expected + ", observed " + g.observed + (g.expected_policy ? " (policy " + g.expected_policy + ")" : "") + (g.mutation ? " · mutation " + g.mutation : "")));
    if (g.hits.length) {
      var table = el("table", "hits");
      add(table, add(el("tr"), el("th", null, "policy"), el("th", null, "action"), el("th", null, "confidence"), el("th", null, "match")));
      g.hits.forEach(function (h) { add(table, add(el("tr"), el("td", null, h.policy), el("td", null, h.action), el("td", null, h.confidence || ""), el("td", null, h.match || ""))); });
      add(box, table);
    }
    return box;
  }
  function answer(c) {
    var box = el("div", "answer");
    box.dataset.model = c.model === null ? "" : c.model;
    box.dataset.status = c.status;
    add(box, add(el("h4"), el("span", "badge " + c.status, c.status), el("span", null, c.model === null ? c.section : c.model),
      el("span", "muted", [c.latency_ms === null ? "" : Math.round(c.latency_ms) + " ms", c.tokens].filter(Boolean).join(" · "))));
    if (c.why) add(box, el("div", "reason", c.why));
    if (c.output) add(box, el("pre", "output", c.output));
    add(box, scores(c));
    if (c.guardrail) add(box, guardrail(c.guardrail));
    if (c.agent) add(box, conversation(c.agent));
    return box;
  }
  function card(item) {
    var c = item.first;
    var box = el("article", "item");
    box.dataset.section = c.section;
    var head = add(el("header"), el("span", "item-title", c.title), el("span", "muted", c.section + (c.source ? " · " + c.source : "")));
    add(box, head);
    var fields = add(el("div", "fields"), field("prompt", c.prompt), field("system", c.system), field("reference", c.reference));
    if (fields.childNodes.length) add(box, fields);
    var answers = el("div", "answers");
    item.cases.forEach(function (x) { add(answers, answer(x)); });
    return add(box, answers);
  }

  // ---- filters ----
  var controls = {
    section: document.getElementById("filter-section"), model: document.getElementById("filter-model"),
    status: document.getElementById("filter-status"), q: document.getElementById("filter-text")
  };
  function options(select, values) {
    values.forEach(function (v) { var o = el("option", null, v); o.value = v; add(select, o); });
  }
  function state() {
    return { section: controls.section.value, model: controls.model.value, status: controls.status.value, q: controls.q.value.trim().toLowerCase() };
  }
  function matches(c, s) {
    if (s.section && c.section !== s.section) return false;
    if (s.model && c.model !== s.model) return false;
    if (s.status && c.status !== s.status) return false;
    if (s.q && c.search.indexOf(s.q) < 0) return false;
    return true;
  }
  function render() {
    var s = state();
    var root = document.getElementById("cases");
    root.textContent = "";
    var shown = 0, total = 0;
    items.forEach(function (item) {
      var hit = item.cases.filter(function (c) { return matches(c, s); });
      if (!hit.length) return;
      total++;
      if (shown >= limit) return;
      var node = card({ first: item.first, cases: s.model ? hit : item.cases });
      add(root, node);
      shown++;
    });
    document.getElementById("shown").textContent = "showing " + shown + " of " + total + " items" + (total < items.length ? " (" + items.length + " without filters)" : "") +
      (data.omitted ? "; " + data.omitted.toLocaleString("en") + " more cases are not in this page (it holds the failed and errored ones first): all are in results.jsonl and junit.xml" : "");
    document.getElementById("cases").dataset.shown = String(shown);
    document.getElementById("cases").dataset.matching = String(total);
    document.getElementById("more").hidden = shown >= total;
    document.querySelectorAll(".section-summary").forEach(function (n) { n.hidden = !!s.section && n.dataset.section !== s.section; });
    var hash = ["section", "model", "status", "q"].filter(function (k) { return controls[k].value; })
      .map(function (k) { return k + "=" + encodeURIComponent(controls[k].value); }).join("&");
    try { history.replaceState(null, "", hash ? "#" + hash : location.pathname); } catch (e) { /* file:// in some browsers */ }
  }
  function fromHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var kv = pair.split("=");
      if (kv.length === 2 && controls[kv[0]]) {
        try { controls[kv[0]].value = decodeURIComponent(kv[1]); } catch (e) { /* ignore a broken link */ }
      }
    });
  }

  drawVerdict();
  drawSummary();
  group();
  options(controls.section, data.sections.map(function (s) { return s.name; }));
  options(controls.model, data.models);
  fromHash();
  Object.keys(controls).forEach(function (k) {
    controls[k].addEventListener(k === "q" ? "input" : "change", function () { limit = PAGE; render(); });
  });
  document.getElementById("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("more").addEventListener("click", function () { limit += PAGE; render(); });
  render();
  document.body.dataset.ready = "true";
})();
