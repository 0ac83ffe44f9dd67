/**
 * Standard Webhooks v1a (issue 19): per-hook Ed25519 keys, `signature_scheme` v1 | v1a | both,
 * the public-key endpoint and rotation with grace. Deliveries are checked by the receiver with an
 * independent Ed25519 verifier written from the spec (node:crypto, test/seed-verifiers.mjs), and
 * v1 entries with the published standardwebhooks package.
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verify } from "hookline/verify";
import { getHook, toHookConfig } from "../../src/db/hooks";
import { signingSecrets } from "../../src/queue/send";
import { standard } from "../../src/core/profiles/standard";
import {
  atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, received, script, testEnv, waitFor, type Received, type Tenant,
} from "../helpers";

const posts = (log: Received[]) => log.filter((r) => r.method === "POST");
const entries = (r: Received) => r.headers["webhook-signature"]!.split(" ");

/** A hook whose box answers 401 unless the spec-written v1a check passes for one of `keys`. */
async function v1aHook(t: Tenant, extra: Record<string, unknown> = {}) {
  const box = newBox("v1a");
  const hook = await createHook(t, { url: boxUrl(box), signature_scheme: "v1a", order_window_ms: 0, ...extra });
  await script(box, [], { status: 200 }, { profile: "standard-v1a", secrets: [hook.public_key] });
  return { box, hook };
}

async function rowOf(hookId: string) {
  return testEnv.DB.prepare("SELECT * FROM hooks WHERE id = ?").bind(hookId).first<Record<string, any>>();
}

describe("signature_scheme v1a", () => {
  it("a v1a hook gets its own whpk_ key, no secret, and deliveries verify with an independent Ed25519 check", async () => {
    const t = await newTenant();
    const { box, hook } = await v1aHook(t);
    expect(hook).toMatchObject({ signature_scheme: "v1a", secret: null, has_secret: false });
    expect(hook.public_key).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const other = await v1aHook(t);
    expect(other.hook.public_key).not.toBe(hook.public_key);

    // the private key never leaves Hookline
    const views = [JSON.stringify(hook), await (await call(`/v1/hooks/${hook.id}`, { key: t.key })).text(), await (await call("/v1/hooks", { key: t.key })).text()];
    for (const v of views) expect(v).not.toContain("whsk_");
    const key = await json(call(`/v1/hooks/${hook.id}/public-key`, { key: t.key }));
    expect(key).toEqual({ signature_scheme: "v1a", public_key: hook.public_key, previous_public_key: null, previous_valid_until: null });
    expect((await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).public_key).toBe(hook.public_key);

    await publish(t, { type: "order.created", data: { id: "42", total: 99.5 } });
    const [r] = posts(await waitFor(box, atLeast(1)));
    expect(r!.status).toBe(200);
    // the spec-written node:crypto check: accepts, refuses a tampered body and another public key
    expect(r!.verified).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
    expect(entries(r!)).toHaveLength(1);
    expect(entries(r!)[0]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(await verify("standard", hook.public_key, r!.headers, r!.body)).toMatchObject({ ok: true, scheme: "v1a", id: r!.headers["webhook-id"] });
    expect(await verify("standard", other.hook.public_key, r!.headers, r!.body)).toMatchObject({ ok: false, reason: "signature_mismatch" });
  });

  it("the private key is sealed at rest; a request signed with it and a stale timestamp is refused by the receiver", async () => {
    const t = await newTenant();
    const { box, hook } = await v1aHook(t);
    const row = (await rowOf(hook.id))!;
    expect(row.public_key).toBe(hook.public_key);
    expect(row.signing_key_enc).toMatch(/^v\d\./);
    expect(row.signing_key_enc).not.toContain("whsk_");
    // opened the way the delivery consumer opens it
    const signing = await signingSecrets(testEnv, toHookConfig((await getHook(testEnv.DB, t.id, hook.id))!), Date.now());
    expect(signing).toHaveLength(1);
    const whsk = signing[0]!;
    expect(whsk).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);

    // the same key, signing as Hookline would: fresh → accepted, 10 minutes old → refused
    const send = async (sentAt: number) => {
      const body = JSON.stringify({ type: "replay.test", timestamp: new Date(sentAt).toISOString(), data: null });
      const sig = await standard.sign([whsk], body, { id: "evt_replay", type: "replay.test", timestamp: sentAt, data: null }, sentAt);
      const headers = { "content-type": "application/json", "webhook-id": "evt_replay", "webhook-timestamp": String(Math.floor(sentAt / 1000)), ...sig };
      return { res: await fetch(boxUrl(box), { method: "POST", headers, body }), headers, body };
    };
    expect((await send(Date.now())).res.status).toBe(200);
    const stale = await send(Date.now() - 10 * 60_000);
    expect(stale.res.status).toBe(401);
    expect(posts(await received(box)).map((r) => r.verified?.bySecret[0])).toEqual([true, false]);
    expect(await verify("standard", hook.public_key, stale.headers, stale.body)).toMatchObject({ ok: false, reason: "timestamp_too_old" });
  });

  it("scheme both sends v1 and v1a: the standardwebhooks package checks v1, the Ed25519 check v1a", async () => {
    const t = await newTenant();
    const { box, hook } = await v1aHook(t, { signature_scheme: "both" });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.has_secret).toBe(true);
    await publish(t, { type: "order.created", data: { id: "1" } });
    const [r] = posts(await waitFor(box, atLeast(1)));
    expect(r!.verified).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
    expect(entries(r!).map((e) => e.split(",")[0])).toEqual(["v1", "v1a"]);
    expect(() => new Webhook(hook.secret).verify(r!.body, r!.headers)).not.toThrow();
    expect(await verify("standard", hook.secret, r!.headers, r!.body)).toMatchObject({ ok: true, scheme: "v1" });
    expect(await verify("standard", hook.public_key, r!.headers, r!.body)).toMatchObject({ ok: true, scheme: "v1a" });
  });

  it("rotation keeps the old key signing during the grace period, then only the new one", async () => {
    const t = await newTenant();
    const { box, hook } = await v1aHook(t);
    const oldKey = hook.public_key as string;

    const rotated = await json(call(`/v1/hooks/${hook.id}/rotate-secret`, { key: t.key, method: "POST" }));
    expect(rotated.secret).toBeNull();
    expect(rotated.public_key).toMatch(/^whpk_/);
    expect(rotated.public_key).not.toBe(oldKey);
    const newKey = rotated.public_key as string;
    const keyInfo = await json(call(`/v1/hooks/${hook.id}/public-key`, { key: t.key }));
    expect(keyInfo).toMatchObject({ public_key: newKey, previous_public_key: oldKey });
    expect(Date.parse(keyInfo.previous_valid_until)).toBeGreaterThan(Date.now() + 23 * 3600_000);

    // during the grace period: two v1a signatures, each verified by its own key
    await script(box, [], { status: 200 }, { profile: "standard-v1a", secrets: [oldKey, newKey] });
    await publish(t, { type: "order.created", data: { n: 1 } });
    const during = posts(await waitFor(box, atLeast(1)))[0]!;
    expect(entries(during).map((e) => e.split(",")[0])).toEqual(["v1a", "v1a"]);
    expect(during.verified!.bySecret).toEqual([true, true]);

    // the grace period ends (moved into the past in D1; any update pushes the config to the DO)
    await testEnv.DB.prepare("UPDATE hooks SET prev_secret_until = ? WHERE id = ?").bind(Date.now() - 1000, hook.id).run();
    expect((await call(`/v1/hooks/${hook.id}`, { key: t.key, method: "PATCH", body: { description: "after grace" } })).status).toBe(200);
    expect(await json(call(`/v1/hooks/${hook.id}/public-key`, { key: t.key }))).toMatchObject({ public_key: newKey, previous_public_key: null, previous_valid_until: null });

    await publish(t, { type: "order.created", data: { n: 2 } });
    const after = posts(await waitFor(box, atLeast(2)))[1]!;
    expect(entries(after)).toHaveLength(1);
    // the rotated-out key no longer verifies anything
    expect(after.verified!.bySecret).toEqual([false, true]);
    expect(await verify("standard", oldKey, after.headers, after.body)).toMatchObject({ ok: false, reason: "signature_mismatch" });
    expect(await verify("standard", newKey, after.headers, after.body)).toMatchObject({ ok: true, scheme: "v1a" });
  });

  it("PATCH signature_scheme: v1 → both adds a key pair; v1a → v1 issues the secret once", async () => {
    const t = await newTenant();
    const box = newBox("sw");
    const hook = await createHook(t, { url: boxUrl(box), order_window_ms: 0 });
    expect(hook).toMatchObject({ signature_scheme: "v1", public_key: null });
    expect((await call(`/v1/hooks/${hook.id}/public-key`, { key: t.key })).status).toBe(404);

    const both = await json(call(`/v1/hooks/${hook.id}`, { key: t.key, method: "PATCH", body: { signature_scheme: "both" } }));
    expect(both).toMatchObject({ signature_scheme: "both", has_secret: true });
    expect(both.public_key).toMatch(/^whpk_/);
    expect(both.secret).toBeUndefined(); // it already had one
    await script(box, [], { status: 200 }, { profile: "standard", secrets: [hook.secret] });
    await publish(t, { type: "order.created" });
    const [r] = posts(await waitFor(box, atLeast(1)));
    expect(r!.verified!.bySecret).toEqual([true]);
    expect(await verify("standard", both.public_key, r!.headers, r!.body)).toMatchObject({ ok: true, scheme: "v1a" });

    const { hook: a } = await v1aHook(t);
    const toV1 = await json(call(`/v1/hooks/${a.id}`, { key: t.key, method: "PATCH", body: { signature_scheme: "v1" } }));
    expect(toV1).toMatchObject({ signature_scheme: "v1", has_secret: true });
    expect(toV1.secret).toMatch(/^whsec_/);
    const again = await json(call(`/v1/hooks/${a.id}`, { key: t.key, method: "PATCH", body: { signature_scheme: "v1" } }));
    expect(again.secret).toBeUndefined();
  });

  it("bad input is a problem+json 4xx", async () => {
    const t = await newTenant();
    const url = "http://127.0.0.1:9/none";
    const problem = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      return res.json<any>();
    };
    const p1 = await problem(await call("/v1/hooks", { key: t.key, body: { url, profile: "bimdata", signature_scheme: "v1a" } }), 422);
    expect(p1.errors).toEqual([{ loc: ["body", "signature_scheme"], msg: "only the standard profile signs v1a" }]);
    await problem(await call("/v1/hooks", { key: t.key, body: { url, signature_scheme: "v2" } }), 422);
    const p3 = await problem(await call("/v1/hooks", { key: t.key, body: { url, signature_scheme: "v1a", secret: "whsec_" + btoa("k".repeat(32)) } }), 422);
    expect(p3.errors[0].loc).toEqual(["body", "secret"]);
    const { hook } = await v1aHook(t);
    await problem(await call(`/v1/hooks/${hook.id}/rotate-secret`, { key: t.key, body: { secret: "whsec_" + btoa("k".repeat(32)) } }), 422);
    const seed = await createHook(t, { url, profile: "idfy" });
    await problem(await call(`/v1/hooks/${seed.id}`, { key: t.key, method: "PATCH", body: { signature_scheme: "both" } }), 422);
    const p404 = await problem(await call(`/v1/hooks/${seed.id}/public-key`, { key: t.key }), 404);
    expect(p404.type).toBe("https://hookline.dev/problems/no-public-key");
    const stranger = await newTenant();
    await problem(await call(`/v1/hooks/${hook.id}/public-key`, { key: stranger.key }), 404);
    await problem(await call(`/v1/hooks/${hook.id}/public-key`, { key: t.publishKey }), 403);
  });
});

describe("the dashboard", () => {
  it("shows a v1a hook's public key on its page, and none for a v1 hook", async () => {
    const t = await newTenant();
    const { hook } = await v1aHook(t, { signature_scheme: "both" });
    const v1 = await createHook(t, { url: boxUrl(newBox("plain")) });
    const login = await call("/dashboard/login", { method: "POST", raw: new URLSearchParams({ key: t.key }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const page = await (await call(`/dashboard/hooks/${hook.id}`, { headers: { cookie } })).text();
    expect(page).toContain(`data-public-key="true">${hook.public_key}</code>`);
    expect(page).toContain("v1 and v1a");
    const plain = await (await call(`/dashboard/hooks/${v1.id}`, { headers: { cookie } })).text();
    expect(plain).not.toContain("data-public-key");
  });
});

describe("hookline/verify accepts real deliveries in all seven formats", () => {
  it("standard v1, standard v1a, bimdata, itwin, speckle, idfy and propstack", async () => {
    const t = await newTenant();
    const cases = [
      { profile: "standard", hook: {}, key: (h: any) => h.secret, seed: "standard" },
      { profile: "standard", hook: { signature_scheme: "v1a" }, key: (h: any) => h.public_key, seed: "standard-v1a" },
      { profile: "bimdata", hook: { channels: ["88"] }, key: (h: any) => h.secret, seed: "bimdata" },
      { profile: "itwin", hook: { validation: "none" }, key: (h: any) => h.secret, seed: "itwin" },
      { profile: "speckle", hook: { secret: "speckle-secret-1" }, key: (h: any) => h.secret, seed: "speckle" },
      { profile: "idfy", hook: {}, key: (h: any) => h.secret, seed: "idfy" },
      { profile: "propstack", hook: { secret: "propstack-secret-1" }, key: (h: any) => h.secret, seed: "propstack" },
    ];
    const made = [];
    for (const c of cases) {
      const box = newBox(c.seed.replace("-", ""));
      const hook = await createHook(t, { url: boxUrl(box), profile: c.profile, events: ["*"], order_window_ms: 0, ...c.hook });
      await script(box, [], { status: 200 }, { profile: c.seed, secrets: [c.key(hook)] });
      made.push({ ...c, box, hook });
    }
    await publish(t, { type: "record_updated", channel: "88", changed_attributes: ["name"], data: { id: 7, name: "Villa 🌻" } });
    for (const m of made) {
      const [r] = posts(await waitFor(m.box, atLeast(1)));
      expect(r!.verified, m.seed).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
      const ok = await verify(m.profile as "standard", m.key(m.hook), r!.headers, r!.body);
      expect(ok, m.seed).toMatchObject({ ok: true, profile: m.profile, scheme: m.seed === "standard" ? "v1" : m.seed === "standard-v1a" ? "v1a" : "hmac-sha256" });
      const tampered = r!.body.replace("Villa", "Vill4");
      expect((await verify(m.profile as "standard", m.key(m.hook), r!.headers, tampered)).ok, m.seed).toBe(false);
    }
  });
});
