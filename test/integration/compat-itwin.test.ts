/**
 * The iTwin façade, request by request as developer.bentley.com documents Webhooks API v1 and v2,
 * each version chosen by its Accept header; deliveries checked against each version's envelope and
 * with iTwin's signature check (test/seed-verifiers.mjs).
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { atLeast, boxUrl, call, json, newBox, newTenant, publish, received, script, testEnv, waitFor, type Received } from "../helpers";

const DAY = 86_400_000;
const V1 = { accept: "application/vnd.bentley.itwin-platform.v1+json" };
const V2 = { accept: "application/vnd.bentley.itwin-platform.v2+json" };
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function cron(at: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "*/5 * * * *" }), testEnv, ctx);
  await waitOnExecutionContext(ctx);
}
const posts = (log: Received[]) => log.filter((r) => r.method === "POST");
function verified(r: Received) {
  expect(r.status).toBe(200);
  expect(r.verified).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
  expect(r.headers["signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
}
const settle = () => new Promise((r) => setTimeout(r, 1500)); // past the 1 s order window: a delivery would have left

describe("iTwin Webhooks API v1 (Accept: …v1+json)", () => {
  it("create iModel webhook → handshake → manual confirm link → v1 envelope → list, deactivate, activate, 30-day expiry, delete", async () => {
    const t = await newTenant();
    const box = newBox("itw1");
    // The receiver answers the handshake without WebHook-Allowed-Origin, so the webhook is validated with the confirm link.
    await script(box, [], { status: 200 });

    // POST /webhooks/imodels
    const res = await call("/compat/itwin/webhooks/imodels", {
      key: t.manageKey, headers: V1,
      body: { imodelId: "72640bf2-2173-4276-b896-c157bee0df76", eventTypes: ["iModelDeletedEvent", "NamedVersionCreatedEvent"], callbackUrl: boxUrl(box) },
    });
    expect(res.status).toBe(201);
    const created = await res.json<any>();
    expect(Object.keys(created.webhook)).toEqual(["id", "secret"]);
    expect(created.webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    const id: string = created.webhook.id;
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [created.webhook.secret] });

    // The OPTIONS handshake carries iTwin's confirm link.
    const [options] = (await waitFor(box, (l) => l.some((r) => r.method === "OPTIONS"))).filter((r) => r.method === "OPTIONS");
    expect(options!.headers["webhook-request-origin"]).toBe("hookline.test");
    const link = new URL(options!.headers["webhook-request-callback"]!);
    expect(`${link.origin}${link.pathname}`).toBe("http://hookline.test/compat/itwin/webhooks/confirm");
    expect(link.searchParams.get("id")).toBe(id);

    // GET /webhooks/{id}: not validated yet, on, expiring in 30 days
    await expect.poll(async () => (await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook.validationState).toMatch(/not validated/);
    const pending = (await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook;
    expect(Object.keys(pending)).toEqual(["id", "isActive", "isValidated", "callbackUrl", "expirationDateTime", "validationState", "_links"]);
    expect(pending).toMatchObject({
      id, isActive: true, isValidated: false, callbackUrl: boxUrl(box),
      _links: { imodel: { href: "https://api.bentley.com/imodels/72640bf2-2173-4276-b896-c157bee0df76" } },
    });
    const expiry = Date.parse(pending.expirationDateTime);
    expect(expiry - Date.now()).toBeGreaterThan(30 * DAY - 60_000);
    expect(expiry - Date.now()).toBeLessThanOrEqual(30 * DAY);

    // Nothing is delivered before validation.
    await publish(t, { type: "iModelDeletedEvent", channel: "72640bf2-2173-4276-b896-c157bee0df76", data: { iModelId: "early" } });
    await settle();
    expect(posts(await received(box))).toEqual([]);

    // GET /webhooks/confirm?id&key, opened as a link (no token): validates once.
    const confirmed = await call(link.pathname + link.search);
    expect(confirmed.status).toBe(200);
    expect((await confirmed.json<any>()).webhook).toMatchObject({ id, isValidated: true, validationState: "Webhook endpoint was validated successfully." });
    const again = await call(link.pathname + link.search);
    expect(again.status).toBe(404);
    expect((await again.json<any>()).error.code).toBe("WebhookNotFound");
    expect((await call(`/compat/itwin/webhooks/confirm?id=${id}&key=wrong`)).status).toBe(404);

    // The v1 envelope: {content, contentType, enqueuedDateTime, messageId, subscriptionId}, for this iModel only.
    await publish(t, { id: "msg-v1-1", type: "iModelDeletedEvent", channel: "72640bf2-2173-4276-b896-c157bee0df76", data: { iModelId: "72640bf2", projectId: "p-1" } });
    await publish(t, { type: "iModelDeletedEvent", channel: "another-imodel", data: { iModelId: "other" } });
    await publish(t, { type: "ChangesetPushedEvent", channel: "72640bf2-2173-4276-b896-c157bee0df76", data: { iModelId: "not subscribed" } });
    const [delivery] = posts(await waitFor(box, atLeast(1)));
    verified(delivery!);
    const body = JSON.parse(delivery!.body);
    expect(Object.keys(body)).toEqual(["content", "contentType", "enqueuedDateTime", "messageId", "subscriptionId"]);
    expect(body).toMatchObject({ content: { iModelId: "72640bf2", projectId: "p-1" }, contentType: "iModelDeletedEvent", messageId: "msg-v1-1", subscriptionId: id });
    expect(body.enqueuedDateTime).toMatch(ISO);
    await settle();
    expect(posts(await received(box))).toHaveLength(1);

    // GET /webhooks
    expect(await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V1 }))).toEqual({
      webhooks: [{ id, eventSource: "iModels", isActive: true, isValidated: true, callbackUrl: boxUrl(box), expirationDateTime: pending.expirationDateTime }],
    });

    // POST /webhooks/{id}/deactivate → 202, then /activate with an expiry → 202
    const off = await call(`/compat/itwin/webhooks/${id}/deactivate`, { method: "POST", key: t.manageKey, headers: V1 });
    expect(off.status).toBe(202);
    expect(await off.text()).toBe("");
    expect((await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook.isActive).toBe(false);
    const until = new Date(Date.now() + 10 * DAY).toISOString();
    const on = await call(`/compat/itwin/webhooks/${id}/activate`, { key: t.manageKey, headers: V1, body: { expirationDateTime: until } });
    expect(on.status).toBe(202);
    expect((await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook).toMatchObject({ isActive: true, expirationDateTime: until });

    // Expiry deactivates (the cron, run at the expiry); activate without a body gives 30 more days.
    await cron(Date.parse(until) + 60_000);
    expect((await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook.isActive).toBe(false);
    expect((await call(`/compat/itwin/webhooks/${id}/activate`, { method: "POST", key: t.manageKey, headers: V1 })).status).toBe(202);
    const revived = (await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook;
    expect(revived.isActive).toBe(true);
    expect(Date.parse(revived.expirationDateTime) - Date.now()).toBeGreaterThan(30 * DAY - 60_000);

    // DELETE /webhooks/{id} → 204; then 404 in iTwin's error shape
    expect((await call(`/compat/itwin/webhooks/${id}`, { method: "DELETE", key: t.manageKey, headers: V1 })).status).toBe(204);
    const gone = await call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 });
    expect(gone.status).toBe(404);
    expect((await gone.json<any>()).error).toEqual({ code: "WebhookNotFound", message: "Requested webhook is not available." });
  }, 40_000);

  it("answers with iTwin's error shape, and keeps v2's operations out of v1", async () => {
    const t = await newTenant();
    const bad = await call("/compat/itwin/webhooks/imodels", { key: t.manageKey, headers: V1, body: { imodelId: "m", eventTypes: ["iModels.iModelDeleted.v1"], callbackUrl: "http://127.0.0.1:9/x" } });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const err = (await bad.json<any>()).error;
    expect(err.code).toBe("InvalidWebhookRequest");
    expect(err.details[0]).toMatchObject({ code: "InvalidValue", target: "eventTypes.0" });
    expect((await call("/compat/itwin/webhooks", { key: t.manageKey, headers: V1, body: { callbackUrl: "http://127.0.0.1:9/x", scope: "Account", eventTypes: ["iModels.iModelDeleted.v1"] } })).status).toBe(404);
    expect((await call("/compat/itwin/webhooks/imodels", { key: t.manageKey, headers: V2, body: {} })).status).toBe(404);
    const noKey = await call("/compat/itwin/webhooks", { headers: V1 });
    expect(noKey.status).toBe(401);
    expect((await noKey.json<any>()).error.code).toBe("HeaderNotFound");
  });
});

describe("iTwin Webhooks API v2 (Accept: …v2+json)", () => {
  it("create (inactive) → PATCH active → v2 envelope per scope → get, list, new secret, deactivate, delete", async () => {
    const t = await newTenant();
    const box = newBox("itw2");
    const accountBox = newBox("itw2acc");

    // POST /webhooks, iTwin scope: inactive, a generated secret, no handshake
    const res = await call("/compat/itwin/webhooks", {
      key: t.manageKey, headers: V2,
      body: { callbackUrl: boxUrl(box), scope: "iTwin", scopeId: "ce40a55a-6954-4de3-85c7-f796c3e423d9", eventTypes: ["iModels.iModelDeleted.v1", "accessControl.memberAdded.v1"] },
    });
    expect(res.status).toBe(201);
    const { webhook } = await res.json<any>();
    expect(Object.keys(webhook)).toEqual(["id", "scope", "scopeId", "active", "callbackUrl", "eventTypes", "created", "modified", "secret"]);
    expect(webhook).toMatchObject({
      scope: "iTwin", scopeId: "ce40a55a-6954-4de3-85c7-f796c3e423d9", active: false, callbackUrl: boxUrl(box),
      eventTypes: ["iModels.iModelDeleted.v1", "accessControl.memberAdded.v1"],
    });
    expect(webhook.created).toMatch(ISO);
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [webhook.secret] });

    // Account scope with the caller's own secret (at least 32 characters)
    const accountSecret = "an-account-secret-of-32-characters!!";
    const acc = await json(call("/compat/itwin/webhooks", {
      key: t.manageKey, headers: V2, body: { callbackUrl: boxUrl(accountBox), scope: "Account", eventTypes: ["iModels.iModelDeleted.v1"], secret: accountSecret },
    }));
    expect(acc.webhook).toMatchObject({ scope: "Account", scopeId: t.id, active: false, secret: accountSecret });
    await script(accountBox, [], { status: 200 }, { profile: "itwin", secrets: [accountSecret] });

    // PATCH /webhooks/{id} {"active": true}
    const on = await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { active: true } });
    expect(on.status).toBe(200);
    expect((await on.json<any>()).webhook).toMatchObject({ id: webhook.id, active: true });
    expect((await json(call(`/compat/itwin/webhooks/${acc.webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { active: true } }))).webhook.active).toBe(true);

    // The v2 envelope; the iTwin webhook gets its iTwin's events, the Account webhook every iTwin's.
    await publish(t, { id: "msg-v2-1", type: "iModels.iModelDeleted.v1", channel: "ce40a55a-6954-4de3-85c7-f796c3e423d9", data: { imodelId: "72640bf2", userId: "e5c7ae4f" } });
    await publish(t, { id: "msg-v2-2", type: "iModels.iModelDeleted.v1", channel: "another-itwin", data: { imodelId: "other" } });
    const [d] = posts(await waitFor(box, atLeast(1)));
    verified(d!);
    const body = JSON.parse(d!.body);
    expect(Object.keys(body)).toEqual(["content", "eventType", "enqueuedDateTime", "iTwinId", "messageId", "webhookId"]);
    expect(body).toMatchObject({
      content: { imodelId: "72640bf2", userId: "e5c7ae4f" }, eventType: "iModels.iModelDeleted.v1",
      iTwinId: "ce40a55a-6954-4de3-85c7-f796c3e423d9", messageId: "msg-v2-1", webhookId: webhook.id,
    });
    expect(body.enqueuedDateTime).toMatch(ISO);
    const accLog = posts(await waitFor(accountBox, atLeast(2)));
    for (const r of accLog) verified(r);
    expect(accLog.map((r) => [JSON.parse(r.body).iTwinId, JSON.parse(r.body).webhookId])).toEqual([
      ["ce40a55a-6954-4de3-85c7-f796c3e423d9", acc.webhook.id], ["another-itwin", acc.webhook.id],
    ]);
    expect(posts(await received(box))).toHaveLength(1);
    expect((await received(box)).filter((r) => r.method === "OPTIONS")).toEqual([]); // v2 has no handshake

    // GET /webhooks/{id}; without a version in Accept a webhook answers in its own version
    const got = (await json(call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey, headers: V2 }))).webhook;
    expect(got).toEqual({ ...webhook, active: true, modified: got.modified, secret: undefined });
    expect((await json(call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey }))).webhook.scope).toBe("iTwin");
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey, headers: V1 })).status).toBe(404);

    // GET /webhooks: v2 lists v2 webhooks only, v1 none of them
    const list = (await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2 }))).webhooks;
    expect(list.map((w: any) => w.id)).toEqual([webhook.id, acc.webhook.id]);
    expect(list[0]).not.toHaveProperty("secret");
    expect((await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V1 }))).webhooks).toEqual([]);

    // PATCH a new secret: shown once, signs what follows
    const secret2 = "0123456789abcdef0123456789abcdef-rotated";
    const rotated = await json(call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { secret: secret2 } }));
    expect(rotated.webhook).toMatchObject({ id: webhook.id, active: true, secret: secret2 });
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [secret2] });
    await publish(t, { type: "accessControl.memberAdded.v1", channel: "ce40a55a-6954-4de3-85c7-f796c3e423d9", data: { memberId: "m1", roleName: "Viewer" } });
    const second = posts(await waitFor(box, atLeast(2)))[1]!;
    verified(second);
    expect(JSON.parse(second.body)).toMatchObject({ eventType: "accessControl.memberAdded.v1", content: { memberId: "m1", roleName: "Viewer" } });

    // PATCH {"active": false}, then DELETE → 204
    expect((await json(call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { active: false } }))).webhook.active).toBe(false);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "DELETE", key: t.manageKey, headers: V2 })).status).toBe(204);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey, headers: V2 })).status).toBe(404);
  }, 40_000);

  it("refuses a short secret, an iTwin scope without scopeId, v1 event names, and v1-only operations", async () => {
    const t = await newTenant();
    const base = { callbackUrl: "http://127.0.0.1:9/x", scope: "iTwin", scopeId: "i-1", eventTypes: ["iModels.iModelDeleted.v1"] };
    const short = await call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2, body: { ...base, secret: "too-short" } });
    expect(short.status).toBe(422);
    expect((await short.json<any>()).error.details[0]).toMatchObject({ target: "secret" });
    expect((await call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2, body: { ...base, scopeId: undefined } })).status).toBe(422);
    expect((await call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2, body: { ...base, eventTypes: ["iModelDeletedEvent"] } })).status).toBe(422);
    expect((await call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2, body: { ...base, scope: "Global" } })).status).toBe(422);
    const { webhook } = await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2, body: base }));
    expect((await call(`/compat/itwin/webhooks/${webhook.id}/activate`, { method: "POST", key: t.manageKey, headers: V2 })).status).toBe(404);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V1, body: { active: true } })).status).toBe(404);
    const other = await newTenant();
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: other.manageKey, headers: V2 })).status).toBe(404);
  });
});
