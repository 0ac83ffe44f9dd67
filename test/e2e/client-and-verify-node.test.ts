/**
 * hookline/verify and hookline/client on the machine's own Node (issue 19): real deliveries from
 * Hookline under wrangler dev, in all seven formats, verified by test/verify-node.mjs run with the
 * first `node` on PATH outside node_modules (not the `node` devDependency that npm scripts use).
 * Also: the committed client types are what openapi-typescript makes of the committed document.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, it } from "vitest";
import { api, base, box, boxUrl, ok, script, seen, tenant, until } from "./client";

const root = join(import.meta.dirname, "..", "..");

/** The machine's Node: PATH without node_modules/.bin (where the `node` devDependency lives). */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    if (existsSync(join(dir, "node"))) return join(dir, "node");
  }
  throw new Error("no node on PATH outside node_modules");
}

describe("hookline/verify and hookline/client on the machine's Node", () => {
  it("src/client/schema.d.ts is openapi-typescript's output for src/client/openapi.json, which is the app's document", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts/gen-client.mjs"), "--check"], { cwd: root, encoding: "utf8" });
    expect(r.stderr + r.stdout).toContain("hookline/client matches /openapi.json");
    expect(r.status).toBe(0);
  });

  it("verifies real deliveries in all seven formats, refusing tampered, wrong-key and stale ones", async () => {
    const t = await tenant("verify-node");
    const formats = [
      { name: "standard v1", profile: "standard", hook: {}, key: (h: any) => h.secret, wrong: "whsec_" + btoa("w".repeat(32)) },
      { name: "standard v1a", profile: "standard", hook: { signature_scheme: "v1a" }, key: (h: any) => h.public_key, wrong: "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
      { name: "bimdata", profile: "bimdata", hook: { channels: ["88"] }, key: (h: any) => h.secret, wrong: "f".repeat(64) },
      { name: "itwin", profile: "itwin", hook: { validation: "none" }, key: (h: any) => h.secret, wrong: "f".repeat(64) },
      { name: "speckle", profile: "speckle", hook: { secret: "speckle-e2e-secret" }, key: (h: any) => h.secret, wrong: "f".repeat(64) },
      { name: "idfy", profile: "idfy", hook: {}, key: (h: any) => h.secret, wrong: "f".repeat(64) },
      { name: "propstack", profile: "propstack", hook: { secret: "propstack-e2e-secret" }, key: (h: any) => h.secret, wrong: "f".repeat(64) },
    ];
    const hooks = [];
    for (const f of formats) {
      const b = box(f.profile);
      await script(b, [], { status: 200 });
      const hook = await ok(api("/v1/hooks", { key: t.key, body: { url: boxUrl(b), profile: f.profile, events: ["*"], order_window_ms: 0, ...f.hook } }), 201);
      hooks.push({ ...f, box: b, hook });
    }
    await ok(api("/v1/events", { key: t.key, body: { type: "record_updated", channel: "88", changed_attributes: ["name"], data: { id: 7, name: "Villa 🌻" } } }), 202);

    const cases = [];
    for (const h of hooks) {
      const [r] = await until(() => seen(h.box), (log) => log.some((x) => x.method === "POST"), 60_000, `${h.name} delivery`);
      cases.push({ profile: h.profile, key: h.key(h.hook), wrongKey: h.wrong, headers: r!.headers, body: r!.body });
    }

    const node = machineNode();
    const run = spawnSync(node, [join(root, "test/verify-node.mjs")], {
      cwd: root, encoding: "utf8", input: JSON.stringify({ cases, api: { baseUrl: base(), apiKey: t.key, hookId: hooks[1]!.hook.id } }),
    });
    expect(run.stderr.replace(/.*ExperimentalWarning.*\n?|.*--trace-warnings.*\n?/g, "")).toBe("");
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);
    console.log(`hookline/verify and hookline/client ran on ${node} ${out.node}`);
    expect(Number(out.node.slice(1).split(".")[0])).toBeGreaterThanOrEqual(18);

    hooks.forEach((h, i) => {
      const r = out.results[i];
      expect(r.accepted, h.name).toMatchObject({ ok: true, profile: h.profile });
      expect(r.tampered.ok, h.name).toBe(false);
      expect(r.wrongKey, h.name).toMatchObject({ ok: false, reason: "signature_mismatch" });
      // only the standard profile signs a timestamp
      expect(r.stale, h.name).toMatchObject(h.profile === "standard" ? { ok: false, reason: "timestamp_too_old" } : { ok: true });
    });
    expect(out.results[1].accepted.scheme).toBe("v1a");
    expect(out.hook).toMatchObject({ id: hooks[1]!.hook.id, signature_scheme: "v1a", public_key: hooks[1]!.hook.public_key });
  });
});
