/** Hookline under `wrangler dev` for the e2e suite: started in its own process group, state kept in `state`. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** Applies the D1 migrations to the local state in `state`. */
export function migrate(state: string) {
  const r = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: root, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`migrations failed: ${r.stdout}\n${r.stderr}`);
}

export interface Wrangler {
  child: ChildProcess;
  /** The last 200 chunks of its output. */
  logs: string[];
}

/** Starts `wrangler dev` on 127.0.0.1:`port` with `vars`, state persisted in `state`, and waits until it answers. */
export async function startWrangler(opts: { state: string; port: number; vars: Record<string, string> }): Promise<Wrangler> {
  const inspector = await freePort();
  const child = spawn(wrangler, [
    "dev", "--port", String(opts.port), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", opts.state,
    "--test-scheduled", "--show-interactive-dev-session=false", "--log-level", "warn",
    ...Object.entries(opts.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const keep = (b: Buffer) => {
    logs.push(b.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  try {
    await waitReady(`http://127.0.0.1:${opts.port}/`, child);
  } catch (err) {
    killGroup(child, "SIGKILL");
    throw new Error(`${(err as Error).message}\n${logs.join("")}`);
  }
  return { child, logs };
}

/** Signals wrangler and every process it started (workerd). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

async function waitReady(url: string, child: ChildProcess, ms = 90_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${ms} ms`);
}
