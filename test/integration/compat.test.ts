import { describe, expect, it } from "vitest";
import {
  atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, received, script, testEnv, waitFor, type Received,
} from "../helpers";

const ORIGIN = "hookline.test";
const verifiedOk = (r: Received) => {
  expect(r.status).toBe(200);
  expect(r.verified!.bySecret).toEqual([true]);
  expect(r.verified!.tampered).toEqual([false]);
};

describe("Propstack façade", () => {
  it("POST ?target_url&event → {id}, GET → {hooks:[…CLIENT_CREATED…]}, a signed delivery, DELETE → {ok:true}", async () => {
    const t = await newTenant();
    const box = newBox("ps");
    const secret = "propstack-secret-key";
    await script(box, [], { status: 200 }, { profile: "propstack", secrets: [secret] });
    const url = boxUrl(box, "ps-hook");
    const res = await call(`/compat/propstack/v1/hooks?target_url=${encodeURIComponent(url)}&event=client_created&secret=${secret}`, {
      method: "POST", headers: { "x-api-key": t.manageKey },
    });
    expect(res.status).toBe(200);
    const { id } = await res.json<{ id: number }>();
    expect(Number.isInteger(id)).toBe(true);
    expect(await json(call("/compat/propstack/v1/hooks", { headers: { "x-api-key": t.manageKey } }))).toEqual({
      hooks: [{ id, event: "CLIENT_CREATED", target_url: url }],
    });

    await publish(t, { type: "client_created", data: { id: 77, first_name: "Erika", last_name: "Mustermann" } });
    const [r] = await waitFor(box, atLeast(1));
    verifiedOk(r!);
    expect(JSON.parse(r!.body)).toEqual({ id: 77, first_name: "Erika", last_name: "Mustermann" });

    // the same hook through /v1
    const v1 = (await json(call("/v1/hooks", { key: t.key }))).data;
    expect(v1).toHaveLength(1);
    expect(v1[0]).toMatchObject({ alias: String(id), url, profile: "propstack", events: ["client_created"], has_secret: true });

    expect(await json(call(`/compat/propstack/v1/hooks/${id}`, { method: "DELETE", headers: { "x-api-key": t.manageKey } }))).toEqual({ ok: true });
    expect((await json(call("/v1/hooks", { key: t.key }))).data).toEqual([]);
  });

  it("lists hooks made through /v1 with a numeric id too", async () => {
    const t = await newTenant();
    const hook = await createHook(t, { url: boxUrl(newBox("v1ps")), profile: "propstack", events: ["property_updated"], secret: null });
    const list = await json(call("/compat/propstack/v1/hooks", { key: t.manageKey }));
    expect(list.hooks).toEqual([{ id: expect.any(Number), event: "PROPERTY_UPDATED", target_url: hook.url }]);
    expect((await json(call(`/v1/hooks/${hook.id}`, { key: t.key }))).alias).toBe(String(list.hooks[0].id));
  });
});

describe("iTwin façade", () => {
  it("creates {webhook:{id: uuid, secret: 64 hex}}, validates with OPTIONS, delivers a signed event, updates and deletes", async () => {
    const t = await newTenant();
    const box = newBox("itw");
    await script(box, [{ status: 200, headers: { "webhook-allowed-origin": ORIGIN, allow: "POST" } }], { status: 200 });
    const res = await call("/compat/itwin/webhooks", {
      key: t.manageKey, body: { callbackUrl: boxUrl(box), eventTypes: ["iModelDeletedEvent", "NamedVersionCreatedEvent"] },
    });
    expect(res.status).toBe(201);
    const { webhook } = await res.json<any>();
    expect(webhook.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(webhook.expirationDateTime) - Date.now()).toBeGreaterThan(29 * 86_400_000); // 30-day default
    await waitFor(box, (l) => l.some((r) => r.method === "OPTIONS"));
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [webhook.secret] });
    await expect.poll(async () => (await json(call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey }))).webhook.active).toBe(true);

    await publish(t, { type: "iModelDeletedEvent", channel: "itwin-1", data: { iModelId: "m-1" } });
    const log = await waitFor(box, (l) => l.some((r) => r.method === "POST"));
    const post = log.find((r) => r.method === "POST")!;
    verifiedOk(post);
    expect(JSON.parse(post.body)).toMatchObject({ eventType: "iModelDeletedEvent", content: { iModelId: "m-1" } });
    expect(post.headers["signature"]).toMatch(/^sha256=/);

    const off = await json(call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, body: { active: false } }));
    expect(off.webhook.active).toBe(false);
    const [v1] = (await json(call("/v1/hooks", { key: t.key }))).data;
    expect(v1).toMatchObject({ alias: webhook.id, enabled: false, profile: "itwin", events: ["iModelDeletedEvent", "NamedVersionCreatedEvent"] });
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "DELETE", key: t.manageKey })).status).toBe(204);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey })).status).toBe(404);
  });
});

describe("BIMData façade", () => {
  it("CRUD on /cloud/:cloud/webhook and a delivery the BIMData snippet accepts", async () => {
    const t = await newTenant();
    const box = newBox("bim");
    const secret = "bimdata-shared-secret";
    await script(box, [], { status: 200 }, { profile: "bimdata", secrets: [secret] });
    const res = await call("/compat/bimdata/cloud/88/webhook", { key: t.manageKey, body: { url: boxUrl(box), events: ["bcf.topic.creation"], secret } });
    expect(res.status).toBe(201);
    const created = await res.json<any>();
    expect(created).toMatchObject({ id: expect.any(Number), url: boxUrl(box), events: ["bcf.topic.creation"], cloud_id: 88, secret });
    expect(await json(call("/compat/bimdata/cloud/88/webhook", { key: t.manageKey }))).toEqual([{ id: created.id, url: boxUrl(box), events: ["bcf.topic.creation"], cloud_id: 88 }]);
    expect(await json(call("/compat/bimdata/cloud/89/webhook", { key: t.manageKey }))).toEqual([]);

    await publish(t, { type: "bcf.topic.creation", channel: "88", data: { guid: "t1" } });
    await publish(t, { type: "bcf.topic.creation", channel: "89", data: { guid: "other cloud" } });
    const [r] = await waitFor(box, atLeast(1));
    verifiedOk(r!);
    expect(JSON.parse(r!.body)).toEqual({ event_name: "bcf.topic.creation", cloud_id: 88, data: { guid: "t1" } });

    const patched = await json(call(`/compat/bimdata/cloud/88/webhook/${created.id}`, { method: "PATCH", key: t.manageKey, body: { events: ["bcf.topic.update"] } }));
    expect(patched.events).toEqual(["bcf.topic.update"]);
    expect((await json(call("/v1/hooks", { key: t.key }))).data[0]).toMatchObject({ channels: ["88"], events: ["bcf.topic.update"], profile: "bimdata" });
    expect((await call(`/compat/bimdata/cloud/89/webhook/${created.id}`, { key: t.manageKey })).status).toBe(404);
    expect((await call(`/compat/bimdata/cloud/88/webhook/${created.id}`, { method: "DELETE", key: t.manageKey })).status).toBe(204);
    await new Promise((res2) => setTimeout(res2, 300));
    expect((await received(box)).length).toBe(1);
  });
});

describe("Speckle per-stream webhooks", () => {
  it("creates with url/description/secret/triggers/enabled, delivers a signed payload, lists the stream's hooks with history", async () => {
    const t = await newTenant();
    const box = newBox("spk");
    await script(box, [], { status: 200 }, { profile: "speckle", secrets: ["speckle-secret"] });
    const res = await call("/compat/speckle/streams/48364aff6b/webhooks", {
      key: t.manageKey, body: { url: boxUrl(box), description: "CI", secret: "speckle-secret", triggers: ["stream_update", "commit_create"], enabled: true },
    });
    expect(res.status).toBe(201);
    const hook = await res.json<any>();
    await publish(t, { type: "stream_update", channel: "48364aff6b", actor: "1234abcdef", summary: "Stream metadata changed", data: { new: { name: "x" } } });
    const [r] = await waitFor(box, atLeast(1));
    verifiedOk(r!);
    await new Promise((res2) => setTimeout(res2, 300));
    const list = await json(call("/compat/speckle/streams/48364aff6b/webhooks", { key: t.manageKey }));
    expect(list.webhooks.items).toHaveLength(1);
    expect(list.webhooks.items[0]).toMatchObject({ id: hook.id, description: "CI", triggers: ["stream_update", "commit_create"], enabled: true, hasSecret: true });
    expect(list.webhooks.items[0].history.items).toEqual([expect.objectContaining({ event: "stream_update", status: "succeeded", statusInfo: "OK" })]);
    expect((await json(call("/compat/speckle/streams/otherstream/webhooks", { key: t.manageKey }))).webhooks.items).toEqual([]);
  });
});

describe("Idfy one-off targets", () => {
  it("an event with an inline target is delivered signed with X-Idfy-Signature, retried, visible in history, and leaves no hook behind", async () => {
    const t = await newTenant();
    const box = newBox("idfy");
    const secret = "your-secret-token";
    await script(box, [{ status: 500 }], { status: 200 }, { profile: "idfy", secrets: [secret] });
    const res = await call("/v1/events", {
      key: t.key,
      body: { type: "document_created", data: { documentId: "8bfae710", externalDocumentId: "8577545740" }, target: { url: boxUrl(box), profile: "idfy", secret } },
    });
    expect(res.status).toBe(202);
    const accepted = await res.json<any>();
    expect(accepted.target).toEqual({ hook_id: expect.stringMatching(/^hook_/), secret: null });
    expect((await json(call("/v1/hooks", { key: t.key }))).data).toEqual([]); // never listed, never routed

    const log = await waitFor(box, atLeast(2), 15_000); // first attempt 500, retried ~5 s later
    expect(log.map((r) => r.status)).toEqual([500, 200]);
    verifiedOk(log[1]!);
    expect(JSON.parse(log[1]!.body)).toMatchObject({ id: accepted.id, type: "document_created", payload: { documentId: "8bfae710" } });

    const hookId = accepted.target.hook_id;
    await expect.poll(async () => (await call(`/v1/hooks/${hookId}`, { key: t.key })).status).toBe(404);
    expect(await testEnv.DB.prepare("SELECT COUNT(*) AS n FROM hooks WHERE id = ?").bind(hookId).first("n")).toBe(0);
    const hist = await json(call(`/v1/hooks/${hookId}/deliveries`, { key: t.key }));
    expect(hist.data).toEqual([expect.objectContaining({ event_id: accepted.id, status: "succeeded", attempts: 2 })]);
    const other = await newTenant();
    expect((await call(`/v1/hooks/${hookId}/deliveries`, { key: other.key })).status).toBe(404);
  }, 30_000);

  it("a one-off target obeys the URL policy", async () => {
    const t = await newTenant();
    const res = await call("/v1/events", { key: t.key, body: { type: "document_created", target: { url: "ftp://x.example/hook", profile: "idfy" } } });
    expect(res.status).toBe(422);
  });
});

describe("façade access control", () => {
  const routes: [string, string, unknown?][] = [
    ["POST", "/compat/propstack/v1/hooks?target_url=http%3A%2F%2F127.0.0.1%3A9%2Fx&event=client_created"],
    ["GET", "/compat/propstack/v1/hooks"],
    ["DELETE", "/compat/propstack/v1/hooks/1"],
    ["POST", "/compat/itwin/webhooks", { callbackUrl: "http://127.0.0.1:9/x", eventTypes: ["iModelDeletedEvent"] }],
    ["GET", "/compat/itwin/webhooks"],
    ["POST", "/compat/bimdata/cloud/1/webhook", { url: "http://127.0.0.1:9/x", events: ["project.update"] }],
    ["GET", "/compat/bimdata/cloud/1/webhook"],
    ["POST", "/compat/speckle/streams/abc/webhooks", { url: "http://127.0.0.1:9/x", triggers: ["stream_update"] }],
    ["GET", "/compat/speckle/streams/abc/webhooks"],
  ];
  it.each(routes)("%s %s needs a webhook:manage key", async (method, path, body) => {
    const t = await newTenant();
    expect((await call(path, { method, body })).status).toBe(401);
    expect((await call(path, { method, body, key: t.publishKey })).status).toBe(403);
    expect((await call(path, { method, body, key: t.manageKey })).status).toBeLessThan(500);
  });

  it("another tenant sees none of a tenant's façade hooks", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { id } = await json(call("/compat/propstack/v1/hooks?target_url=http%3A%2F%2F127.0.0.1%3A9%2Fx&event=task_created", { method: "POST", key: a.manageKey }));
    const { webhook } = await json(call("/compat/itwin/webhooks", { key: a.manageKey, body: { callbackUrl: "http://127.0.0.1:9/x", eventTypes: ["iModelDeletedEvent"] } }));
    const bim = await json(call("/compat/bimdata/cloud/5/webhook", { key: a.manageKey, body: { url: "http://127.0.0.1:9/x", events: ["project.update"] } }));
    expect((await json(call("/compat/propstack/v1/hooks", { key: b.manageKey }))).hooks).toEqual([]);
    expect((await call(`/compat/propstack/v1/hooks/${id}`, { method: "DELETE", key: b.manageKey })).status).toBe(404);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: b.manageKey })).status).toBe(404);
    expect((await call(`/compat/bimdata/cloud/5/webhook/${bim.id}`, { key: b.manageKey })).status).toBe(404);
    expect((await json(call("/compat/propstack/v1/hooks", { key: a.manageKey }))).hooks).toHaveLength(1);
  });
});
