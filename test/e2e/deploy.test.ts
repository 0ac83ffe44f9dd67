import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("deployment config", () => {
  it.each([
    { label: "(top level, a plain deploy)", envArgs: [] as string[] },
    { label: "--env production", envArgs: ["--env", "production"] },
  ])("`wrangler deploy --dry-run` $label bundles a production-safe Worker without network", ({ envArgs }) => {
    const out = mkdtempSync(join(tmpdir(), "hookline-dry-"));
    const root = join(import.meta.dirname, "..", "..");
    const res = spawnSync(join(root, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", ...envArgs, "--outdir", out], {
      cwd: root, encoding: "utf8", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" }, timeout: 120_000,
    });
    try {
      expect(res.status, res.stdout + res.stderr).toBe(0);
      expect(res.stdout).toMatch(/--dry-run: exiting now/);
      expect(res.stdout).toMatch(/ENDPOINTS \(EndpointDO\)/);
      expect(res.stdout).toMatch(/ALLOW_PRIVATE_TARGETS \("false"\)/);
      expect(readdirSync(out).some((f) => f.endsWith(".js"))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
