/**
 * The Speckle façade: GraphQL at /compat/speckle/graphql, sent as a Speckle client sends it (POST
 * {query, variables, operationName}, Bearer token). The mutations are speckle-server's frontend
 * documents verbatim; the query selection sets come from Speckle's webhook schema. History items are
 * checked against deliveries that really happened, a failed one included.
 */
import { describe, expect, it } from "vitest";
import { atLeast, boxUrl, call, json, newBox, newTenant, publish, script, waitFor, type Received } from "../helpers";

/** One GraphQL request, shaped like Speckle's Apollo client sends it. */
async function gql(key: string | null, query: string, variables?: Record<string, unknown>, operationName?: string) {
  const res = await call("/compat/speckle/graphql", {
    key, body: { operationName: operationName ?? null, variables: variables ?? {}, query },
    headers: { accept: "application/graphql-response+json, application/json" },
  });
  return { status: res.status, body: await res.json<any>() };
}

// packages/frontend-2/lib/common/generated/gql/gql.ts, verbatim
const CREATE = "\n  mutation createWebhook($webhook: WebhookCreateInput!) {\n    webhookCreate(webhook: $webhook)\n  }\n";
const UPDATE = "\n  mutation updateWebhook($webhook: WebhookUpdateInput!) {\n    webhookUpdate(webhook: $webhook)\n  }\n";
const DELETE = "\n  mutation deleteWebhook($webhook: WebhookDeleteInput!) {\n    webhookDelete(webhook: $webhook)\n  }\n";
// Every field of Webhook and WebhookEvent in Speckle's schema
const WEBHOOK_FIELDS = `
  totalCount
  items {
    id streamId projectId url description triggers enabled hasSecret
    history(limit: 10) { totalCount items { id webhookId status statusInfo retryCount lastUpdate payload } }
  }`;
const PROJECT_WEBHOOKS = `query ProjectWebhooks($projectId: String!) { project(id: $projectId) { id webhooks { ${WEBHOOK_FIELDS} } } }`;
const STREAM_WEBHOOK = `query StreamWebhook($streamId: String!, $id: String) { stream(id: $streamId) { id webhooks(id: $id) { ${WEBHOOK_FIELDS} } } }`;

function verified(r: Received) {
  expect(r.status).toBe(200);
  expect(r.verified).toEqual({ bySecret: [true], tampered: [false], wrongSecret: false });
}

describe("Speckle façade: GraphQL", () => {
  it("webhookCreate, project/stream webhooks with history of real deliveries (one failed), webhookUpdate, webhookDelete", async () => {
    const t = await newTenant();
    const okBox = newBox("spkok");
    const badBox = newBox("spkbad");
    await script(okBox, [], { status: 200 }, { profile: "speckle", secrets: ["speckle-secret"] });
    await script(badBox, [], { status: 500, body: "receiver exploded" });
    const stream = "48364aff6b";

    const created = await gql(t.manageKey, CREATE, {
      webhook: { streamId: stream, url: boxUrl(okBox), description: "CI", triggers: ["stream_update", "commit_create"], secret: "speckle-secret", enabled: true },
    }, "createWebhook");
    expect(created).toEqual({ status: 200, body: { data: { webhookCreate: expect.stringMatching(/^hook_/) } } });
    const okId: string = created.body.data.webhookCreate;
    const badId: string = (await gql(t.manageKey, CREATE, { webhook: { streamId: stream, url: boxUrl(badBox), triggers: ["stream_update"] } })).body.data.webhookCreate;
    // Speckle's webhook service tries once; here the failing hook gets one retry, so it fails fast.
    expect((await call(`/v1/hooks/${badId}`, { method: "PATCH", key: t.key, body: { retry_schedule: [0, 0] } })).status).toBe(200);

    await publish(t, { type: "stream_update", channel: stream, actor: "1234abcdef", summary: "Stream metadata changed", data: { new: { name: "x" } } });
    await publish(t, { type: "stream_update", channel: "otherstream", data: { new: { name: "not ours" } } });
    const [ok] = (await waitFor(okBox, atLeast(1))).filter((r) => r.method === "POST");
    verified(ok!);
    expect(JSON.parse(JSON.parse(ok!.body).payload)).toMatchObject({ streamId: stream, event: { event_name: "stream_update" }, webhook: { id: okId } });
    const bad = (await waitFor(badBox, atLeast(2))).filter((r) => r.method === "POST");
    expect(bad.map((r) => r.status)).toEqual([500, 500]);
    await expect.poll(async () => (await json(call(`/v1/hooks/${badId}/deliveries`, { key: t.key }))).data[0]?.status).toBe("failed");

    // project(id) { webhooks { … history { … } } }: Speckle's fields, and the deliveries that happened
    const listed = await gql(t.manageKey, PROJECT_WEBHOOKS, { projectId: stream }, "ProjectWebhooks");
    expect(listed.status).toBe(200);
    expect(listed.body.errors).toBeUndefined();
    const { webhooks } = listed.body.data.project;
    expect(webhooks.totalCount).toBe(2);
    const byId = Object.fromEntries(webhooks.items.map((w: any) => [w.id, w]));
    expect(byId[okId]).toMatchObject({
      id: okId, streamId: stream, projectId: stream, url: boxUrl(okBox), description: "CI", triggers: ["stream_update", "commit_create"], enabled: true, hasSecret: true,
    });
    expect(byId[badId]).toMatchObject({ streamId: stream, description: null, triggers: ["stream_update"], enabled: true, hasSecret: false });

    const okDeliveries = (await json(call(`/v1/hooks/${okId}/deliveries`, { key: t.key }))).data;
    const badDeliveries = (await json(call(`/v1/hooks/${badId}/deliveries`, { key: t.key }))).data;
    expect(byId[okId].history.totalCount).toBe(1);
    expect(byId[okId].history.items).toEqual([{
      id: okDeliveries[0].id, webhookId: okId, status: 2, statusInfo: "Webhook called", retryCount: 0,
      lastUpdate: okDeliveries[0].finished_at, payload: expect.any(String),
    }]);
    expect(JSON.parse(byId[okId].history.items[0].payload)).toMatchObject({ streamId: stream, event: { event_name: "stream_update" } });
    expect(byId[badId].history.items).toEqual([{
      id: badDeliveries[0].id, webhookId: badId, status: 3, statusInfo: "HTTP response code: 500; response: receiver exploded", retryCount: 1,
      lastUpdate: badDeliveries[0].finished_at, payload: expect.any(String),
    }]);

    // stream(id) { webhooks(id) }: one webhook; another stream has none
    const one = await gql(t.manageKey, STREAM_WEBHOOK, { streamId: stream, id: badId });
    expect(one.body.data.stream.webhooks.items.map((w: any) => w.id)).toEqual([badId]);
    expect((await gql(t.manageKey, STREAM_WEBHOOK, { streamId: "otherstream" })).body.data.stream.webhooks).toEqual({ totalCount: 0, items: [] });

    // webhookUpdate: returns the id; Speckle re-enables a webhook when `enabled` is left out
    const off = await gql(t.manageKey, UPDATE, { webhook: { id: okId, streamId: stream, description: "CI (paused)", triggers: ["commit_create"], enabled: false } }, "updateWebhook");
    expect(off.body).toEqual({ data: { webhookUpdate: okId } });
    let w = (await gql(t.manageKey, STREAM_WEBHOOK, { streamId: stream, id: okId })).body.data.stream.webhooks.items[0];
    expect(w).toMatchObject({ description: "CI (paused)", triggers: ["commit_create"], enabled: false });
    await gql(t.manageKey, UPDATE, { webhook: { id: okId, streamId: stream, url: boxUrl(okBox, "v2") } });
    w = (await gql(t.manageKey, STREAM_WEBHOOK, { streamId: stream, id: okId })).body.data.stream.webhooks.items[0];
    expect(w).toMatchObject({ url: boxUrl(okBox, "v2"), enabled: true, triggers: ["commit_create"] });

    // A webhook id with another stream: Speckle's FORBIDDEN, as a GraphQL error
    const mismatch = await gql(t.manageKey, DELETE, { webhook: { id: okId, streamId: "otherstream" } });
    expect(mismatch.status).toBe(200);
    expect(mismatch.body.data).toBeNull();
    expect(mismatch.body.errors).toEqual([expect.objectContaining({
      message: "The webhook id and stream id do not match. Please check your inputs.", path: ["webhookDelete"], extensions: { code: "FORBIDDEN" },
    })]);

    // webhookDelete
    expect((await gql(t.manageKey, DELETE, { webhook: { id: okId, streamId: stream } }, "deleteWebhook")).body).toEqual({ data: { webhookDelete: okId } });
    expect((await gql(t.manageKey, PROJECT_WEBHOOKS, { projectId: stream })).body.data.project.webhooks.items.map((x: any) => x.id)).toEqual([badId]);
    expect((await call(`/v1/hooks/${okId}`, { key: t.key })).status).toBe(404);
  }, 40_000);

  it("answers errors in GraphQL's shape: parse, validation, bad input, no key, another tenant", async () => {
    const t = await newTenant();
    const parse = await gql(t.manageKey, "{ project(id: ");
    expect(parse.status).toBe(400);
    expect(parse.body.errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    const unknown = await gql(t.manageKey, `{ project(id: "abc") { name } }`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ message: expect.stringMatching(/Cannot query field "name"/), extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
    const badUrl = await gql(t.manageKey, CREATE, { webhook: { streamId: "abc", url: "ftp://x.example/hook", triggers: ["stream_update"] } });
    expect(badUrl.status).toBe(200);
    expect(badUrl.body.errors[0]).toMatchObject({ path: ["webhookCreate"], extensions: { code: "BAD_USER_INPUT" } });
    const missing = await gql(t.manageKey, CREATE, { webhook: { streamId: "abc", url: "http://127.0.0.1:9/x" } });
    expect(missing.status).toBe(400); // triggers: [String!]! is required by the schema
    const noKey = await gql(null, `{ project(id: "abc") { webhooks { totalCount } } }`);
    expect(noKey.status).toBe(401);
    expect(noKey.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await gql(t.publishKey, `{ project(id: "abc") { webhooks { totalCount } } }`)).body.errors[0].extensions.code).toBe("FORBIDDEN");
    const raw = await call("/compat/speckle/graphql", { key: t.manageKey, raw: "{nope", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
    expect((await raw.json<any>()).errors[0].extensions.code).toBe("BAD_REQUEST");

    const id = (await gql(t.manageKey, CREATE, { webhook: { streamId: "abc", url: "http://127.0.0.1:9/x", triggers: ["stream_update"] } })).body.data.webhookCreate;
    const other = await newTenant();
    expect((await gql(other.manageKey, `{ project(id: "abc") { webhooks { totalCount } } }`)).body.data.project.webhooks.totalCount).toBe(0);
    expect((await gql(other.manageKey, DELETE, { webhook: { id, streamId: "abc" } })).body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await gql(t.manageKey, `{ project(id: "abc") { webhooks { totalCount } } }`)).body.data.project.webhooks.totalCount).toBe(1);
  });

  it("serves the schema: introspection without a key, and the SDL on GET", async () => {
    const intro = await gql(null, `{ __schema { mutationType { fields { name args { name type { kind ofType { name } } } } } } }`);
    expect(intro.status).toBe(200);
    const fields = intro.body.data.__schema.mutationType.fields;
    expect(fields.map((f: any) => f.name)).toEqual(["webhookCreate", "webhookUpdate", "webhookDelete"]);
    expect(fields[0].args).toEqual([{ name: "webhook", type: { kind: "NON_NULL", ofType: { name: "WebhookCreateInput" } } }]);
    const sdl = await call("/compat/speckle/graphql");
    expect(sdl.status).toBe(200);
    const text = await sdl.text();
    expect(text).toContain("history(limit: Int! = 25): WebhookEventCollection");
    expect(text).toContain("webhookDelete(webhook: WebhookDeleteInput!): String!");
  });
});
