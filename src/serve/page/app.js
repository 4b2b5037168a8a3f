// The what-if page of `bangfu serve`: controls for the committee's settings on the left, what
// the settings change on the right. Settings travel in the query string exactly as the command
// line's flags (`scenario=`, `set=PATH=VALUE`, `gate=ID=off`), in the page's own address and in
// every API call.
"use strict";

const $ = (id) => document.getElementById(id);
const PAGE = new URLSearchParams(location.search);
const TOKEN = PAGE.get("token");
// The built-in walk-through runs when the address ends in `#selftest=NAME` (the fragment is
// never sent to the server, so the page's query stays exactly the settings).
const SELFTEST = new URLSearchParams(location.hash.slice(1)).get("selftest");

// Head words for the columns the server sends beside an entity (`town_name`, `dept_id`, …).
const COLUMN_WORDS = {
  town: "镇街区 (town)", dept: "包帮部门 (department)", department: "包帮部门 (department)",
  team: "工作队 (team)", leader: "联系领导 (leader)", member: "队员 (member)",
  village: "后进村 (village)", village_type: "类型 (type)", dept_kind: "部门类别 (kind)",
};
// The kind an `X_id` column names, so its ids open the right trace.
const COLUMN_KIND = { town: "town", dept: "department", department: "department", team: "team",
  leader: "leader", member: "member", village: "village" };

const state = {
  model: null,
  scenario: "",
  values: new Map(),   // control path → value typed, only where it differs from the baseline
  extra: [],           // [path, value] pairs for stable paths without a control
  gates: new Map(),    // gate id → "off" | "on", only where given
  last: null,          // the last good answer of /api/evaluate
  trace: null,         // {id, kind} of the open trace panel
  problems: [],
  lastSave: null,
};
const controls = new Map(); // path → {ctl, box, range, input}

// ── small helpers ───────────────────────────────────────────────────────────────────────────

/** Build an element: el("td", {class: "n", data: {kind: "village"}}, "text", child, …). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "data") for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A Chinese label with its English part ("经济 (economy)") as Chinese + lighter English. */
function bilingual(label) {
  const s = String(label ?? "");
  const i = s.indexOf(" (");
  if (i < 0) return document.createTextNode(s);
  return el("span", {}, s.slice(0, i) + " ", el("span", { class: "en" }, s.slice(i + 1)));
}

/** The Chinese part of a label ("验收合格线 (pass line)" → "验收合格线"). */
const shortLabel = (label) => String(label ?? "").split(" (")[0];
/** The first clause of an outcome's label, for tight cells ("验收合格，工作队撤离" → "验收合格"). */
const tinyLabel = (label) => shortLabel(label).split(/[，,；;]/)[0];

function fmtNum(x, digits = 2) {
  if (typeof x !== "number" || !Number.isFinite(x)) return x === null || x === undefined ? "" : String(x);
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}
const fmtTotal = (x) => (typeof x === "number" ? x.toFixed(2) : fmtNum(x));
const fmtYuan = (x) => (typeof x === "number" ? x.toLocaleString("zh-CN") : fmtNum(x));

function signed(d) {
  if (!d) return "0";
  return (d > 0 ? "+" : "") + fmtNum(d);
}

/** A link that opens an entity's trace. */
function entityLink(id, kind) {
  return el("a", { class: "ent", href: "#", data: { id, kind: kind || "" }, title: "查看说明 (open trace)" }, id);
}

/** A table cell; `sort` is the value the header sorts on when it differs from the text. */
function td(content, cls, sort, data) {
  const attrs = { class: cls || null, data: Object.assign({}, data || {}) };
  if (sort !== undefined && sort !== null) attrs.data.sort = String(sort);
  return el("td", attrs, content);
}

// ── settings and addresses ──────────────────────────────────────────────────────────────────

/** The settings as query parameters, in the contract's format. */
function settingsParams() {
  const p = new URLSearchParams();
  if (state.scenario) p.append("scenario", state.scenario);
  for (const [path, e] of controls) {
    if (!state.values.has(path)) continue;
    // A text (an interval, a condition, a parameter's name) goes quoted: `[0, 0.8)` is no
    // YAML list, and a quoted YAML string is read as the text itself.
    // A number typed where the rules name a parameter (a minimum of `min_economy`) stays a
    // number.
    const v = state.values.get(path);
    const plain = typeof e.ctl.value === "number" || (v !== "" && Number.isFinite(Number(v)));
    p.append("set", `${path}=${plain ? v : JSON.stringify(v)}`);
  }
  for (const [path, value] of state.extra) p.append("set", `${path}=${value}`);
  for (const [id, v] of state.gates) p.append("gate", `${id}=${v}`);
  return p;
}

function withToken(p) {
  if (TOKEN) p.append("token", TOKEN);
  return p;
}

function apiUrl(path, extra) {
  const p = settingsParams();
  for (const [k, v] of Object.entries(extra || {})) p.append(k, v);
  return `${path}?${withToken(p)}`;
}

/** Keep the settings in the page's own address, so a reload or a sent link reproduces them. */
function writeAddress() {
  const q = withToken(settingsParams()).toString();
  history.replaceState(null, "", location.pathname + (q ? `?${q}` : "") + location.hash);
}

/** Read the settings from the page's address (after the controls exist). */
function readAddress() {
  state.scenario = PAGE.get("scenario") || "";
  for (const s of PAGE.getAll("set")) {
    const i = s.indexOf("=");
    if (i <= 0) continue;
    const path = s.slice(0, i).trim();
    let value = s.slice(i + 1).trim();
    const known = controls.get(path);
    if (known && typeof known.ctl.value !== "number" && value.startsWith('"')) {
      try { value = JSON.parse(value); } catch (_) { /* shown as typed */ }
    }
    if (known) setControl(path, value, false);
    else state.extra.push([path, value]);
  }
  for (const g of PAGE.getAll("gate")) {
    const i = g.indexOf("=");
    const id = i < 0 ? g : g.slice(0, i);
    const v = i < 0 ? "off" : g.slice(i + 1).trim().toLowerCase();
    state.gates.set(id, v === "on" ? "on" : "off");
  }
}

// ── requests: debounced, the latest only ────────────────────────────────────────────────────

let inflight = 0;
let timer = 0;

/** Fetch a JSON answer: {status, body}. Any error body carries `problems`. */
async function api(url, init) {
  inflight++;
  try {
    const res = await fetch(url, init);
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      body = null;
    }
    return { status: res.status, body };
  } finally {
    inflight--;
  }
}

/** A fetcher where only the latest call counts: an earlier one is aborted, a stale answer
 *  (by sequence number) is dropped and comes back as null. */
function latestOnly() {
  let seq = 0;
  let ctrl = null;
  return async (url, init) => {
    const my = ++seq;
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    try {
      const r = await api(url, Object.assign({ signal: ctrl.signal }, init || {}));
      return my === seq ? r : null;
    } catch (e) {
      if (e.name === "AbortError" || my !== seq) return null;
      return { status: 0, body: { problems: [{ message: "无法连接服务器 (cannot reach the server)", help: String(e) }] } };
    }
  };
}

const fetchEvaluate = latestOnly();
const fetchNear = latestOnly();
const fetchTrace = latestOnly();

/** The settings changed: write them to the address and evaluate after a short pause. */
function schedule(delay = 80) {
  writeAddress();
  updateDownloads();
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = 0;
    evaluate();
  }, delay);
  setStatus("计算中… (computing)", true);
}

async function evaluate() {
  const r = await fetchEvaluate(apiUrl("/api/evaluate"));
  if (!r) return;
  if (r.status === 200 && r.body) {
    showProblems([]);
    state.last = r.body;
    render(r.body);
    setStatus(`用时 ${fmtNum(r.body.elapsed_ms, 1)} ms (elapsed)`, false);
    refreshNear();
    if (state.trace) loadTrace();
  } else {
    showProblems(problemsOf(r));
    setStatus("设置有误 (settings need fixing)", false);
    // Opened with settings that do not hold (a link to an old draft): the rules as they are
    // are shown beneath, greyed, until the settings are fixed.
    if (!state.last) {
      const b = await api(withTokenUrl("/api/evaluate"));
      if (b.status === 200 && b.body && !state.last) {
        state.last = b.body;
        render(b.body);
        showProblems(problemsOf(r));
      }
    }
  }
}

function problemsOf(r) {
  if (r.body && Array.isArray(r.body.problems) && r.body.problems.length) return r.body.problems;
  return [{ message: `服务器答复 ${r.status} (the server answered ${r.status})`, help: null }];
}

function setStatus(text, busy) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("busy", !!busy);
}

/** The check box: problems in plain words; while there are any, the last good results stay,
 *  greyed. */
function showProblems(list) {
  state.problems = list;
  const ul = $("problems");
  ul.replaceChildren(...list.map((p) => el("li", {}, p.message, p.help ? el("span", { class: "help" }, p.help) : null)));
  $("check-ok").hidden = list.length > 0;
  $("check").classList.toggle("bad", list.length > 0);
  $("results").classList.toggle("stale", list.length > 0 && state.last !== null);
}

// ── controls ────────────────────────────────────────────────────────────────────────────────

function buildControls(model) {
  const groups = new Map();
  for (const c of model.controls) {
    if (!groups.has(c.group)) groups.set(c.group, { label: c.group_label, items: [] });
    groups.get(c.group).items.push(c);
  }
  const host = $("groups");
  host.replaceChildren();
  for (const [id, g] of groups) {
    const d = el("details", { class: "group", open: id === "parameters", data: { group: id } },
      el("summary", {}, bilingual(g.label || id)));
    for (const c of g.items) d.append(buildControl(c));
    host.append(d);
  }
  // The gates come right after the parameters: they are among the first things a committee asks.
  const first = host.firstElementChild;
  if (first) first.after($("gates-group"));
  buildGates(model.gates || []);
}

/** Slider range for a numeric control: the model's [min, max], else around the baseline. */
function rangeOf(c) {
  const v = c.value;
  let min = typeof c.min === "number" ? c.min : null;
  let max = typeof c.max === "number" ? c.max : null;
  if (min === null || max === null) {
    const span = Math.max(Math.abs(v) * 0.5, 5);
    min = min ?? v - span;
    max = max ?? v + span;
    if (Array.isArray(c.limit)) {
      min = Math.max(min, c.limit[0]);
      max = Math.min(max, c.limit[1]);
    }
  }
  const step = typeof c.step === "number" && c.step > 0 ? c.step : Number.isInteger(v) ? 1 : 0.01;
  return { min, max, step };
}

function buildControl(c) {
  const numeric = typeof c.value === "number";
  const box = el("div", { class: "ctl", data: { path: c.path } });
  const reset = el("button", { type: "button", class: "reset", title: "恢复基线值 (reset to baseline)",
    onclick: () => { setControl(c.path, String(c.value)); schedule(0); } }, "↺ 基线");
  box.append(el("div", { class: "ctl-head" },
    el("span", { class: "ctl-label", title: c.reference || c.path }, bilingual(c.label || c.path)), reset));
  const entry = { ctl: c, box, range: null, input: null };
  const row = el("div", { class: "ctl-row" });
  if (numeric) {
    const r = rangeOf(c);
    entry.range = el("input", { type: "range", min: r.min, max: r.max, step: r.step, value: c.value,
      "aria-label": c.label, data: { path: c.path } });
    entry.input = el("input", { type: "number", step: r.step, value: c.value, "aria-label": c.label,
      min: Array.isArray(c.limit) ? c.limit[0] : null, max: Array.isArray(c.limit) ? c.limit[1] : null });
    entry.range.addEventListener("input", () => { setControl(c.path, entry.range.value); schedule(); });
    entry.range.addEventListener("change", () => { setControl(c.path, entry.range.value); schedule(0); });
    entry.input.addEventListener("input", () => {
      if (entry.input.value.trim() === "") return;
      setControl(c.path, entry.input.value);
      schedule();
    });
    row.append(entry.range, entry.input);
  } else {
    entry.input = el("input", { type: "text", value: c.value ?? "", "aria-label": c.label });
    entry.input.addEventListener("input", () => { setControl(c.path, entry.input.value); schedule(250); });
    row.append(entry.input);
  }
  row.append(el("span", { class: "unit" }, c.unit || ""));
  box.append(row);
  const ref = [c.reference, `基线 (baseline) ${fmtNum(c.value)}${c.unit || ""}`].filter(Boolean).join(" · ");
  box.append(el("div", { class: "ref" }, ref));
  controls.set(c.path, entry);
  return box;
}

/** Set a control's value (as typed), keep slider and box in step, and remember it when it
 *  differs from the baseline. */
function setControl(path, raw, fromUser = true) {
  const e = controls.get(path);
  if (!e) return;
  const base = e.ctl.value;
  const value = String(raw).trim();
  const same = typeof base === "number" ? Number(value) === base && value !== "" : value === String(base);
  if (same) state.values.delete(path);
  else state.values.set(path, value);
  if (e.range && e.range.value !== value) e.range.value = value;
  if (e.input && e.input.value !== value && !(fromUser && document.activeElement === e.input)) e.input.value = value;
  e.box.classList.toggle("changed", !same);
}

function buildGates(gates) {
  const host = $("gates");
  host.replaceChildren();
  const kinds = new Map((state.model.kinds || []).map((k) => [k.name, k.label]));
  for (const g of gates) {
    const box = el("input", { type: "checkbox", checked: true, data: { gate: g.id, kind: g.kind } });
    const row = el("label", { class: "gate", data: { gateRow: g.id } }, box,
      el("span", {}, bilingual(g.label || g.id), " ",
        el("span", { class: "en" }, `· ${shortLabel(kinds.get(g.kind) || g.kind)}`), el("br"),
        el("code", {}, g.when || g.id)));
    box.addEventListener("change", () => {
      if (box.checked) state.gates.delete(g.id);
      else state.gates.set(g.id, "off");
      row.classList.toggle("off", !box.checked);
      schedule(0);
    });
    host.append(row);
  }
}

/** Show every control as the settings say (after a reset or reading the address). */
function syncControls() {
  for (const [path, e] of controls) {
    const v = state.values.has(path) ? state.values.get(path) : String(e.ctl.value ?? "");
    if (e.range) e.range.value = v;
    e.input.value = v;
    e.box.classList.toggle("changed", state.values.has(path));
  }
  for (const box of document.querySelectorAll("#gates input[data-gate]")) {
    box.checked = state.gates.get(box.dataset.gate) !== "off";
    box.closest(".gate").classList.toggle("off", !box.checked);
  }
  $("scenario").value = state.scenario;
  scenarioNote();
  renderExtra();
  // A changed control in a closed group: open the group so it is seen.
  for (const d of document.querySelectorAll("#groups details")) {
    if (d.querySelector(".ctl.changed")) d.open = true;
  }
  if (state.gates.size) $("gates-group").open = true;
  if (state.extra.length) $("free-group").open = true;
}

function renderExtra() {
  $("free-list").replaceChildren(...state.extra.map(([path, value], i) =>
    el("li", {}, el("code", {}, `${path}=${value}`),
      el("button", { type: "button", class: "reset", title: "删除 (remove)",
        onclick: () => { state.extra.splice(i, 1); renderExtra(); schedule(0); } }, "✕"))));
}

function scenarioNote() {
  const s = (state.model.scenarios || []).find((x) => x.name === state.scenario);
  $("scenario-note").textContent = s
    ? `${s.description || s.label || s.name} 滑块显示基线值，所作更改叠加在此情景之上。(Controls show the baseline; changes apply on top of the scenario.)`
    : "";
}

function buildScenarioPicker(model) {
  const sel = $("scenario");
  for (const s of model.scenarios || []) sel.append(el("option", { value: s.name }, s.label || s.name));
  sel.addEventListener("change", () => {
    state.scenario = sel.value;
    scenarioNote();
    schedule(0);
  });
}

function resetAll() {
  state.scenario = "";
  state.values.clear();
  state.extra = [];
  state.gates.clear();
  syncControls();
  schedule(0);
}

function addFree(ev) {
  ev.preventDefault();
  const path = $("free-path").value.trim();
  const value = $("free-value").value.trim();
  if (!path || !value) return;
  if (controls.has(path)) {
    setControl(path, value);
    syncControls();
  } else {
    state.extra = state.extra.filter(([p]) => p !== path);
    state.extra.push([path, value]);
    renderExtra();
  }
  $("free-path").value = "";
  $("free-value").value = "";
  schedule(0);
}

// ── results ─────────────────────────────────────────────────────────────────────────────────

function render(ev) {
  renderBanner(ev);
  const labels = labelLookup(ev);
  renderChanges(ev, labels);
  renderCounts(ev);
  renderFunds(ev);
  renderDistribution(ev.distribution);
}

function renderBanner(ev) {
  const on = !!ev.what_if;
  $("whatif-banner").hidden = !on;
  $("whatif-mark").textContent = ev.mark || state.model.mark || "模拟测算，非正式结果";
  $("whatif-label").textContent = ev.label || "";
  document.title = (on ? `${ev.mark || "模拟测算"} · ` : "") + shortLabel(state.model.name);
}

/** Outcome and grade labels by kind, for changes that carry ids only. */
function labelLookup(ev) {
  const m = new Map();
  for (const k of ev.kinds || []) {
    for (const o of k.outcomes || []) m.set(`${k.name}/o/${o.id}`, o.label);
    for (const g of k.grades || []) m.set(`${k.name}/g/${g.id}`, g.label);
  }
  return m;
}

function kindLabel(name) {
  const k = (state.model.kinds || []).find((x) => x.name === name);
  return k ? k.label : name;
}

/** Which of an entity's `columns` to show, and how: names beside ids, labels beside codes. */
function columnPlan(rows, compact) {
  const keys = [];
  for (const r of rows) for (const k of Object.keys(r.columns || {})) if (!keys.includes(k)) keys.push(k);
  const has = (k) => keys.includes(k);
  const plan = [];
  for (const key of keys) {
    const base = key.replace(/_(id|name|label)$/, "");
    const head = COLUMN_WORDS[base] || kindLabel(base) || base;
    if (key.endsWith("_name")) plan.push({ key, idKey: has(`${base}_id`) ? `${base}_id` : null, base, head });
    else if (key.endsWith("_label")) {
      // A category's label (village type): left out where space is short.
      if (!compact) plan.push({ key, base, head });
    }
    else if (key.endsWith("_id")) {
      // An id without a name (the work team): left out where space is short.
      if (!has(`${base}_name`) && !compact) plan.push({ key: null, idKey: key, base, head });
    } else if (!has(`${key}_label`) && !has(`${key}_name`)) plan.push({ key, base, head });
  }
  return plan;
}

function planHeads(plan) {
  return plan.map((p) => el("th", {}, bilingual(p.head)));
}

function planCells(plan, columns) {
  const c = columns || {};
  return plan.map((p) => {
    const name = p.key ? c[p.key] ?? "" : "";
    const id = p.idKey ? c[p.idKey] : null;
    const parts = [name];
    if (id) parts.push(el("span", { class: "idsub" }, entityLink(id, COLUMN_KIND[p.base] || "")));
    return td(parts, "col", name || id || "");
  });
}

/** A sortable table from header cells and rows of cells. */
function table(heads, rows, cls) {
  return el("table", { class: `sortable ${cls || ""}` },
    el("thead", {}, el("tr", {}, heads)), el("tbody", {}, rows));
}

function th(text, cls) {
  return el("th", { class: cls || null }, bilingual(text));
}

function changeTable(rows, kind, labels) {
  const plan = columnPlan(rows, kind === state.model.primary);
  const flipWord = { out: "↓ 转出", in: "↑ 转入" };
  const heads = [th("编号 (id)"), th("名称 (name)"), ...planHeads(plan), th("变化 (flip)"),
    th("结果 (outcome)"), th("等级 (grade)"), th("总分 (total)", "n"), th("原因 (reason)")];
  const body = rows.map((r) => {
    const f = r.from || {};
    const t = r.to || {};
    const ol = (x) => x.outcome_label || labels.get(`${kind}/o/${x.outcome}`) || x.outcome || "";
    const gl = (x) => x.grade_label || labels.get(`${kind}/g/${x.grade}`) || x.grade || "";
    const pair = (a, b) => (a === b ? tinyLabel(a) : [tinyLabel(a), el("span", { class: "arrow" }, "→"), tinyLabel(b)]);
    return el("tr", { class: r.flip || null, data: { entity: r.entity } },
      td(entityLink(r.entity, r.kind), "id", r.entity),
      td(r.label || ""),
      ...planCells(plan, r.columns),
      td(r.flip ? flipWord[r.flip] || r.flip : "—", r.flip === "out" ? "no" : r.flip === "in" ? "ok" : null, r.flip || ""),
      el("td", { title: `${ol(f)} → ${ol(t)}`, data: { sort: ol(t) } }, pair(ol(f), ol(t))),
      td(pair(gl(f), gl(t)), null, gl(t)),
      td(f.total === t.total ? fmtTotal(t.total) : [fmtTotal(f.total), el("span", { class: "arrow" }, "→"), fmtTotal(t.total)], "n", t.total),
      td(r.reason || "", "why"));
  });
  return table(heads, body, "wide");
}

function renderChanges(ev, labels) {
  const primary = state.model.primary;
  const byKind = new Map();
  for (const c of ev.changes || []) {
    if (!byKind.has(c.kind)) byKind.set(c.kind, []);
    byKind.get(c.kind).push(c);
  }
  const mine = byKind.get(primary) || [];
  const outs = mine.filter((c) => c.flip === "out").length;
  const ins = mine.filter((c) => c.flip === "in").length;
  $("changes-summary").textContent = !ev.what_if
    ? "现行细则，没有更改。(The baseline: nothing is changed.)"
    : `${shortLabel(kindLabel(primary))}：${mine.length} 个结果或等级变化，其中 ${outs} 个转出、${ins} 个转入。` +
      `(${mine.length} changed; ${outs} out, ${ins} in.)`;
  $("changes-primary").replaceChildren(mine.length
    ? el("div", { class: "scroll" }, changeTable(mine, primary, labels))
    : el("p", { class: "empty" }, "没有变化 (no change)"));

  const other = [];
  for (const [kind, rows] of byKind) {
    if (kind === primary) continue;
    const o = rows.filter((c) => c.flip === "out").length;
    const i = rows.filter((c) => c.flip === "in").length;
    other.push(el("details", { class: "more", data: { kind } },
      el("summary", {}, bilingual(kindLabel(kind)), `：${rows.length} 项变化 (changes)，转出 ${o}，转入 ${i}`),
      el("div", { class: "inner" }, changeTable(rows, kind, labels))));
  }
  const awards = ev.awards || [];
  if (awards.length) {
    const heads = [th("类别 (kind)"), th("编号 (id)"), th("名称 (name)"), th("原奖励 (from, 元)", "n"),
      th("现奖励 (to, 元)", "n"), th("增减 (change)", "n")];
    const rows = awards.map((a) => {
      const d = (a.to || 0) - (a.from || 0);
      return el("tr", {}, td(shortLabel(kindLabel(a.kind))), td(entityLink(a.entity, a.kind), "id", a.entity),
        td(a.label || ""), td(fmtYuan(a.from), "n", a.from), td(fmtYuan(a.to), "n", a.to),
        td(signed(d), `n ${d > 0 ? "up" : d < 0 ? "down" : ""}`, d));
    });
    other.push(el("details", { class: "more", data: { kind: "awards" } },
      el("summary", {}, `奖励资金变化 (award changes)：${awards.length} 项`),
      el("div", { class: "inner" }, table(heads, rows))));
  }
  if (ev.what_if && !other.length) other.push(el("p", { class: "note" }, "其他单位没有变化。(No knock-on effects.)"));
  $("changes-other").replaceChildren(...other);
}

/** Per kind: baseline and current counts of outcomes and grades, the change highlighted. The
 *  current cells carry data-kind, data-outcome / data-grade and data-run for reading back. */
function renderCounts(ev) {
  const cards = (ev.kinds || []).map((k) => {
    const row = (item, what) => {
      const d = (item.current || 0) - (item.baseline || 0);
      const data = { kind: k.name, [what]: item.id };
      return el("tr", { title: item.label || item.id },
        td(tinyLabel(item.label || item.id)),
        td(fmtNum(item.baseline), "n", item.baseline, Object.assign({ run: "baseline" }, data)),
        td(fmtNum(item.current), "n", item.current, Object.assign({ run: "current" }, data)),
        td(signed(d), `n ${d > 0 ? "up" : d < 0 ? "down" : ""}`, d));
    };
    const rows = [
      ...(k.outcomes || []).map((o) => row(o, "outcome")),
      ...(k.grades || []).map((g) => row(g, "grade")),
    ];
    return el("div", { class: "card", data: { kind: k.name } },
      el("h3", {}, bilingual(k.label || k.name)),
      table([th("项 (item)"), th("基线 (baseline)", "n"), th("当前 (current)", "n"), th("变化 (change)", "n")], rows));
  });
  $("counts").replaceChildren(...cards);
}

function renderFunds(ev) {
  const funds = ev.funds || [];
  if (!funds.length) {
    $("funds").replaceChildren(el("p", { class: "empty" }, "没有奖励资金 (no reward fund)"));
    return;
  }
  const heads = [th("资金 (fund)"), th("预算 (budget, 元)", "n"), th("基线发放 (baseline paid)", "n"),
    th("基线人数 (recipients)", "n"), th("当前发放 (current paid)", "n"), th("当前人数 (recipients)", "n")];
  const rows = funds.map((f) => {
    const b = f.baseline || {};
    const c = f.current || {};
    const cls = (x, y) => `n ${x > y ? "up" : x < y ? "down" : ""}`;
    return el("tr", {}, td(bilingual(f.label || f.kind)), td(fmtYuan(f.budget), "n", f.budget),
      td(fmtYuan(b.paid), "n", b.paid), td(fmtNum(b.recipients), "n", b.recipients),
      td(fmtYuan(c.paid), cls(c.paid, b.paid), c.paid, { kind: f.kind, fund: "paid", run: "current" }),
      td(fmtNum(c.recipients), cls(c.recipients, b.recipients), c.recipients, { kind: f.kind, fund: "recipients", run: "current" }));
  });
  $("funds").replaceChildren(table(heads, rows));
}

// ── the distribution chart ──────────────────────────────────────────────────────────────────

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A histogram of the primary totals: baseline and current bars side by side per bin, and a
 *  vertical line per line (pass line, grade boundaries), labelled without overlaps. */
function renderDistribution(dist) {
  const host = $("distribution");
  if (!dist || !Array.isArray(dist.bins) || !dist.bins.length) {
    host.replaceChildren(el("p", { class: "empty" }, "没有总分分布 (no totals to chart)"));
    return;
  }
  const bins = dist.bins;
  const lo = bins[0].from;
  const hi = bins[bins.length - 1].to;
  const lines = (dist.lines || []).filter((l) => typeof l.current === "number");
  // Line labels go in rows above the plot; a label moves up a row when it would touch another.
  const placed = placeLabels(lines, lo, hi);
  const rowsUsed = placed.reduce((m, p) => Math.max(m, p.row + 1), 0);
  const W = 900, L = 42, R = 14, B = 34, T = 16 + rowsUsed * 15, PH = 190;
  const H = T + PH + B;
  const x = (v) => L + ((v - lo) / (hi - lo || 1)) * (W - L - R);
  const top = Math.max(1, ...bins.map((b) => Math.max(b.baseline || 0, b.current || 0)));
  const y = (n) => T + PH - (n / top) * PH;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": "总分分布 (distribution of totals)" });

  for (const n of niceTicks(top)) {
    s.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(n), y2: y(n) }));
    s.append(svg("text", { class: "small", x: L - 6, y: y(n) + 4, "text-anchor": "end" }, String(n)));
  }
  for (const b of bins) {
    const x0 = x(b.from);
    const bw = x(b.to) - x0;
    const gap = Math.min(4, bw * 0.12);
    const w = (bw - 2 * gap) / 2;
    const bar = (n, dx, fill, run) => {
      if (!n) return;
      s.append(svg("rect", { x: x0 + gap + dx, y: y(n), width: Math.max(w - 1, 1), height: T + PH - y(n),
        fill, "data-run": run }));
      // Narrow bars: only the current count is written, so two numbers never run together.
      if (run === "current" || w >= 18) {
        s.append(svg("text", { class: "small", x: x0 + gap + dx + w / 2, y: y(n) - 3, "text-anchor": "middle" }, String(n)));
      }
    };
    bar(b.baseline, 0, "#adb5bd", "baseline");
    bar(b.current, w, "#2b8a3e", "current");
  }
  s.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: T + PH, y2: T + PH }));
  for (const b of bins) {
    s.append(svg("text", { class: "small", x: x(b.from), y: T + PH + 14, "text-anchor": "middle" }, fmtNum(b.from)));
  }
  s.append(svg("text", { class: "small", x: x(hi), y: T + PH + 14, "text-anchor": "middle" }, fmtNum(hi)));
  s.append(svg("text", { class: "small", x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" },
    `总分 (total)，每格 ${fmtNum(dist.width)} 分`));

  for (const p of placed) {
    const l = p.line;
    if (typeof l.baseline === "number" && l.baseline !== l.current && l.baseline >= lo && l.baseline <= hi) {
      s.append(svg("line", { x1: x(l.baseline), x2: x(l.baseline), y1: T - 4, y2: T + PH,
        stroke: "#868e96", "stroke-dasharray": "2 3", "stroke-width": 1.5 }));
    }
    // The pass line in red, the grade boundaries in grey-black.
    const color = /^pass(_line)?$/.test(l.id) ? "#c92a2a" : "#343a40";
    s.append(svg("line", { x1: x(l.current), x2: x(l.current), y1: 12 + p.row * 15, y2: T + PH,
      stroke: color, "stroke-dasharray": "5 3", "stroke-width": 2 }));
    s.append(svg("text", { class: "halo", x: x(l.current) + 4, y: 11 + p.row * 15 + 4, fill: color,
      style: `fill:${color}` }, p.text));
  }
  const legend = el("div", { class: "legend" },
    el("span", {}, el("span", { class: "sw", style: "background:#adb5bd" }), "基线 (baseline)"),
    el("span", {}, el("span", { class: "sw", style: "background:#2b8a3e" }), "当前 (current)"),
    el("span", {}, "虚线：各分数线，灰色为基线位置 (dashed: the lines; grey: where they were)"));
  host.replaceChildren(legend, s);
}

/** Label rows for the chart's lines: each label is placed in the first row where it does not
 *  run into the label before it. */
function placeLabels(lines, lo, hi) {
  const unit = 820 / (hi - lo || 1);
  const items = lines.map((line, index) => ({ line, index,
    text: `${shortLabel(line.label || line.id)} ${fmtNum(line.current)}`,
    px: (line.current - lo) * unit }));
  items.sort((a, b) => a.px - b.px);
  const ends = [];
  for (const it of items) {
    const width = [...it.text].reduce((w, ch) => w + (ch.charCodeAt(0) > 255 ? 12 : 6.5), 8);
    let row = 0;
    while (ends[row] !== undefined && ends[row] > it.px) row++;
    ends[row] = it.px + width;
    it.row = row;
  }
  return items;
}

function niceTicks(top) {
  const step = top <= 5 ? 1 : top <= 12 ? 2 : top <= 30 ? 5 : top <= 60 ? 10 : Math.ceil(top / 60) * 10;
  const out = [];
  for (let n = 0; n <= top; n += step) out.push(n);
  return out;
}

// ── near the line ───────────────────────────────────────────────────────────────────────────

function buildNearPicker(model) {
  const sel = $("near-line");
  for (const l of model.lines || []) {
    sel.append(el("option", { value: l.id }, `${l.label || l.id} ${fmtNum(l.value)}`));
  }
  // Every dimension minimum of the primary kind that has a control.
  const re = new RegExp(`^${model.primary}\\.dimensions\\.([^.]+)\\.min$`);
  for (const c of model.controls || []) {
    const m = re.exec(c.path);
    if (m) sel.append(el("option", { value: `dim:${m[1]}` }, c.label || `dim:${m[1]}`));
  }
  // Start from the pass line when there is one.
  const pass = [...sel.options].find((o) => /^pass(_line)?$/.test(o.value));
  if (pass) sel.value = pass.value;
  sel.addEventListener("change", () => refreshNear());
  $("near-distance").addEventListener("input", () => {
    clearTimeout(buildNearPicker.t);
    buildNearPicker.t = setTimeout(refreshNear, 250);
  });
  $("near-form").addEventListener("submit", (e) => { e.preventDefault(); refreshNear(); });
}

async function refreshNear() {
  const line = $("near-line").value;
  const distance = $("near-distance").value || "2";
  if (!line) return;
  const r = await fetchNear(apiUrl("/api/near", { line, distance }));
  if (!r) return;
  if (r.status !== 200 || !r.body) {
    $("near-note").textContent = problemsOf(r).map((p) => p.message).join("；");
    $("near").replaceChildren();
    return;
  }
  renderNear(r.body);
}

function renderNear(n) {
  const rows = n.rows || [];
  const line = n.line || {};
  $("near-note").textContent = `${line.label || line.id || ""} ${fmtNum(line.value)} ± ${fmtNum(n.distance)}：` +
    `${rows.length} 个 (within)` + (n.more ? `，另有 ${n.more} 个未列出 (${n.more} more)` : "");
  if (!rows.length) {
    $("near").replaceChildren(el("p", { class: "empty" }, "没有临界对象 (none within this distance)"));
    return;
  }
  const plan = columnPlan(rows, true);
  const dims = [];
  for (const r of rows) for (const m of r.minimums || []) if (!dims.some((d) => d.dimension === m.dimension)) dims.push(m);
  const heads = [th("编号 (id)"), th("名称 (name)"), ...planHeads(plan), th("总分 (total)", "n"),
    th("距线 (to the line)", "n"), th("结果 (outcome)"),
    ...dims.map((d) => th(`${shortLabel(d.label || d.dimension)} 得分/最低 (minimum)`, "n"))];
  const body = rows.map((r) => {
    const mins = dims.map((d) => {
      const m = (r.minimums || []).find((x) => x.dimension === d.dimension);
      if (!m) return td("", "n");
      const cls = `n ${m.distance < 0 ? "down" : ""}`;
      return td(`${fmtNum(m.points)} / ${fmtNum(m.min)} (${signed(m.distance)})`, cls, m.distance);
    });
    return el("tr", { data: { entity: r.entity } }, td(entityLink(r.entity, state.model.primary), "id", r.entity),
      td(r.label || ""), ...planCells(plan, r.columns), td(fmtTotal(r.total), "n", r.total),
      td(signed(r.distance), "n", r.distance), td(tinyLabel(r.outcome_label || r.outcome || "")), ...mins);
  });
  $("near").replaceChildren(el("div", { class: "scroll" }, table(heads, body, "wide")));
}

// ── one entity's trace ──────────────────────────────────────────────────────────────────────

function openTrace(id, kind) {
  state.trace = { id, kind: kind || "" };
  $("trace").hidden = false;
  $("trace-title").replaceChildren(`${id} `, bilingual("说明 (trace)"));
  $("trace-text").textContent = "读取中… (loading)";
  loadTrace();
}

async function loadTrace() {
  const t = state.trace;
  if (!t) return;
  const extra = { id: t.id };
  if (t.kind) extra.kind = t.kind;
  const r = await fetchTrace(apiUrl("/api/explain", extra));
  if (!r || state.trace !== t) return;
  $("trace-text").textContent = r.status === 200 && r.body
    ? r.body.text || JSON.stringify(r.body.explanation, null, 2)
    : problemsOf(r).map((p) => p.message + (p.help ? `\n  ${p.help}` : "")).join("\n");
  $("trace-text").dataset.loaded = t.id;
}

function closeTrace() {
  state.trace = null;
  $("trace").hidden = true;
}

// ── sortable tables ─────────────────────────────────────────────────────────────────────────

function cellValue(tr, i) {
  const c = tr.children[i];
  if (!c) return "";
  return c.dataset.sort !== undefined ? c.dataset.sort : c.textContent.trim();
}

const isNumber = (v) => v !== "" && Number.isFinite(Number(String(v).replace(/,/g, "")));

/** Click a header: sort its table by that column (numbers as numbers, text in Chinese order);
 *  a second click reverses. */
function sortBy(th) {
  const table = th.closest("table");
  const tbody = table.tBodies[0];
  if (!tbody) return;
  const i = [...th.parentNode.children].indexOf(th);
  const rows = [...tbody.rows];
  const values = rows.map((r) => cellValue(r, i));
  const numeric = values.every((v) => v === "" || isNumber(v)) && values.some(isNumber);
  const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
  for (const h of th.parentNode.children) h.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
  const order = rows.map((r, k) => ({ r, v: values[k], k }));
  order.sort((a, b) => {
    let c;
    if (numeric) c = (Number(String(a.v).replace(/,/g, "")) || 0) - (Number(String(b.v).replace(/,/g, "")) || 0);
    else c = String(a.v).localeCompare(String(b.v), "zh");
    return c * dir || a.k - b.k;
  });
  tbody.append(...order.map((o) => o.r));
}

// ── save and download ───────────────────────────────────────────────────────────────────────

async function saveScenario(ev) {
  ev.preventDefault();
  const name = $("save-name").value.trim();
  const label = $("save-label").value.trim();
  const out = $("save-result");
  out.className = "small";
  out.textContent = "保存中… (saving)";
  let r;
  try {
    r = await api(apiUrl("/api/scenario"), { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(label ? { name, label } : { name }) });
  } catch (e) {
    r = { status: 0, body: { problems: [{ message: "无法连接服务器 (cannot reach the server)", help: String(e) }] } };
  }
  state.lastSave = { status: r.status, body: r.body };
  if (r.status === 201 && r.body) {
    out.className = "small ok";
    out.textContent = `已保存 (saved)：${r.body.file || r.body.name}`;
    const sel = $("scenario");
    if (![...sel.options].some((o) => o.value === r.body.name)) sel.append(el("option", { value: r.body.name }, label || r.body.name));
    return;
  }
  const lead = r.status === 409 ? "已有同名情景，未覆盖 (exists, not overwritten)" :
    r.status === 400 ? "名称或设置有误 (bad name or settings)" : `未保存 (not saved, ${r.status})`;
  out.className = "small no";
  out.textContent = `${lead}：${problemsOf(r).map((p) => p.message + (p.help ? `（${p.help}）` : "")).join("；")}`;
}

function updateDownloads() {
  $("dl-results").href = apiUrl("/api/download/results.xlsx");
  $("dl-compare").href = apiUrl("/api/download/compare.xlsx");
  $("dl-handout").href = apiUrl("/api/download/compare.html");
}

// ── start ───────────────────────────────────────────────────────────────────────────────────

async function start() {
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a.ent");
    if (a) {
      e.preventDefault();
      openTrace(a.dataset.id, a.dataset.kind);
      return;
    }
    const h = e.target.closest("table.sortable thead th");
    if (h) sortBy(h);
  });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeTrace(); });
  $("trace-close").addEventListener("click", closeTrace);
  $("reset-all").addEventListener("click", resetAll);
  $("free-form").addEventListener("submit", addFree);
  $("save-form").addEventListener("submit", saveScenario);

  const r = await api(withTokenUrl("/api/model"));
  if (r.status !== 200 || !r.body) {
    showProblems(problemsOf(r));
    setStatus("无法读取细则 (cannot read the rule set)", false);
    return false;
  }
  const model = (state.model = r.body);
  $("ruleset-name").textContent = model.name || "";
  $("ruleset-version").textContent = model.version ? `版本 ${model.version}` : "";
  document.title = shortLabel(model.name);
  buildScenarioPicker(model);
  buildControls(model);
  buildNearPicker(model);
  readAddress();
  syncControls();
  schedule(0);
  return true;
}

function withTokenUrl(path) {
  const q = withToken(new URLSearchParams()).toString();
  return q ? `${path}?${q}` : path;
}

// ── the built-in walk-through (`#selftest=NAME`) ─────────────────────────────────────────────
// Drives the page through its own controls, as a person would, and writes what the page then
// shows into <pre id="selftest-result">: used by the browser test.

/** Resolves once no request is in flight and none is waiting to be sent. */
function whenIdle(limitMs = 15000) {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    let quiet = 0;
    const tick = () => {
      if (inflight === 0 && !timer) quiet++;
      else quiet = 0;
      if (quiet >= 3) return resolve();
      if (Date.now() - t0 > limitMs) return reject(new Error("timed out waiting for the server"));
      setTimeout(tick, 40);
    };
    tick();
  });
}

/** The current counts as the page shows them: {kind: {outcomes: {id: n}, grades: {id: n}}}. */
function readCounts() {
  const out = {};
  for (const c of document.querySelectorAll('#counts td[data-run="current"]')) {
    const k = (out[c.dataset.kind] ||= { outcomes: {}, grades: {} });
    const n = Number(c.dataset.sort);
    if (c.dataset.outcome !== undefined) k.outcomes[c.dataset.outcome] = n;
    if (c.dataset.grade !== undefined) k.grades[c.dataset.grade] = n;
  }
  return out;
}

async function selftest(name) {
  const out = { name, ok: false, steps: [], errors: [] };
  const step = (what, extra) => out.steps.push(Object.assign({ step: what, problems: state.problems.map((p) => p.message) }, extra || {}));
  try {
    await whenIdle();
    // The what-if mark shows only once something is changed.
    const marked = () => $("whatif-banner").offsetHeight > 0;
    step("loaded", { villages: readCounts()[state.model.primary], marked: marked() });

    // Move the pass line's slider (or the first slider) to the far end of its range.
    const slider = (controls.get("pass_line") || [...controls.values()].find((e) => e.range)).range;
    const target = Number(slider.value) === Number(slider.max) ? slider.min : slider.max;
    slider.value = target;
    slider.dispatchEvent(new Event("input", { bubbles: true }));
    slider.dispatchEvent(new Event("change", { bubbles: true }));
    await whenIdle();
    step("slider", { path: slider.dataset.path, value: slider.value, label: $("whatif-label").textContent, marked: marked() });

    // Switch off the primary kind's first gate.
    const gate = document.querySelector(`#gates input[data-kind="${state.model.primary}"]`) ||
      document.querySelector("#gates input[data-gate]");
    if (!gate) throw new Error("no gate checkbox");
    gate.click();
    await whenIdle();
    step("gate", { gate: gate.dataset.gate, checked: gate.checked });

    // Open one village's trace from the results.
    const link = document.querySelector(`#results a.ent[data-kind="${state.model.primary}"]`);
    if (!link) throw new Error("no village link in the results");
    link.click();
    await whenIdle();
    const text = $("trace-text").textContent;
    out.trace = { id: link.dataset.id, open: !$("trace").hidden, first_line: text.split("\n")[0], chars: text.length };
    step("trace", { id: link.dataset.id });
    closeTrace();

    // Save the settings as a scenario.
    $("save-name").value = name;
    $("save-label").value = `浏览器测试 ${name} (browser test)`;
    $("save-button").click();
    await whenIdle();
    out.saved = state.lastSave;
    out.save_text = $("save-result").textContent;
    step("save");

    out.counts = readCounts();
    out.query = settingsParams().toString();
    out.address = location.search;
    out.stale = $("results").classList.contains("stale");
    out.problems = state.problems;
    out.ok = !out.stale && state.problems.length === 0 && !!out.saved && out.saved.status === 201 && out.trace.chars > 0;
  } catch (e) {
    out.errors.push(String(e && e.stack ? e.stack : e));
  }
  document.body.append(el("pre", { id: "selftest-result" }, JSON.stringify(out)));
}

start().then((ok) => {
  if (!ok) return;
  // `#trace=V04` in the address opens that entity's trace once the page is up.
  const open = new URLSearchParams(location.hash.slice(1)).get("trace");
  if (open) openTrace(open, "");
  if (SELFTEST) selftest(SELFTEST);
});
