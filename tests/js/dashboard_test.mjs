// The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) against the real core-engine binary: a task created over
// the API appears live, its graph fills as its steps complete, approving from
// the page resumes a waiting production task, and tokens work.
// Usage: node dashboard_test.mjs <core-engine binary> [screenshot dir]
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [binary, screenshots] = process.argv.slice(2);
if (!binary) throw new Error("usage: node dashboard_test.mjs <core-engine binary> [screenshot dir]");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const deadline = 20000;  // ms for anything the page waits for; a task takes well under a second

/** Starts a server on ephemeral ports with a fresh data dir; resolves once it listens. */
function startServer(extra = []) {
  const dataDir = mkdtempSync(join(tmpdir(), "ce-dashboard-"));
  const child = spawn(binary, ["--port", "0", "--ws-port", "0", "--data-dir", dataDir,
    "--allow-fault-injection", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/core-engine listening http=([^ ]+) ws=/);
      if (m) resolve({ child, base: `http://${m[1]}`, dataDir, stop: () => { child.kill("SIGTERM"); rmSync(dataDir, { recursive: true, force: true }); } });
    });
    child.on("exit", (code) => reject(new Error(`core-engine exited ${code}: ${stderr}`)));
  });
}

async function call(server, method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(server.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

function taskBody(environment, components, extra = {}) {
  return { type: "generate", user_id: "dana", priority: "high",
    context: { provider: "aws", environment, region: "us-east-1", components, ...extra } };
}

let server, browser;
before(async () => {
  server = await startServer();
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
  if (screenshots) mkdirSync(screenshots, { recursive: true });
});
after(async () => {
  await browser?.close();
  server?.stop();
});

async function openDashboard(target = server) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(target.base + "/");
  page.scriptErrors = errors;
  return page;
}

test("a task created over the API appears in the list live", async () => {
  const page = await openDashboard();
  await page.waitForSelector("#connection.live", { timeout: deadline });  // subscribed to "*"
  const created = await call(server, "POST", "/api/tasks", taskBody("staging", ["vpc", "eks", "rds"]));
  assert.equal(created.status, 201);
  const id = created.body.data.id;
  // No reload: the row comes from the task_created event.
  await page.waitForSelector(`tr[data-id="${id}"][data-status="pending"]`, { timeout: deadline });
  await call(server, "POST", `/api/tasks/${id}/execute?wait=true`);
  await page.waitForSelector(`tr[data-id="${id}"][data-status="completed"]`, { timeout: deadline });
  // Statistics follow too.
  await page.waitForFunction(() => document.querySelector("#stats")?.textContent.includes("completed"), null, { timeout: deadline });
  assert.deepEqual(page.scriptErrors, []);
  await page.close();
});

test("a task's graph fills as its steps complete", async () => {
  // A deploy task whose simulated operations take 400 ms each: slow enough to watch.
  const created = await call(server, "POST", "/api/tasks",
    { ...taskBody("staging", ["vpc", "s3"], { requirements: { simulate: { delay_ms: 400 } } }), type: "deploy" });
  assert.equal(created.status, 201);
  const id = created.body.data.id;
  const page = await openDashboard();
  await page.goto(`${server.base}/#/tasks/${id}`);
  await page.waitForSelector("#task-title .badge.pending", { timeout: deadline });
  await page.waitForSelector("#connection.live", { timeout: deadline });
  const executed = await call(server, "POST", `/api/tasks/${id}/execute`);
  assert.equal(executed.status, 202);
  // Part done, part not: the graph is filling while the task runs.
  await page.waitForFunction(() => {
    const nodes = [...document.querySelectorAll("#graph .node")];
    const done = nodes.filter((n) => n.dataset.status === "completed").length;
    return nodes.length > 0 && done > 0 && done < nodes.length;
  }, null, { timeout: deadline });
  await page.waitForSelector("#graph .node[data-status='running']", { timeout: deadline });
  await page.waitForFunction(() => {
    const nodes = [...document.querySelectorAll("#graph .node")];
    return nodes.length > 0 && nodes.every((n) => n.dataset.status === "completed");
  }, null, { timeout: deadline });
  await page.waitForSelector("#task-title .badge.completed", { timeout: deadline });
  assert.deepEqual(page.scriptErrors, []);
  await page.close();
});

test("approving from the page resumes a waiting production task", async () => {
  const created = await call(server, "POST", "/api/tasks", taskBody("production", ["vpc", "eks", "rds"]));
  const id = created.body.data.id;
  const page = await openDashboard();
  await page.goto(`${server.base}/#/tasks/${id}`);
  await page.waitForSelector("#connection.live", { timeout: deadline });
  await call(server, "POST", `/api/tasks/${id}/execute`);
  await page.waitForSelector("#approval:not([hidden])", { timeout: deadline });
  await page.waitForSelector("#graph .node", { timeout: deadline });
  await page.waitForSelector("#risks tbody tr", { timeout: deadline });
  await page.fill("#approval-comment", "reviewed in the dashboard");
  if (screenshots) await page.screenshot({ path: join(screenshots, "dashboard-approval.png"), fullPage: true });
  await page.click("#approve");
  await page.waitForSelector("#task-title .badge.completed", { timeout: deadline });
  await page.waitForFunction(() => [...document.querySelectorAll("#graph .node")].every((n) => n.dataset.status === "completed"), null, { timeout: deadline });
  await page.waitForSelector("#artifacts tbody tr", { timeout: deadline });
  await page.waitForFunction(() => document.querySelector("#verification li"), null, { timeout: deadline });
  const finished = (await call(server, "GET", `/api/tasks/${id}`)).body.data;
  const plan = await call(server, "GET", `/api/plans/${finished.execution.plan_id}`);
  assert.equal(plan.body.data.status, "completed");
  assert.ok(plan.body.data.approved_by);
  // An artifact opens in the page.
  await page.click("#artifacts tbody tr a");
  await page.waitForSelector("#artifact-view:not([hidden])", { timeout: deadline });
  if (screenshots) await page.screenshot({ path: join(screenshots, "dashboard-task.png"), fullPage: true });
  await page.goto(`${server.base}/#/`);
  await page.waitForSelector(`tr[data-id="${id}"][data-status="completed"]`, { timeout: deadline });
  if (screenshots) await page.screenshot({ path: join(screenshots, "dashboard-list.png") });
  assert.deepEqual(page.scriptErrors, []);
  await page.close();
});

test("with tokens configured the page asks for one and keeps it in session storage", async () => {
  const token = "ce_test_token_of_the_dashboard_admin";
  const hash = createHash("sha256").update(token).digest("hex");
  const guarded = await startServer(["--tokens", `ada:admin:${hash}`]);
  try {
    const created = await call(guarded, "POST", "/api/tasks", taskBody("staging", ["vpc"]), token);
    assert.equal(created.status, 201);
    const page = await openDashboard(guarded);
    // Without a token the page loads and says what is missing.
    await page.waitForSelector("#notice:not([hidden])", { timeout: deadline });
    assert.match(await page.textContent("#notice"), /token/i);
    await page.fill("#token", token);
    await page.click("#token-form button");
    await page.waitForSelector(`tr[data-id="${created.body.data.id}"]`, { timeout: deadline });
    await page.waitForSelector("#connection.live", { timeout: deadline });  // the WebSocket authenticated
    assert.equal(await page.evaluate(() => sessionStorage.getItem("core-engine-token")), token);
    await page.close();
  } finally {
    guarded.stop();
  }
});
