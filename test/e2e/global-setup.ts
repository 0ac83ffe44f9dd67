/**
 * End-to-end harness: Hookline under `wrangler dev` on a free localhost port (its own temporary
 * D1/DO/queue state, migrations applied), plus the scripted receiver on 127.0.0.1.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain ESM helper
import { startReceiver } from "../receiver.mjs";
import { freePort, killGroup, migrate, startWrangler } from "./wrangler";

declare module "vitest" {
  export interface ProvidedContext {
    hooklineUrl: string;
    adminToken: string;
    e2eReceiverPort: number;
  }
}

export default async function setup(project: TestProject) {
  const state = mkdtempSync(join(tmpdir(), "hookline-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const admin = `e2e_${randomBytes(12).toString("hex")}`;
  migrate(state);
  const receiver = await startReceiver();
  const { child } = await startWrangler({
    state, port,
    vars: { ADMIN_TOKEN: admin, ENCRYPTION_KEY: randomBytes(32).toString("base64"), PUBLIC_URL: base, ALLOW_PRIVATE_TARGETS: "true" },
  });
  project.provide("hooklineUrl", base);
  project.provide("adminToken", admin);
  project.provide("e2eReceiverPort", receiver.port);

  return async () => {
    killGroup(child, "SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    killGroup(child, "SIGKILL");
    receiver.server.closeAllConnections?.();
    await receiver.close();
    rmSync(state, { recursive: true, force: true });
  };
}
