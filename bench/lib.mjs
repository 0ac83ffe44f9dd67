// Shared by the benchmarks: wrangler dev on a free localhost port (optionally restarted over the
// same persisted state), JSON requests, percentiles. Child processes are killed when the bench exits.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const children = [];
process.on("exit", () => children.forEach((c) => { try { process.kill(-c.pid, "SIGKILL"); } catch {} }));

/**
 * Hookline's bench build under wrangler dev (D1 migrated, metrics on), with one tenant `name` and
 * an API key that manages hooks, publishes and reads deliveries: `K` is its authorization header.
 */
export async function startHookline(name) {
  const admin = "bench_" + randomBytes(8).toString("hex");
  const hl = await startWorker(join(here, "wrangler.bench.toml"), {
    ADMIN_TOKEN: admin, ENCRYPTION_KEY: randomBytes(32).toString("base64"), ALLOW_PRIVATE_TARGETS: "true", METRICS: "1",
  }, true);
  const A = { authorization: `Bearer ${admin}` };
  const tenant = await json(`${hl.base}/v1/tenants`, { method: "POST", headers: A, body: JSON.stringify({ name }) });
  const { key } = await json(`${hl.base}/v1/tenants/${tenant.id}/api-keys`, { method: "POST", headers: A, body: JSON.stringify({ scopes: ["webhook:manage", "events:publish", "deliveries:read"] }) });
  return { hl, tenant, K: { authorization: `Bearer ${key}` } };
}

/** bench/results.json as it is (each bench rewrites only its own keys). */
export const readResults = () => (existsSync(join(here, "results.json")) ? JSON.parse(readFileSync(join(here, "results.json"), "utf8")) : {});

export const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : null; };
export const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

/**
 * wrangler dev for `config` on a free port. `restart()` stops it and starts it again over the same
 * persisted state (D1, Durable Objects) — what a deploy or a crash does; the local queue simulator
 * keeps its messages in memory, so callers restart only when no queue work is outstanding.
 */
export async function startWorker(config, vars, migrate) {
  const state = mkdtempSync(join(tmpdir(), "hookline-bench-"));
  const port = await freePort();
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  if (migrate) {
    const m = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--config", config, "--persist-to", state], { cwd: root, env, encoding: "utf8" });
    if (m.status !== 0) throw new Error(m.stdout + m.stderr);
  }
  const inspectorPort = await freePort();
  const args = ["dev", "--config", config, "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort),
    "--persist-to", state, "--show-interactive-dev-session=false", "--log-level", "error"];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const base = `http://127.0.0.1:${port}`;
  let child;
  const launch = async () => {
    child = spawn(wrangler, args, { cwd: root, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    let err = "";
    child.stderr.on("data", (b) => { err = (err + b).slice(-4000); });
    for (let i = 0; i < 400; i++) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited: ${err}`);
      try { if ((await fetch(base + "/")).status < 500) return; } catch {}
      await sleep(250);
    }
    throw new Error("wrangler dev did not answer within 100 s");
  };
  const kill = async () => {
    try { process.kill(-child.pid, "SIGTERM"); } catch {}
    await sleep(800);
    try { process.kill(-child.pid, "SIGKILL"); } catch {}
    await sleep(200);
  };
  await launch();
  return {
    base,
    /** wrangler dev's DevTools port (a CPU profile of the Worker and its objects: .scratch tools). */
    inspectorPort,
    get pgid() { return child.pid; },
    /** CPU seconds (user + system) used so far by this wrangler dev and everything it started (workerd). */
    cpuSeconds: () => processGroupCpu(child.pid),
    restart: async () => { await kill(); await launch(); },
    stop: async () => { await kill(); rmSync(state, { recursive: true, force: true }); },
  };
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a file (the README and
 * bench/RESULTS.md carry the figures of the last run), or appends the section when it is absent.
 */
export function replaceSection(path, name, body) {
  const section = `<!-- ${name}:start -->\n${body.trim()}\n<!-- ${name}:end -->\n`;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const re = new RegExp(`<!-- ${name}:start -->[\\s\\S]*?<!-- ${name}:end -->\\n?`);
  writeFileSync(path, re.test(text) ? text.replace(re, section) : text + (text.endsWith("\n") ? "\n" : "\n\n") + section);
}

/** Sum of utime + stime over the processes of a process group, from /proc (Linux), in seconds. */
export function processGroupCpu(pgid) {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${pid}/stat`, "utf8"); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd on
    if (Number(f[2]) !== pgid) continue; // field 5: process group
    ticks += Number(f[11]) + Number(f[12]); // fields 14, 15: utime, stime
  }
  return ticks / 100; // USER_HZ
}

export async function json(url, init = {}) {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init.headers ?? {}) } });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${init.method ?? "GET"} ${url} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

