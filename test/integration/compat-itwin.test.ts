/**
 * The iTwin façade, request by request as developer.bentley.com documents Webhooks API v1 and v2,
 * each version chosen by its Accept header; deliveries checked against each version's envelope (its
 * "available events" page) and with iTwin's signature check (test/seed-verifiers.mjs). The bodies,
 * codes and messages below are the pages' own examples; docs/migrate/itwin.md lists the pages.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, received, script, testEnv, waitFor, type Received } from "../helpers";

const DAY = 86_400_000;
const V1 = { accept: "application/vnd.bentley.itwin-platform.v1+json" };
const V2 = { accept: "application/vnd.bentley.itwin-platform.v2+json" };
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const IMODEL = "72640bf2-2173-4276-b896-c157bee0df76"; // the pages' example ids
const ITWIN = "ce40a55a-6954-4de3-85c7-f796c3e423d9";
const NOT_FOUND = { code: "WebhookNotFound", message: "Requested webhook is not available." };

/** The fields of each documented body, sorted: what the façade must answer, no more, no less. */
const V1_LIST_ITEM = ["callbackUrl", "eventSource", "expirationDateTime", "id", "isActive", "isValidated"];
const V1_DETAILS = ["_links", "callbackUrl", "expirationDateTime", "id", "isActive", "isValidated", "validationState"];
const V1_ENVELOPE = ["content", "contentType", "enqueuedDateTime", "messageId", "subscriptionId"];
const V2_WEBHOOK = ["active", "callbackUrl", "created", "eventTypes", "id", "modified", "scope", "scopeId"];
const V2_ENVELOPE = ["content", "enqueuedDateTime", "eventType", "iTwinId", "messageId", "webhookId"];
const keys = (o: object) => Object.keys(o).sort();

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
    const get = async () => (await json(call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 }))).webhook;

    // POST /webhooks/imodels ("Create iModel events webhook") → 201 {"webhook": {id, secret}}, Location naming it
    const res = await call("/compat/itwin/webhooks/imodels", {
      key: t.manageKey, headers: V1, body: { imodelId: IMODEL, eventTypes: ["iModelDeletedEvent", "NamedVersionCreatedEvent"], callbackUrl: boxUrl(box) },
    });
    expect(res.status).toBe(201);
    const created = await res.json<any>();
    expect(keys(created)).toEqual(["webhook"]);
    expect(keys(created.webhook)).toEqual(["id", "secret"]);
    expect(created.webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    const id: string = created.webhook.id;
    expect(res.headers.get("location")!.split("/").slice(-1)[0]).toBe(id); // how Bentley's v1 sample reads the id
    expect((await call(new URL(res.headers.get("location")!).pathname, { key: t.manageKey, headers: V1 })).status).toBe(200);
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [created.webhook.secret] });

    // The OPTIONS handshake carries iTwin's confirm link.
    const [options] = (await waitFor(box, (l) => l.some((r) => r.method === "OPTIONS"))).filter((r) => r.method === "OPTIONS");
    expect(options!.headers["webhook-request-origin"]).toBe("hookline.test");
    const link = new URL(options!.headers["webhook-request-callback"]!);
    expect(`${link.origin}${link.pathname}`).toBe("http://hookline.test/compat/itwin/webhooks/confirm");
    expect(link.searchParams.get("id")).toBe(id);

    // GET /webhooks/{id} ("Get the details for a webhook"): not validated, so not active yet; expiring in 30 days
    await expect.poll(async () => (await get()).validationState).toMatch(/not validated/);
    const pending = await get();
    expect(keys(pending)).toEqual(V1_DETAILS);
    expect(pending).toMatchObject({ id, isActive: false, isValidated: false, callbackUrl: boxUrl(box), _links: { imodel: { href: `https://api.bentley.com/imodels/${IMODEL}` } } });
    const expiry = Date.parse(pending.expirationDateTime);
    expect(expiry - Date.now()).toBeGreaterThan(30 * DAY - 60_000);
    expect(expiry - Date.now()).toBeLessThanOrEqual(30 * DAY);

    // POST /webhooks/{id}/activate before validation: refused ("Webhook will not be activated until the ownership of the callback is validated")
    const early = await call(`/compat/itwin/webhooks/${id}/activate`, { method: "POST", key: t.manageKey, headers: V1 });
    expect(early.status).toBe(422);
    expect((await early.json<any>()).error).toMatchObject({ code: "InvalidActivateWebhookRequest", message: "Cannot activate webhook.", details: [{ code: "InvalidChange", target: "IsValidated" }] });

    // Nothing is delivered before validation. A plain hook on the same events witnesses that the
    // event was routed (in the same fan-out pass) before the link below validates the webhook.
    const witnessBox = newBox("itw1-witness");
    const witness = await createHook(t, { url: boxUrl(witnessBox), events: ["iModelDeletedEvent"], channels: [IMODEL], order_window_ms: 0 });
    await publish(t, { type: "iModelDeletedEvent", channel: IMODEL, data: { imodelId: IMODEL, projectId: "early" } });
    await waitFor(witnessBox, atLeast(1));
    expect((await call(`/v1/hooks/${witness.id}`, { method: "DELETE", key: t.key })).status).toBe(204);
    await settle();
    expect(posts(await received(box))).toEqual([]);

    // GET /webhooks/confirm?id&key ("Confirm webhook callback ownership"), opened as a link (no token): validates once.
    const confirmed = await call(link.pathname + link.search);
    expect(confirmed.status).toBe(200);
    expect((await confirmed.json<any>()).webhook).toMatchObject({ id, isActive: true, isValidated: true, validationState: "Webhook endpoint was validated successfully." });
    const again = await call(link.pathname + link.search);
    expect(again.status).toBe(404);
    expect((await again.json<any>()).error).toEqual(NOT_FOUND);
    expect((await call(`/compat/itwin/webhooks/confirm?id=${id}&key=wrong`)).status).toBe(404);

    // The v1 envelope ("Available Events"): {content, contentType, enqueuedDateTime, messageId, subscriptionId}, this iModel only.
    await publish(t, { id: "msg-v1-1", type: "iModelDeletedEvent", channel: IMODEL, data: { imodelId: IMODEL, projectId: "p-1" } });
    await publish(t, { type: "iModelDeletedEvent", channel: "another-imodel", data: { imodelId: "other" } });
    await publish(t, { type: "ChangesetPushedEvent", channel: IMODEL, data: { imodelId: "not subscribed" } });
    const [delivery] = posts(await waitFor(box, atLeast(1)));
    verified(delivery!);
    const body = JSON.parse(delivery!.body);
    expect(keys(body)).toEqual(V1_ENVELOPE);
    expect(body).toMatchObject({ content: { imodelId: IMODEL, projectId: "p-1" }, contentType: "iModelDeletedEvent", messageId: "msg-v1-1", subscriptionId: id });
    expect(body.enqueuedDateTime).toMatch(ISO);
    await settle();
    expect(posts(await received(box))).toHaveLength(1);

    // GET /webhooks ("Get a list of user webhooks")
    const list = await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V1 }));
    expect(keys(list.webhooks[0])).toEqual(V1_LIST_ITEM);
    expect(list).toEqual({
      webhooks: [{ id, eventSource: "iModels", isActive: true, isValidated: true, callbackUrl: boxUrl(box), expirationDateTime: pending.expirationDateTime }],
    });

    // POST /webhooks/{id}/deactivate → 202; again → the 422 the page documents for an inactive webhook
    const off = await call(`/compat/itwin/webhooks/${id}/deactivate`, { method: "POST", key: t.manageKey, headers: V1 });
    expect(off.status).toBe(202);
    expect(await off.text()).toBe("");
    expect((await get()).isActive).toBe(false);
    const twice = await call(`/compat/itwin/webhooks/${id}/deactivate`, { method: "POST", key: t.manageKey, headers: V1 });
    expect(twice.status).toBe(422);
    expect((await twice.json<any>()).error).toEqual({
      code: "InvalidDeactivateWebhookRequest", message: "Cannot deactivate webhook.",
      details: [{ code: "InvalidChange", message: `Webhook subscription '${id}' cannot be deactivated because it is already deactive.`, target: "IsActive" }],
    });

    // POST /webhooks/{id}/activate with the page's body {"expirationDateTime"} → 202
    const until = new Date(Date.now() + 10 * DAY).toISOString();
    const on = await call(`/compat/itwin/webhooks/${id}/activate`, { key: t.manageKey, headers: V1, body: { expirationDateTime: until } });
    expect(on.status).toBe(202);
    expect(await get()).toMatchObject({ isActive: true, expirationDateTime: until });
    const past = await call(`/compat/itwin/webhooks/${id}/activate`, { key: t.manageKey, headers: V1, body: { expirationDateTime: "2021-06-07T08:27:42Z" } });
    expect(past.status).toBe(422);
    expect((await past.json<any>()).error).toMatchObject({ code: "InvalidActivateWebhookRequest", details: [{ target: "expirationDateTime" }] });

    // Expiry deactivates (the cron, run at the expiry); activate without a body gives 30 more days.
    await cron(Date.parse(until) + 60_000);
    expect((await get()).isActive).toBe(false);
    expect((await call(`/compat/itwin/webhooks/${id}/activate`, { method: "POST", key: t.manageKey, headers: V1 })).status).toBe(202);
    const revived = await get();
    expect(revived.isActive).toBe(true);
    expect(Date.parse(revived.expirationDateTime) - Date.now()).toBeGreaterThan(30 * DAY - 60_000);

    // DELETE /webhooks/{id} → 204; then 404 in iTwin's error shape
    expect((await call(`/compat/itwin/webhooks/${id}`, { method: "DELETE", key: t.manageKey, headers: V1 })).status).toBe(204);
    const gone = await call(`/compat/itwin/webhooks/${id}`, { key: t.manageKey, headers: V1 });
    expect(gone.status).toBe(404);
    expect((await gone.json<any>()).error).toEqual(NOT_FOUND);
  }, 40_000);

  it("answers with iTwin's documented errors, and keeps v2's operations out of v1", async () => {
    const t = await newTenant();
    const bad = await call("/compat/itwin/webhooks/imodels", { key: t.manageKey, headers: V1, body: { imodelId: "m", eventTypes: ["iModels.iModelDeleted.v1"], callbackUrl: "http://127.0.0.1:9/x" } });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toBe("application/problem+json");
    const err = (await bad.json<any>()).error;
    expect(err).toMatchObject({ code: "InvalidCreateWebhookRequest", message: "Cannot create webhook." });
    expect(err.details[0]).toMatchObject({ code: "InvalidRequestBody", target: "eventTypes.0" });
    const badUrl = await call("/compat/itwin/webhooks/imodels", { key: t.manageKey, headers: V1, body: { imodelId: "m", eventTypes: ["iModelDeletedEvent"], callbackUrl: "ftp://x.example/hook" } });
    expect((await badUrl.json<any>()).error.details[0]).toMatchObject({ code: "InvalidRequestBody", target: "callbackUrl" });

    expect((await call("/compat/itwin/webhooks", { key: t.manageKey, headers: V1, body: { callbackUrl: "http://127.0.0.1:9/x", scope: "Account", eventTypes: ["iModels.iModelDeleted.v1"] } })).status).toBe(404);
    expect((await call("/compat/itwin/webhooks/imodels", { key: t.manageKey, headers: V2, body: {} })).status).toBe(404);
    const missing = await call("/compat/itwin/webhooks/hook_nope/deactivate", { method: "POST", key: t.manageKey, headers: V1 });
    expect(missing.status).toBe(404);
    expect((await missing.json<any>()).error).toEqual(NOT_FOUND);

    // 401 and 403 as every v1 page shows them
    const noKey = await call("/compat/itwin/webhooks", { headers: V1 });
    expect(noKey.status).toBe(401);
    expect((await noKey.json<any>()).error).toEqual({ code: "HeaderNotFound", message: "Header Authorization was not found in the request. Access denied." });
    const publishKey = await call("/compat/itwin/webhooks", { key: t.publishKey, headers: V1 });
    expect(publishKey.status).toBe(403);
    expect((await publishKey.json<any>()).error).toEqual({ code: "InsufficientPermissions", message: "The user has insufficient permissions for the requested operation." });
  });
});

describe("iTwin Webhooks API v2 (Accept: …v2+json)", () => {
  it("create (inactive) → PATCH active → v2 envelope per scope → get, list, new secret, deactivate, delete", async () => {
    const t = await newTenant();
    const box = newBox("itw2");
    const accountBox = newBox("itw2acc");

    // POST /webhooks ("Create webhook"), iTwin scope: the webhook itself, inactive, with a generated secret; no handshake
    const res = await call("/compat/itwin/webhooks", {
      key: t.manageKey, headers: V2,
      body: { callbackUrl: boxUrl(box), scope: "iTwin", scopeId: ITWIN, eventTypes: ["iModels.iModelDeleted.v1", "accessControl.memberAdded.v1"] },
    });
    expect(res.status).toBe(201);
    const webhook = await res.json<any>();
    expect(keys(webhook)).toEqual([...V2_WEBHOOK, "secret"].sort());
    expect(webhook).toMatchObject({
      scope: "iTwin", scopeId: ITWIN, active: false, callbackUrl: boxUrl(box), eventTypes: ["iModels.iModelDeleted.v1", "accessControl.memberAdded.v1"],
    });
    expect(webhook.created).toMatch(ISO);
    expect(webhook.secret).toMatch(/^[0-9a-f]{64}$/);
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [webhook.secret] });

    // Account scope with the caller's own secret (at least 32 characters)
    const accountSecret = "an-account-secret-of-32-characters!!";
    const acc = await json(call("/compat/itwin/webhooks", {
      key: t.manageKey, headers: V2, body: { callbackUrl: boxUrl(accountBox), scope: "Account", eventTypes: ["iModels.iModelDeleted.v1"], secret: accountSecret },
    }));
    expect(acc).toMatchObject({ scope: "Account", scopeId: t.id, active: false, secret: accountSecret });
    await script(accountBox, [], { status: 200 }, { profile: "itwin", secrets: [accountSecret] });

    // PATCH /webhooks/{id} {"active": true}, the page's activation sample → 200 with the webhook
    const on = await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { active: true } });
    expect(on.status).toBe(200);
    const activated = await on.json<any>();
    expect(keys(activated)).toEqual(V2_WEBHOOK);
    expect(activated).toMatchObject({ id: webhook.id, active: true });
    expect((await json(call(`/compat/itwin/webhooks/${acc.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { active: true } }))).active).toBe(true);

    // The v2 envelope ("Available Events"); the iTwin webhook gets its iTwin's events, the Account webhook every iTwin's.
    await publish(t, { id: "msg-v2-1", type: "iModels.iModelDeleted.v1", channel: ITWIN, data: { imodelId: IMODEL, userId: "e5c7ae4f-2d72-4319-b96a-d46492e4f860" } });
    await publish(t, { id: "msg-v2-2", type: "iModels.iModelDeleted.v1", channel: "another-itwin", data: { imodelId: "other" } });
    const [d] = posts(await waitFor(box, atLeast(1)));
    verified(d!);
    const body = JSON.parse(d!.body);
    expect(keys(body)).toEqual(V2_ENVELOPE);
    expect(body).toMatchObject({
      content: { imodelId: IMODEL, userId: "e5c7ae4f-2d72-4319-b96a-d46492e4f860" }, eventType: "iModels.iModelDeleted.v1",
      iTwinId: ITWIN, messageId: "msg-v2-1", webhookId: webhook.id,
    });
    expect(body.enqueuedDateTime).toMatch(ISO);
    const accLog = posts(await waitFor(accountBox, atLeast(2)));
    for (const r of accLog) verified(r);
    expect(accLog.map((r) => [JSON.parse(r.body).iTwinId, JSON.parse(r.body).webhookId])).toEqual([[ITWIN, acc.id], ["another-itwin", acc.id]]);
    expect(posts(await received(box))).toHaveLength(1);
    expect((await received(box)).filter((r) => r.method === "OPTIONS")).toEqual([]); // v2 has no handshake

    // GET /webhooks/{id} ("Get webhook"): the webhook itself; without a version in Accept it answers in its own version
    const got = await json(call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey, headers: V2 }));
    const { secret: _secret, ...shown } = webhook;
    expect(got).toEqual({ ...shown, active: true, modified: got.modified });
    expect((await json(call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey }))).scope).toBe("iTwin");
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey, headers: V1 })).status).toBe(404);

    // GET /webhooks ("Get webhooks"): {"webhooks": […]}, v2 webhooks only; v1 lists none of them
    const list = (await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2 }))).webhooks;
    expect(list.map((w: any) => w.id)).toEqual([webhook.id, acc.id]);
    expect(keys(list[0])).toEqual(V2_WEBHOOK);
    expect((await json(call("/compat/itwin/webhooks", { key: t.manageKey, headers: V1 }))).webhooks).toEqual([]);

    // PATCH a new secret: the answer is the webhook (no secret in it); the new secret signs what follows
    const secret2 = "0123456789abcdef0123456789abcdef-rotated";
    const rotated = await json(call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { secret: secret2 } }));
    expect(keys(rotated)).toEqual(V2_WEBHOOK);
    expect(rotated).toMatchObject({ id: webhook.id, active: true });
    await script(box, [], { status: 200 }, { profile: "itwin", secrets: [secret2] });
    const memberAdded = { memberId: "e5c7ae4f-2d72-4319-b96a-d46492e4f860", eventCreatedBy: "6411cfcf-d188-4788-9267-43eb0f208c8e", memberType: "User", roleId: "d42d3349-1117-41cb-b2c4-7afff1f80d23", roleName: "Viewer" };
    await publish(t, { type: "accessControl.memberAdded.v1", channel: ITWIN, data: memberAdded });
    const second = posts(await waitFor(box, atLeast(2)))[1]!;
    verified(second);
    expect(JSON.parse(second.body)).toMatchObject({ eventType: "accessControl.memberAdded.v1", iTwinId: ITWIN, content: memberAdded });

    // PATCH without a secret keeps it (Bentley's v2 sample activates and keeps verifying with its configured secret)
    const renamed = await json(call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { eventTypes: ["accessControl.memberAdded.v1"] } }));
    expect(renamed.eventTypes).toEqual(["accessControl.memberAdded.v1"]);
    await publish(t, { type: "accessControl.memberAdded.v1", channel: ITWIN, data: memberAdded });
    verified(posts(await waitFor(box, atLeast(3)))[2]!);

    // PATCH {"active": false}, the page's deactivation sample, then DELETE ("Delete webhook") → 204
    expect((await json(call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { active: false } }))).active).toBe(false);
    const deleted = await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "DELETE", key: t.manageKey, headers: V2 });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    const gone = await call(`/compat/itwin/webhooks/${webhook.id}`, { key: t.manageKey, headers: V2 });
    expect(gone.status).toBe(404);
    expect((await gone.json<any>()).error).toEqual(NOT_FOUND);
  }, 40_000);

  it("refuses a short secret, an iTwin scope without scopeId, v1 event names, a bad callbackUrl, and v1-only operations", async () => {
    const t = await newTenant();
    const base = { callbackUrl: "http://127.0.0.1:9/x", scope: "iTwin", scopeId: "i-1", eventTypes: ["iModels.iModelDeleted.v1"] };
    const create = (body: object) => call("/compat/itwin/webhooks", { key: t.manageKey, headers: V2, body });
    const short = await create({ ...base, secret: "too-short" });
    expect(short.status).toBe(422);
    expect((await short.json<any>()).error).toMatchObject({ code: "InvalidCreateWebhookRequest", details: [{ code: "InvalidRequestBody", target: "secret" }] });
    const noScopeId = await create({ ...base, scopeId: undefined });
    expect(noScopeId.status).toBe(422);
    expect((await noScopeId.json<any>()).error.details[0]).toMatchObject({ target: "scopeId" });
    expect((await create({ ...base, eventTypes: ["iModelDeletedEvent"] })).status).toBe(422);
    expect((await create({ ...base, scope: "Global" })).status).toBe(422);

    const webhook = await json(create(base));
    // The page's own example of a refused update: a callbackUrl it cannot take
    const badUrl = await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { callbackUrl: "ftp://x.example/hook" } });
    expect(badUrl.status).toBe(422);
    expect((await badUrl.json<any>()).error).toMatchObject({
      code: "InvalidUpdateWebhookRequest", message: "Cannot update a webhook. Make sure the request body is valid.", details: [{ code: "InvalidRequestBody", target: "callbackUrl" }],
    });
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V2, body: { id: "mine" } })).status).toBe(422);

    expect((await call(`/compat/itwin/webhooks/${webhook.id}/activate`, { method: "POST", key: t.manageKey, headers: V2 })).status).toBe(404);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { method: "PATCH", key: t.manageKey, headers: V1, body: { active: true } })).status).toBe(404);
    const other = await newTenant();
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: other.manageKey, headers: V2 })).status).toBe(404);
  });
});
