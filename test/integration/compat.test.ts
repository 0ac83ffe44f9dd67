import { describe, expect, it } from "vitest";
import {
  atLeast, boxUrl, call, createHook, json, newBox, newTenant, publish, script, testEnv, waitFor, type Received,
} from "../helpers";

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

    const log = await waitFor(box, atLeast(2)); // first attempt 500, retried ~5 s later
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
    ["POST", "/compat/itwin/webhooks/imodels", { imodelId: "m-1", callbackUrl: "http://127.0.0.1:9/x", eventTypes: ["iModelDeletedEvent"] }],
    ["POST", "/compat/itwin/webhooks", { callbackUrl: "http://127.0.0.1:9/x", scope: "Account", eventTypes: ["iModels.iModelDeleted.v1"] }],
    ["GET", "/compat/itwin/webhooks"],
    ["POST", "/compat/bimdata/cloud/1/webhook", { url: "http://127.0.0.1:9/x", events: ["project.update"] }],
    ["GET", "/compat/bimdata/cloud/1/webhook"],
    ["POST", "/compat/bimdata/cloud/1/project/2/webhook", { url: "http://127.0.0.1:9/x", events: ["project.update"] }],
    ["GET", "/compat/bimdata/cloud/1/project/2/webhook"],
    ["POST", "/compat/speckle/graphql", { query: "{ project(id: \"abc\") { webhooks { totalCount } } }" }],
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
    const { webhook } = await json(call("/compat/itwin/webhooks/imodels", { key: a.manageKey, body: { imodelId: "m-1", callbackUrl: "http://127.0.0.1:9/x", eventTypes: ["iModelDeletedEvent"] } }));
    const bim = await json(call("/compat/bimdata/cloud/5/webhook", { key: a.manageKey, body: { url: "http://127.0.0.1:9/x", events: ["project.update"] } }));
    expect((await json(call("/compat/propstack/v1/hooks", { key: b.manageKey }))).hooks).toEqual([]);
    expect((await call(`/compat/propstack/v1/hooks/${id}`, { method: "DELETE", key: b.manageKey })).status).toBe(404);
    expect((await call(`/compat/itwin/webhooks/${webhook.id}`, { key: b.manageKey })).status).toBe(404);
    expect((await call(`/compat/bimdata/cloud/5/webhook/${bim.id}`, { key: b.manageKey })).status).toBe(404);
    expect((await json(call("/compat/propstack/v1/hooks", { key: a.manageKey }))).hooks).toHaveLength(1);
  });
});

describe("façades in the OpenAPI document", () => {
  it("lists every REST façade operation and the Speckle GraphQL endpoint", async () => {
    const doc = await json(call("/openapi.json"));
    const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, o]) => Object.keys(o).map((m) => `${m.toUpperCase()} ${path}`));
    const bim = ["/compat/bimdata/cloud/{cloud_pk}/webhook", "/compat/bimdata/cloud/{cloud_pk}/project/{project_pk}/webhook"].flatMap((b) => [
      `POST ${b}`, `GET ${b}`, `GET ${b}/{id}`, `PATCH ${b}/{id}`, `DELETE ${b}/{id}`, `POST ${b}/{id}/ping`,
    ]);
    const itwin = [
      "POST /compat/itwin/webhooks/imodels", "POST /compat/itwin/webhooks", "GET /compat/itwin/webhooks", "GET /compat/itwin/webhooks/{id}",
      "PATCH /compat/itwin/webhooks/{id}", "DELETE /compat/itwin/webhooks/{id}", "POST /compat/itwin/webhooks/{id}/activate",
      "POST /compat/itwin/webhooks/{id}/deactivate", "GET /compat/itwin/webhooks/confirm",
    ];
    const others = ["POST /compat/propstack/v1/hooks", "GET /compat/propstack/v1/hooks", "DELETE /compat/propstack/v1/hooks/{id}", "POST /compat/speckle/graphql", "GET /compat/speckle/graphql"];
    for (const op of [...bim, ...itwin, ...others]) expect(ops, op).toContain(op);
  });
});
