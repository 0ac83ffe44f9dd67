/**
 * Issue 15, findings 12, 13 and 14: what Hookline keeps or logs that it should not, and what its
 * documentation promised about hex-signed profiles.
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bytesToHex, hmacSha256 } from "../../src/core/crypto";
import { db } from "../../src/db/hooks";
import { toProblemResponse } from "../../src/errors";
import { atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, script, testEnv, waitFor } from "../helpers";

afterEach(() => vi.restoreAllMocks());

const hexHmac = async (secret: string, body: string) => bytesToHex(await hmacSha256(new TextEncoder().encode(secret), body));

function captureLogs(): string[] {
  const lines: string[] = [];
  for (const m of ["log", "warn", "error", "info", "debug"] as const) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

describe("finding 12: handshake reply headers are stored cut", () => {
  it("keeps at most 200 characters of WebHook-Allowed-Origin and Allow from a 16 KB reply", async () => {
    const t = await newTenant();
    const box = newBox("hsbig");
    const origin = `https://${"a".repeat(16_000)}.example`;
    const allow = `POST, ${"X-LONG-METHOD, ".repeat(1000)}OPTIONS`;
    await script(box, [{ status: 200, headers: { "webhook-allowed-origin": origin, allow } }], { status: 200 });
    const lines = captureLogs();
    const hook = await createHook(t, { url: boxUrl(box), validation: "handshake", events: ["never"] });
    await waitFor(box, (l) => l.some((r) => r.method === "OPTIONS"));
    let note = "";
    await expect.poll(async () => (note = (await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).validation_note ?? "")).toMatch(/refused/);
    expect(note.length).toBeLessThan(1000);
    expect(note).toContain(`WebHook-Allowed-Origin: https://${"a".repeat(100)}`);
    expect(note).toContain("…");
    const row = await testEnv.DB.prepare("SELECT validation_note FROM hooks WHERE id = ?").bind(hook.id).first<{ validation_note: string }>();
    expect(row!.validation_note.length).toBeLessThan(1000);
    for (const line of lines) expect(line.length).toBeLessThan(2000);
  });
});

describe("finding 13: secrets and bound parameters stay out of logs", () => {
  it("Propstack hooks take the secret in a form or JSON body (not only the logged query string)", async () => {
    const t = await newTenant();
    const secret = "propstack-body-secret";
    const box = newBox("psbody");
    await script(box, [], { status: 200 }, { profile: "propstack", secrets: [secret] });
    const form = new URLSearchParams({ target_url: boxUrl(box), event: "client_created", secret }).toString();
    const res = await call("/compat/propstack/v1/hooks", { method: "POST", raw: form, headers: { "x-api-key": t.manageKey, "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status, await res.clone().text()).toBe(200);
    const box2 = newBox("psjson");
    await script(box2, [], { status: 200 }, { profile: "propstack", secrets: [secret] });
    const res2 = await call("/compat/propstack/v1/hooks", { method: "POST", body: { target_url: boxUrl(box2), event: "client_created", secret }, headers: { "x-api-key": t.manageKey } });
    expect(res2.status).toBe(200);
    await publish(t, { type: "client_created", data: { id: 1 } });
    for (const b of [box, box2]) {
      const [r] = await waitFor(b, atLeast(1));
      expect(r!.headers["x-propstack-signature"]).toBe(await hexHmac(secret, r!.body));
    }
  });

  it("an unhandled database error is logged by name and code, without the statement's bound parameters", async () => {
    const secret = "whsec_do-not-log-me-0123456789";
    let thrown: unknown;
    try {
      await db(testEnv.DB).run(sql`SELECT * FROM no_such_table WHERE secret = ${secret}`);
    } catch (err) {
      thrown = err;
    }
    expect(String(thrown)).toContain(secret); // what used to be logged
    const lines = captureLogs();
    const res = toProblemResponse(thrown, "/v1/hooks");
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(secret);
    expect(lines.length).toBe(1);
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).not.toContain("no_such_table");
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "error", msg: "unhandled", error: expect.any(String) });
  });
});

describe("finding 14: hex profiles sign no timestamp, and the API says so", () => {
  it("the rotate-secret route promises a 24 h overlap for standard hooks only", async () => {
    const doc = await json(call("/openapi.json"));
    const op = doc.paths["/v1/hooks/{id}/rotate-secret"].post;
    const text = `${op.summary} ${op.description ?? ""}`;
    expect(text).toMatch(/standard/);
    expect(text).toMatch(/bimdata, itwin, speckle, idfy and propstack sign with the new secret at once/);
    expect(text).toMatch(/replay/i);
  });

  it("a hex-profile request replayed later still verifies (what the docs warn receivers about)", async () => {
    const t = await newTenant();
    const box = newBox("replay");
    const hook = await createHook(t, { url: boxUrl(box), profile: "bimdata", events: ["x"], order_window_ms: 0 });
    await publish(t, { type: "x", data: { n: 1 } });
    const [r] = await waitFor(box, atLeast(1));
    // the signature covers the body only: nothing in it ages
    expect(r!.headers["x-bimdata-signature"]).toBe(await hexHmac(hook.secret, r!.body));
    expect(r!.body).not.toMatch(/"timestamp"/);
  });
});
