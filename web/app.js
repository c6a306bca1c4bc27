// The core-engine dashboard: a task list with filters and a task page with its
// plan as a dependency graph, both updated live over the WebSocket, approval
// buttons, and statistics. Plain JavaScript, no build step.
"use strict";

const state = {
  token: sessionStorage.getItem("core-engine-token") || "",
  socket: null,
  tasks: new Map(),      // id -> task, as the list shows them
  cursor: null,          // next page of the list
  current: null,         // { task, plan, events } of the task page
  refetching: new Map(), // task id -> timer: one GET per burst of events
};

const $ = (selector) => document.querySelector(selector);

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function notice(text) {
  const box = $("#notice");
  box.textContent = text || "";
  box.hidden = !text;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let envelope = null;
  try { envelope = await response.json(); } catch { /* not JSON */ }
  if (!response.ok || !envelope || envelope.success === false) {
    const sentence = envelope && envelope.error ? envelope.error : `${method} ${path} answered ${response.status}`;
    const error = new Error(sentence);
    error.status = response.status;
    throw error;
  }
  return envelope;
}

function badge(status) { return el("span", { class: `badge ${status}` }, status.replace("_", " ")); }
function time(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

// ---- statistics -------------------------------------------------------------

async function refreshStats() {
  try {
    const { data } = await api("GET", "/api/statistics");
    const stat = (label, value) => el("div", { class: "stat" }, el("b", {}, value), el("span", {}, label));
    const by = data.by_status || {};
    $("#stats").replaceChildren(
      stat("tasks", data.total_tasks),
      stat("completed", by.completed || 0),
      stat("failed", by.failed || 0),
      stat("running", data.running_tasks),
      stat("queued", data.queue_depth),
      stat("awaiting approval", data.awaiting_approval),
      stat("success rate", `${Math.round(data.success_rate)}%`),
      stat("avg duration", `${Math.round(data.average_duration)} ms`));
  } catch (error) {
    if (error.status === 401) notice(`${error.message} Enter a token above.`);
  }
}
let statsTimer = null;
function statsSoon() { if (!statsTimer) statsTimer = setTimeout(() => { statsTimer = null; refreshStats(); }, 500); }

// ---- the task list ----------------------------------------------------------

function filters() {
  const form = new FormData($("#filters"));
  const query = new URLSearchParams();
  for (const [key, value] of form) if (value) query.set(key, value);
  return query;
}

function matchesFilters(task) {
  for (const [key, value] of filters()) if (String(task[key]) !== value) return false;
  return true;
}

function taskRow(task) {
  const c = task.context || {};
  return el("tr", { class: "task-row", "data-id": task.id, "data-status": task.status, onclick: () => { location.hash = `#/tasks/${task.id}`; } },
    el("td", {}, el("a", { href: `#/tasks/${task.id}` }, task.id)),
    el("td", {}, badge(task.status)),
    el("td", {}, task.type), el("td", {}, task.priority),
    el("td", {}, c.provider), el("td", {}, c.environment),
    el("td", {}, (c.components || []).join(", ")),
    el("td", {}, task.user_id), el("td", {}, time(task.created_at)));
}

function showTaskInList(task, fresh) {
  const body = $("#tasks tbody");
  const existing = body.querySelector(`tr[data-id="${CSS.escape(task.id)}"]`);
  if (!matchesFilters(task)) { existing?.remove(); state.tasks.delete(task.id); return; }
  state.tasks.set(task.id, task);
  const row = taskRow(task);
  if (existing) existing.replaceWith(row);
  else if (fresh) { body.prepend(row); row.classList.add("fresh"); }
  else body.append(row);
}

async function loadList(more = false) {
  const query = filters();
  query.set("limit", "50");
  if (more && state.cursor) query.set("cursor", state.cursor);
  try {
    const page = await api("GET", `/api/tasks?${query}`);
    if (!more) { $("#tasks tbody").replaceChildren(); state.tasks.clear(); }
    for (const task of page.data) showTaskInList(task, false);
    state.cursor = page.next_cursor || null;
    $("#more").hidden = !state.cursor;
    notice("");
  } catch (error) {
    notice(error.status === 401 ? `${error.message} Enter a token above.` : error.message);
  }
}

// ---- live updates -------------------------------------------------------------

function connect() {
  if (state.socket) state.socket.close();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.onopen = () => {
    // Browsers cannot set headers on a WebSocket: the token goes in the first message.
    if (state.token) socket.send(JSON.stringify({ type: "auth", token: state.token }));
    socket.send(JSON.stringify({ type: "subscribe", task_id: "*" }));
  };
  socket.onmessage = (message) => {
    let frame;
    try { frame = JSON.parse(message.data); } catch { return; }
    if (frame.type === "subscribed") { $("#connection").textContent = "live"; $("#connection").classList.add("live"); }
    if (frame.type === "task_event") onEvent(frame.event);
  };
  socket.onclose = () => {
    $("#connection").textContent = "offline";
    $("#connection").classList.remove("live");
    if (state.socket === socket) setTimeout(connect, 2000);  // the node restarted, or a network blip
  };
}

function onEvent(event) {
  if (event.type === "task_created" && event.data && event.data.task) showTaskInList(event.data.task, true);
  else refetchSoon(event.task_id);
  statsSoon();
  if (state.current && state.current.task && state.current.task.id === event.task_id) onTaskPageEvent(event);
}

/// Many events arrive per task in a burst: one GET after the burst.
function refetchSoon(id) {
  if (state.refetching.has(id)) return;
  state.refetching.set(id, setTimeout(async () => {
    state.refetching.delete(id);
    try {
      const { data } = await api("GET", `/api/tasks/${encodeURIComponent(id)}`);
      if (state.tasks.has(id) || matchesFilters(data)) showTaskInList(data, !state.tasks.has(id));
      if (state.current && state.current.task && state.current.task.id === id) {
        state.current.task = data;
        renderTaskSummary();
        if (!state.current.plan && (data.execution || {}).plan_id) loadPlan();
      }
    } catch { /* gone or not ours: nothing to show */ }
  }, 150));
}

// ---- the task page --------------------------------------------------------------

const stepStatusOf = { step_started: "running", step_retrying: "running", step_completed: "completed", step_failed: "failed" };

function onTaskPageEvent(event) {
  const page = state.current;
  page.events.push(event);
  $("#events").append(eventItem(event));
  const step = event.data && event.data.step_id;
  // The task as loaded may predate its plan: the event names it.
  if (event.data && event.data.plan_id && page.task && !(page.task.execution || {}).plan_id)
    page.task.execution = { ...(page.task.execution || {}), plan_id: event.data.plan_id };
  if (stepStatusOf[event.type] && page.plan) {
    const s = page.plan.steps.find((x) => x.id === step);
    if (s) { s.status = stepStatusOf[event.type]; renderGraph(); }
  }
  if (["plan_generated", "plan_approved", "plan_rejected", "task_completed", "task_failed", "task_cancelled"].includes(event.type))
    loadPlan();
  renderChecks();
  refetchSoon(event.task_id);
}

function eventItem(event) {
  const what = event.data && (event.data.step_id || event.data.phase || event.data.plan_id || "");
  return el("li", { value: event.seq }, `${time(event.timestamp)}  ${event.type}  ${what}`);
}

async function openTask(id) {
  $("#list-view").hidden = true;
  $("#task-view").hidden = false;
  $("#artifact-view").hidden = true;
  state.current = { task: null, plan: null, events: [] };
  try {
    const { data } = await api("GET", `/api/tasks/${encodeURIComponent(id)}`);
    state.current.task = data;
    renderTaskSummary();
    const events = await api("GET", `/api/tasks/${encodeURIComponent(id)}/events`);
    state.current.events = events.data;
    $("#events").replaceChildren(...events.data.map(eventItem));
    renderChecks();
    await loadPlan();
  } catch (error) {
    notice(error.message);
  }
}

async function loadPlan() {
  const page = state.current;
  const planId = page.task && page.task.execution && page.task.execution.plan_id;
  if (!planId) { renderGraph(); return; }
  try {
    const { data } = await api("GET", `/api/plans/${encodeURIComponent(planId)}`);
    if (state.current !== page) return;
    page.plan = data;
    renderGraph();
    renderRisks();
  } catch (error) { notice(error.message); }
  loadArtifacts();
}

function renderTaskSummary() {
  const t = state.current.task;
  $("#task-title").replaceChildren(`${t.id} `, badge(t.status));
  const c = t.context || {};
  const rows = [["type", t.type], ["priority", t.priority], ["user", t.user_id],
    ["where", `${c.provider} ${c.environment}${c.region ? " " + c.region : ""}`],
    ["components", (c.components || []).join(", ")], ["created", time(t.created_at)],
    ["ended", time(t.completed_at)], ["plan", (t.execution || {}).plan_id || ""],
    ["errors", ((t.result || {}).errors || []).join("; ")]];
  $("#task-summary").replaceChildren(...rows.filter(([, v]) => v).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("#approval").hidden = t.status !== "awaiting_approval";
}

/// Steps in columns by dependency depth, edges from each dependency.
function renderGraph() {
  const plan = state.current && state.current.plan;
  const box = $("#graph");
  if (!plan) { box.replaceChildren(el("span", { class: "muted" }, "no plan yet")); return; }
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const depth = new Map();
  const depthOf = (s, seen = new Set()) => {
    if (depth.has(s.id)) return depth.get(s.id);
    if (seen.has(s.id)) return 0;  // a cycle: validation reports it, the drawing goes on
    seen.add(s.id);
    const d = Math.max(-1, ...(s.depends_on || []).map((p) => byId.has(p) ? depthOf(byId.get(p), seen) : -1)) + 1;
    depth.set(s.id, d);
    return d;
  };
  const columns = [];
  for (const s of [...plan.steps].sort((a, b) => a.order - b.order)) (columns[depthOf(s)] ||= []).push(s);
  const W = 170, H = 44, GX = 30, GY = 16, PAD = 10;
  const position = new Map();
  columns.forEach((column, x) => column.forEach((s, y) => position.set(s.id, { x: PAD + x * (W + GX), y: PAD + y * (H + GY) })));
  const width = PAD * 2 + columns.length * (W + GX) - GX;
  const height = PAD * 2 + Math.max(...columns.map((c) => c.length)) * (H + GY) - GY;
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attributes = {}, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "plan graph" });
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#a8b0c0" }));
  const defs = svg("defs");
  defs.append(marker);
  root.append(defs);
  for (const s of plan.steps)
    for (const p of s.depends_on || []) {
      const a = position.get(p), b = position.get(s.id);
      if (!a || !b) continue;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      root.append(svg("path", { class: "edge", d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}` }));
    }
  for (const s of plan.steps) {
    const { x, y } = position.get(s.id);
    const g = svg("g", { class: `node ${s.status}`, "data-step": s.id, "data-status": s.status, transform: `translate(${x},${y})` });
    g.append(svg("rect", { width: W, height: H }));
    g.append(svg("text", { x: 10, y: 18, "font-weight": 600 }, s.id.length > 24 ? s.id.slice(0, 23) + "…" : s.id));
    g.append(svg("text", { x: 10, y: 35, fill: "#6b7385" }, s.status));
    g.append(svg("title", {}, `${s.description}\n${s.status}${s.duration !== undefined ? ` (${s.duration} ms)` : ""}`));
    root.append(g);
  }
  box.replaceChildren(root);
}

function renderRisks() {
  const risks = (state.current.plan && state.current.plan.risks) || [];
  $("#risks tbody").replaceChildren(...risks.map((r) =>
    el("tr", {}, el("td", {}, r.severity), el("td", {}, r.category), el("td", {}, r.description), el("td", {}, r.mitigation || ""))));
}

function renderChecks() {
  const events = state.current.events;
  $("#safety").replaceChildren(...events.filter((e) => e.type === "safety_checks_completed" || e.type === "safety_violation").map((e) => {
    const d = e.data || {};
    if (e.type === "safety_violation") return el("li", {}, `violation: ${d.message || d.reason || JSON.stringify(d)}`);
    const blockers = (d.blockers || []).join("; ");
    return el("li", {}, `${d.phase}: ${d.passed ? "passed" : "blocked"}, ${d.checks} checks${d.requires_approval ? ", approval required" : ""}${blockers ? " — " + blockers : ""}`);
  }));
  $("#verification").replaceChildren(...events.filter((e) => e.type === "verification_completed").map((e) => {
    const s = (e.data && e.data.summary) || {};
    return el("li", {}, `${e.data.status}: ${s.passed} of ${s.total_checks} checks passed, ${s.failed} failed, ${s.warnings} warnings`);
  }));
}

async function loadArtifacts() {
  const page = state.current;
  try {
    const { data } = await api("GET", `/api/tasks/${encodeURIComponent(page.task.id)}/artifacts`);
    if (state.current !== page) return;
    $("#artifacts tbody").replaceChildren(...data.map((a) => el("tr", {},
      el("td", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); viewArtifact(a.name); } }, a.name)),
      el("td", {}, `${a.size} B`), el("td", { class: "muted" }, a.checksum.slice(0, 16) + "…"),
      el("td", {}, el("button", { type: "button", onclick: () => downloadArtifact(a.name) }, "Download")))));
  } catch { /* no artifacts yet */ }
}

/// Bytes come through fetch, so that the bearer token goes with them.
async function artifactBlob(name) {
  const headers = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  const response = await fetch(`/api/tasks/${encodeURIComponent(state.current.task.id)}/artifacts/${encodeURIComponent(name)}`, { headers });
  if (!response.ok) throw new Error(`${name}: ${response.status}`);
  return response.blob();
}

async function viewArtifact(name) {
  try {
    const text = await (await artifactBlob(name)).text();
    const view = $("#artifact-view");
    view.textContent = text;
    view.hidden = false;
  } catch (error) { notice(error.message); }
}

async function downloadArtifact(name) {
  try {
    const url = URL.createObjectURL(await artifactBlob(name));
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) { notice(error.message); }
}

async function decide(verdict) {
  const task = state.current.task;
  const comment = $("#approval-comment").value.trim();
  const body = verdict === "approve" ? (comment ? { comment } : {}) : { reason: comment || "rejected from the dashboard" };
  try {
    await api("POST", `/api/plans/${encodeURIComponent(task.execution.plan_id)}/${verdict}`, body);
    $("#approval-comment").value = "";
    $("#approval").hidden = true;
    notice("");
  } catch (error) { notice(error.message); }
}

// ---- routing and start ------------------------------------------------------------

function route() {
  const match = location.hash.match(/^#\/tasks\/(.+)$/);
  if (match) return openTask(decodeURIComponent(match[1]));
  state.current = null;
  $("#task-view").hidden = true;
  $("#list-view").hidden = false;
  return loadList();
}

function start() {
  $("#token").value = state.token;
  $("#token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.token = $("#token").value.trim();
    if (state.token) sessionStorage.setItem("core-engine-token", state.token);
    else sessionStorage.removeItem("core-engine-token");
    connect();
    refreshStats();
    route();
  });
  $("#filters").addEventListener("change", () => loadList());
  $("#filters").addEventListener("submit", (e) => { e.preventDefault(); loadList(); });
  $("#more").addEventListener("click", () => loadList(true));
  $("#approve").addEventListener("click", () => decide("approve"));
  $("#reject").addEventListener("click", () => decide("reject"));
  window.addEventListener("hashchange", route);
  connect();
  refreshStats();
  route();
}

document.addEventListener("DOMContentLoaded", start);
