/**
 * The REST façades in /openapi.json (they are plain Hono routes, so they are described here by
 * hand), and a pointer to the Speckle GraphQL endpoint. Shapes follow each vendor's API; see
 * docs/migrate/{bimdata,itwin,propstack,speckle}.md for the differences.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import { problems } from "../api/openapi";
import { EVENT_PRESETS } from "../core/presets";

type Registry = OpenAPIHono["openAPIRegistry"];
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
const security = [{ apiKey: [] }];
const id = (name: string, description: string) => z.string().openapi({ param: { name, in: "path" }, description });

// ---- BIMData ----------------------------------------------------------------------------------

const WebHook = z.object({
  id: z.number().int(),
  events: z.array(z.enum(EVENT_PRESETS.bimdata as [string, ...string[]])),
  url: z.string(),
  secret: z.string().optional().openapi({ description: "Only when it was just set (create, or a PATCH with a new secret)" }),
}).openapi("BimdataWebHook");
const WebHookRequest = z.object({
  url: z.string(),
  events: z.array(z.enum(EVENT_PRESETS.bimdata as [string, ...string[]])),
  secret: z.string().optional().openapi({ description: "8 to 256 printable characters; generated when absent" }),
}).openapi("BimdataWebHookRequest");

function bimdata(r: Registry) {
  const bases = [
    { path: "/compat/bimdata/cloud/{cloud_pk}/webhook", what: "cloud", params: { cloud_pk: id("cloud_pk", "Cloud id") } },
    {
      path: "/compat/bimdata/cloud/{cloud_pk}/project/{project_pk}/webhook", what: "project",
      params: { cloud_pk: id("cloud_pk", "Cloud id"), project_pk: id("project_pk", "Project id") },
    },
  ];
  for (const { path, what, params } of bases) {
    const tags = ["Compat: BIMData"];
    const P = z.object(params);
    const PI = z.object({ ...params, id: id("id", "Webhook id") });
    r.registerPath({ method: "post", path, tags, security, summary: `Create a ${what} webhook (createWebHook / createProjectWebHook)`,
      request: { params: P, body: { ...json(WebHookRequest), required: true } }, responses: { 201: { description: "Created", ...json(WebHook) }, ...problems(401, 403, 422) } });
    r.registerPath({ method: "get", path, tags, security, summary: `List the ${what}'s webhooks`,
      request: { params: P }, responses: { 200: { description: "Webhooks", ...json(z.array(WebHook)) }, ...problems(401, 403, 422) } });
    r.registerPath({ method: "get", path: `${path}/{id}`, tags, security, summary: `Get a ${what} webhook`,
      request: { params: PI }, responses: { 200: { description: "Webhook", ...json(WebHook) }, ...problems(401, 403, 404) } });
    r.registerPath({ method: "patch", path: `${path}/{id}`, tags, security, summary: `Update some fields of a ${what} webhook`,
      request: { params: PI, body: json(WebHookRequest.partial()) }, responses: { 200: { description: "Updated", ...json(WebHook) }, ...problems(401, 403, 404, 422) } });
    r.registerPath({ method: "delete", path: `${path}/{id}`, tags, security, summary: `Delete a ${what} webhook`,
      request: { params: PI }, responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) } });
    r.registerPath({ method: "post", path: `${path}/{id}/ping`, tags, security, summary: `Send {"ok": true} to a ${what} webhook`,
      request: { params: PI, body: json(WebHookRequest.partial()) }, responses: { 200: { description: "The webhook; the ping is queued", ...json(WebHook) }, ...problems(401, 403, 404) } });
  }
}

// ---- iTwin ------------------------------------------------------------------------------------

const Accept = z.object({
  accept: z.string().optional().openapi({
    param: { name: "accept", in: "header" },
    description: "application/vnd.bentley.itwin-platform.v1+json or …v2+json chooses the Webhooks API version",
  }),
});
const V1Create = z.object({
  imodelId: z.string(), eventTypes: z.array(z.string()), callbackUrl: z.string(),
  expirationDateTime: z.string().optional(), secret: z.string().optional(),
}).openapi("ItwinV1CreateWebhook");
const V1Webhook = z.object({
  id: z.string(), isActive: z.boolean().openapi({ description: "false until the callback is validated, and while deactivated or expired" }),
  isValidated: z.boolean(), callbackUrl: z.string(), expirationDateTime: z.string().nullable(),
  validationState: z.string().optional(), eventSource: z.string().optional(),
  _links: z.object({ imodel: z.object({ href: z.string() }) }).optional(),
}).openapi("ItwinV1Webhook");
const V2Webhook = z.object({
  id: z.string(), scope: z.enum(["Account", "iTwin"]), scopeId: z.string(), active: z.boolean(), callbackUrl: z.string(),
  eventTypes: z.array(z.string()), created: z.string(), modified: z.string(),
}).openapi("ItwinV2Webhook");
const V2Created = V2Webhook.extend({ secret: z.string().openapi({ description: "The one you sent, or 64 generated hex characters; shown this once" }) })
  .openapi("ItwinV2CreatedWebhook");
const V2Create = z.object({
  callbackUrl: z.string(), scope: z.enum(["Account", "iTwin"]), scopeId: z.string().optional(), eventTypes: z.array(z.string()),
  secret: z.string().min(32).optional(),
}).openapi("ItwinV2CreateWebhook");
const V2Update = V2Create.partial().extend({ active: z.boolean().optional() })
  .openapi("ItwinV2UpdateWebhook", { description: "Only what is sent changes; without secret the secret stays" });

function itwin(r: Registry) {
  const tags = ["Compat: iTwin"];
  const P = z.object({ id: id("id", "Webhook id") });
  const both = (v1: z.ZodType, v2: z.ZodType) => json(z.union([v1, v2]));
  const location = { Location: { description: "The new webhook's URL; its last segment is the id", schema: { type: "string" as const } } };
  r.registerPath({ method: "post", path: "/compat/itwin/webhooks/imodels", tags, security, summary: "v1: create an iModel events webhook",
    request: { headers: Accept, body: { ...json(V1Create), required: true } },
    responses: { 201: { description: "Created; the OPTIONS handshake follows", headers: location, ...json(z.object({ webhook: z.object({ id: z.string(), secret: z.string() }) })) }, ...problems(401, 403, 404, 422) } });
  r.registerPath({ method: "post", path: "/compat/itwin/webhooks", tags, security, summary: "v2: create a webhook (inactive until PATCH active: true)",
    request: { headers: Accept, body: { ...json(V2Create), required: true } },
    responses: { 201: { description: "Created: the webhook itself, with its secret", ...json(V2Created) }, ...problems(401, 403, 404, 422) } });
  r.registerPath({ method: "get", path: "/compat/itwin/webhooks", tags, security, summary: "v1 or v2 (by Accept): list webhooks",
    request: { headers: Accept }, responses: { 200: { description: "Webhooks", ...both(z.object({ webhooks: z.array(V1Webhook) }), z.object({ webhooks: z.array(V2Webhook) })) }, ...problems(401, 403) } });
  r.registerPath({ method: "get", path: "/compat/itwin/webhooks/{id}", tags, security, summary: "v1 or v2: get a webhook (v1 wraps it in {webhook}, v2 does not)",
    request: { params: P, headers: Accept }, responses: { 200: { description: "Webhook", ...both(z.object({ webhook: V1Webhook }), V2Webhook) }, ...problems(401, 403, 404) } });
  r.registerPath({ method: "patch", path: "/compat/itwin/webhooks/{id}", tags, security, summary: "v2: update, activate or deactivate a webhook",
    request: { params: P, headers: Accept, body: json(V2Update) }, responses: { 200: { description: "Updated: the webhook itself", ...json(V2Webhook) }, ...problems(401, 403, 404, 422) } });
  r.registerPath({ method: "delete", path: "/compat/itwin/webhooks/{id}", tags, security, summary: "v1 or v2: delete a webhook",
    request: { params: P, headers: Accept }, responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) } });
  for (const op of ["activate", "deactivate"] as const) {
    r.registerPath({ method: "post", path: `/compat/itwin/webhooks/{id}/${op}`, tags, security,
      summary: op === "activate" ? "v1: activate a validated webhook" : "v1: deactivate an active webhook (422 when already inactive)",
      request: { params: P, headers: Accept, ...(op === "activate" ? { body: json(z.object({ expirationDateTime: z.string().optional() })) } : {}) },
      responses: { 202: { description: "Accepted" }, ...problems(401, 403, 404, 422) } });
  }
  r.registerPath({ method: "get", path: "/compat/itwin/webhooks/confirm", tags, summary: "v1: confirm callback ownership (the WebHook-Request-Callback link; no token needed)",
    request: { query: z.object({ id: z.string(), key: z.string() }) },
    responses: { 200: { description: "Validated", ...json(z.object({ webhook: V1Webhook })) }, ...problems(404) } });
}

// ---- Propstack --------------------------------------------------------------------------------

function propstack(r: Registry) {
  const tags = ["Compat: Propstack"];
  const Hook = z.object({ id: z.number().int(), event: z.string(), target_url: z.string() });
  r.registerPath({ method: "post", path: "/compat/propstack/v1/hooks", tags, security, summary: "Create a hook (query string, or JSON)",
    request: { query: z.object({ target_url: z.string(), event: z.string(), secret: z.string().optional() }) },
    responses: { 200: { description: "Created", ...json(z.object({ id: z.number().int() })) }, ...problems(401, 403, 422) } });
  r.registerPath({ method: "get", path: "/compat/propstack/v1/hooks", tags, security, summary: "List hooks",
    responses: { 200: { description: "Hooks", ...json(z.object({ hooks: z.array(Hook) })) }, ...problems(401, 403) } });
  r.registerPath({ method: "delete", path: "/compat/propstack/v1/hooks/{id}", tags, security, summary: "Delete a hook",
    request: { params: z.object({ id: id("id", "Hook id") }) }, responses: { 200: { description: "Deleted", ...json(z.object({ ok: z.literal(true) })) }, ...problems(401, 403, 404) } });
}

// ---- Speckle (GraphQL) ------------------------------------------------------------------------

function speckle(r: Registry) {
  const tags = ["Compat: Speckle"];
  const GraphqlResult = z.object({ data: z.unknown().optional(), errors: z.array(z.object({ message: z.string() }).loose()).optional() });
  const graphqlErrors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { description: "GraphQL errors", ...json(GraphqlResult) }]));
  r.registerPath({ method: "post", path: "/compat/speckle/graphql", tags, security,
    summary: "Speckle's webhook GraphQL API (webhookCreate/Update/Delete, stream/project webhooks with history); introspection needs no key",
    request: { body: { ...json(z.object({ query: z.string(), variables: z.record(z.string(), z.unknown()).optional(), operationName: z.string().nullable().optional() })), required: true } },
    responses: { 200: { description: "GraphQL result", ...json(GraphqlResult) }, ...graphqlErrors(400, 401, 403, 415) } });
  r.registerPath({ method: "get", path: "/compat/speckle/graphql", tags, summary: "Without `query`: the schema as SDL; with `query`: runs it (GraphQL over HTTP)",
    request: { query: z.object({ query: z.string().optional(), variables: z.string().optional(), operationName: z.string().optional() }) },
    responses: { 200: { description: "SDL or GraphQL result", content: { "text/plain": { schema: z.string() }, "application/json": { schema: GraphqlResult } } }, ...graphqlErrors(400, 401, 403) } });
}

/** Adds every façade route to the app's OpenAPI registry. */
export function registerCompatOpenApi(registry: Registry) {
  bimdata(registry);
  itwin(registry);
  propstack(registry);
  speckle(registry);
}
