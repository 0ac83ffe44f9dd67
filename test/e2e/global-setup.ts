/**
 * End-to-end harness: Hookline under `wrangler dev` on a free localhost port (its own temporary
 * D1/DO/queue state, migrations applied), plus the scripted receiver on 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper
import { startReceiver } from "../receiver.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    hooklineUrl: string;
    adminToken: string;
    e2eReceiverPort: number;
  }
}

const root = join(import.meta.dirname, "..", "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
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

export default async function setup(project: TestProject) {
  const state = mkdtempSync(join(tmpdir(), "hookline-e2e-"));
  const port = await freePort();
  const inspector = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const admin = `e2e_${randomBytes(12).toString("hex")}`;
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

  const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { cwd: root, env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stdout}\n${migrate.stderr}`);

  const logs: string[] = [];
  const child = spawn(wrangler, [
    "dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", state,
    "--test-scheduled", "--show-interactive-dev-session=false", "--log-level", "warn",
    "--var", `ADMIN_TOKEN:${admin}`, "--var", `ENCRYPTION_KEY:${randomBytes(32).toString("base64")}`,
    "--var", `PUBLIC_URL:${base}`, "--var", "ALLOW_PRIVATE_TARGETS:true",
  ], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (b: Buffer) => {
    logs.push(b.toString());
    if (logs.length > 200) logs.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);

  const receiver = await startReceiver();
  try {
    await waitReady(`${base}/`, child);
  } catch (err) {
    process.kill(-child.pid!, "SIGKILL");
    throw new Error(`${(err as Error).message}\n${logs.join("")}`);
  }
  project.provide("hooklineUrl", base);
  project.provide("adminToken", admin);
  project.provide("e2eReceiverPort", receiver.port);

  return async () => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    receiver.server.closeAllConnections?.();
    await receiver.close();
    rmSync(state, { recursive: true, force: true });
  };
}
