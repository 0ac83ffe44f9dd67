/**
 * Issue 15, findings 8 and 11: what is sealed at rest, under which key, bound to what — and what a
 * GET shows of it.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { base64ToBytes, bytesToBase64, decryptSecret } from "../../src/core/crypto";
import { atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, received, testEnv, waitFor } from "../helpers";

type Row = { secret_enc: string; headers: string };
const rowOf = (id: string) => testEnv.DB.prepare("SELECT secret_enc, headers FROM hooks WHERE id = ?").bind(id).first<Row>() as Promise<Row>;

/** The envelope hook secrets had before issue 15: AES-GCM under the raw ENCRYPTION_KEY, no AAD. */
async function legacySeal(plaintext: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", base64ToBytes(testEnv.ENCRYPTION_KEY), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext));
  return `v1.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(ct))}`;
}

async function dailyCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), testEnv, ctx);
  await waitOnExecutionContext(ctx);
}

describe("finding 8: hook secrets are sealed per purpose and bound to their hook", () => {
  it("a hook's sealed secret opens only for that hook, and a dashboard session never opens as a secret", async () => {
    const t = await newTenant();
    const a = await createHook(t, { url: boxUrl(newBox("a")), events: ["never"] });
    const b = await createHook(t, { url: boxUrl(newBox("b")), events: ["never"] });
    const sealedA = (await rowOf(a.id)).secret_enc;
    expect(sealedA).not.toContain(a.secret.slice(6));
    expect(await decryptSecret(testEnv.ENCRYPTION_KEY, sealedA, a.id)).toBe(a.secret);
    await expect(decryptSecret(testEnv.ENCRYPTION_KEY, sealedA, b.id)).rejects.toThrow();
    await expect(decryptSecret(testEnv.ENCRYPTION_KEY, sealedA)).rejects.toThrow();

    const login = await call("/dashboard/login", { method: "POST", raw: `key=${t.key}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = decodeURIComponent(login.headers.get("set-cookie")!.split(";")[0]!.split("=").slice(1).join("="));
    await expect(decryptSecret(testEnv.ENCRYPTION_KEY, cookie, a.id)).rejects.toThrow();
    await expect(decryptSecret(testEnv.ENCRYPTION_KEY, cookie)).rejects.toThrow();
  });

  it("a secret row copied onto another hook does not sign its deliveries", async () => {
    const t = await newTenant();
    const boxA = newBox("ca");
    const boxB = newBox("cb");
    const a = await createHook(t, { url: boxUrl(boxA), events: ["never"] });
    const b = await createHook(t, { url: boxUrl(boxB), events: ["copy"], order_window_ms: 0, retry_schedule: [0] });
    await testEnv.DB.prepare("UPDATE hooks SET secret_enc = ?, updated_at = updated_at + 1 WHERE id = ?").bind((await rowOf(a.id)).secret_enc, b.id).run();
    // any config push carries the copied secret to the hook's object; a description change does one
    expect((await call(`/v1/hooks/${b.id}`, { method: "PATCH", key: t.key, body: { description: "copied" } })).status).toBe(200);
    await publish(t, { type: "copy" });
    // the delivery ends failed (a secret sealed for another hook does not open), and nothing
    // reached the receiver signed with A's secret
    await expect.poll(async () => (await json(call(`/v1/hooks/${b.id}/deliveries`, { key: t.key }))).data[0]?.status).toBe("failed");
    for (const r of await received(boxB)) expect(() => new Webhook(a.secret).verify(r.body, r.headers)).toThrow();
  });

  it("rows sealed the old way still deliver, and the daily cron re-seals them bound to their hook", async () => {
    const t = await newTenant();
    const box = newBox("legacy");
    const hook = await createHook(t, { url: boxUrl(box), events: ["legacy"], order_window_ms: 0 });
    const legacy = await legacySeal(hook.secret);
    await testEnv.DB.prepare("UPDATE hooks SET secret_enc = ?, headers = ?, updated_at = updated_at + 1 WHERE id = ?")
      .bind(legacy, JSON.stringify({ Authorization: "Bearer legacy-token" }), hook.id).run();
    // a config push carries the legacy row to the hook's object, as one stored before the change would be
    expect((await call(`/v1/hooks/${hook.id}`, { method: "PATCH", key: t.key, body: { description: "legacy row" } })).status).toBe(200);
    expect((await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).headers).toEqual({ Authorization: "********" });
    await publish(t, { type: "legacy", data: { n: 1 } });
    const [old] = await waitFor(box, atLeast(1));
    expect(old!.headers.authorization).toBe("Bearer legacy-token");
    expect(new Webhook(hook.secret).verify(old!.body, old!.headers)).toMatchObject({ type: "legacy" });

    await dailyCron();
    const row = await rowOf(hook.id);
    expect(row.secret_enc).toMatch(/^v2\./);
    expect(await decryptSecret(testEnv.ENCRYPTION_KEY, row.secret_enc, hook.id)).toBe(hook.secret);
    expect(row.headers).not.toContain("legacy-token");
    // the re-sealed row signs and sends the same
    expect((await call(`/v1/hooks/${hook.id}`, { method: "PATCH", key: t.key, body: { description: "re-sealed" } })).status).toBe(200);
    await publish(t, { type: "legacy", data: { n: 2 } });
    const log = await waitFor(box, atLeast(2));
    expect(log[1]!.headers.authorization).toBe("Bearer legacy-token");
    expect(new Webhook(hook.secret).verify(log[1]!.body, log[1]!.headers)).toMatchObject({ data: { n: 2 } });
  });
});

describe("finding 11: custom header values are sealed and masked; network-level names are reserved", () => {
  it("stores values sealed, shows them masked, sends them as given, and keeps a masked value on PATCH", async () => {
    const t = await newTenant();
    const box = newBox("hdr");
    const headers = { Authorization: "Bearer tok_live_123", "X-Api-Key": "k-999", "X-Team": "blue" };
    const created = await createHook(t, { url: boxUrl(box), events: ["h"], order_window_ms: 0, headers });
    const masked = { Authorization: "********", "X-Api-Key": "********", "X-Team": "********" };
    expect(created.headers).toEqual(masked);
    expect((await json(call(`/v1/hooks/${created.id}`, { key: t.key }))).headers).toEqual(masked);
    const listed = await call("/v1/hooks", { key: t.key });
    const text = await listed.text();
    for (const v of Object.values(headers)) expect(text).not.toContain(v);
    const row = await rowOf(created.id);
    for (const v of Object.values(headers)) expect(row.headers).not.toContain(v);

    await publish(t, { type: "h" });
    const [first] = await waitFor(box, atLeast(1));
    expect(first!.headers).toMatchObject({ authorization: "Bearer tok_live_123", "x-api-key": "k-999", "x-team": "blue" });

    // GET → change one → PATCH back: the masked ones keep their values
    const patched = await call(`/v1/hooks/${created.id}`, { method: "PATCH", key: t.key, body: { headers: { ...masked, "X-Team": "red" } } });
    expect(patched.status, await patched.clone().text()).toBe(200);
    await publish(t, { type: "h" });
    const log = await waitFor(box, atLeast(2));
    expect(log[1]!.headers).toMatchObject({ authorization: "Bearer tok_live_123", "x-api-key": "k-999", "x-team": "red" });

    // the mask for a header the hook does not have is refused, not sent as stars
    const bad = await call(`/v1/hooks/${created.id}`, { method: "PATCH", key: t.key, body: { headers: { "X-New": "********" } } });
    expect(bad.status).toBe(422);
    expect((await bad.json<any>()).errors[0].loc).toEqual(["body", "headers", "X-New"]);
  });

  it.each([
    "Content-Encoding", "content-encoding", "CF-Connecting-IP", "cf-worker", "CF-Ray", "cf-access-client-secret",
    "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
  ])("refuses the reserved header name %s", async (name) => {
    const t = await newTenant();
    const res = await call("/v1/hooks", { key: t.key, body: { url: boxUrl(newBox("r")), headers: { [name]: "x" } } });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect((await res.json<any>()).errors[0].loc.slice(0, 2)).toEqual(["body", "headers"]);
  });
});
