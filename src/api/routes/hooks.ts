/** /v1/hooks: CRUD and lifecycle operations (docs/architecture.md#hooks, #api). Another tenant's hook is a 404. */
import { createRoute, z } from "@hono/zod-openapi";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../core/policy";
import { Hook, HookCreate, HookId, HookUpdate } from "../../core/schemas";
import { listHooks } from "../../db/hooks";
import { toHookOut } from "../views";
import { AppError } from "../../errors";
import { activateHook, createHook, deactivateHook, deleteHook, hookOr404, revalidate, rotateSecret, updateHookIssuing } from "../../hooks/service";
import { keyAuth } from "../middleware/auth";
import { QUOTAS_DOC } from "../tenant-quotas";
import { problems } from "../openapi";
import { router } from "../router";

const security = [{ apiKey: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ content: { "application/json": { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, ...json(schema) } });
const Params = z.object({ id: HookId });
const HookWithSecret = Hook.extend({ secret: z.string().nullable().openapi({ description: "Shown once. Null for a v1a hook (it signs with its key pair) and for unsigned seed hooks." }) }).openapi("HookCreated");
const HookUpdated = Hook.extend({
  secret: z.string().optional().openapi({ description: "Only when this update gave the hook a v1 secret (signature_scheme moved to v1 or both): shown once." }),
}).openapi("HookUpdated");

const manage = keyAuth("webhook:manage");
const app = router();


app.openapi(
  createRoute({
    method: "post", path: "/", tags: ["Hooks"], security, middleware: [manage] as const, summary: "Create a hook (the secret is returned once)",
    description: QUOTAS_DOC,
    request: body(HookCreate),
    responses: { 201: { description: "Created", ...json(HookWithSecret) }, ...problems(400, 401, 403, 409, 413, 415, 422) },
  }),
  async (c) => {
    const { row, secret } = await createHook(c.env, c.get("tenantId"), c.req.valid("json"));
    return c.json({ ...toHookOut(row), secret }, 201);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/", tags: ["Hooks"], security, middleware: [manage] as const, summary: "List hooks (cursor pagination)",
    request: {
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
        cursor: HookId.optional().openapi({ description: "`next_cursor` of the previous page" }),
      }),
    },
    responses: { 200: { description: "A page of hooks", ...json(z.object({ data: z.array(Hook), next_cursor: z.string().nullable() })) }, ...problems(401, 403, 422) },
  }),
  async (c) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor } = c.req.valid("query");
    const rows = await listHooks(c.env.DB, c.get("tenantId"), cursor, limit + 1);
    const page = rows.slice(0, limit);
    return c.json({ data: page.map(toHookOut), next_cursor: rows.length > limit ? page[page.length - 1]!.id : null }, 200);
  },
);

app.openapi(
  createRoute({
    method: "get", path: "/{id}", tags: ["Hooks"], security, middleware: [manage] as const, summary: "Get a hook",
    request: { params: Params },
    responses: { 200: { description: "The hook", ...json(Hook) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => c.json(toHookOut(await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id)), 200),
);

app.openapi(
  createRoute({
    method: "patch", path: "/{id}", tags: ["Hooks"], security, middleware: [manage] as const, summary: "Update a hook",
    request: { params: Params, ...body(HookUpdate) },
    responses: { 200: { description: "Updated", ...json(HookUpdated) }, ...problems(400, 401, 403, 404, 413, 415, 422) },
  }),
  async (c) => {
    const row = await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id);
    const { row: next, secret } = await updateHookIssuing(c.env, row, c.req.valid("json"));
    return c.json({ ...toHookOut(next), ...(secret ? { secret } : {}) }, 200);
  },
);

app.openapi(
  createRoute({
    method: "delete", path: "/{id}", tags: ["Hooks"], security, middleware: [manage] as const, summary: "Delete a hook; pending deliveries end cancelled",
    request: { params: Params },
    responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    await deleteHook(c.env, await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id));
    return c.body(null, 204);
  },
);

const Activate = z.strictObject({ expires_at: z.iso.datetime({ offset: true }).nullable().optional() }).openapi("HookActivate");

app.openapi(
  createRoute({
    method: "post", path: "/{id}/activate", tags: ["Hooks"], security, middleware: [manage] as const,
    summary: "Enable a hook; revives a disabled or expired one (expired needs a new expires_at)",
    request: { params: Params, body: { required: false, ...json(Activate) } },
    responses: { 200: { description: "Active", ...json(Hook) }, ...problems(401, 403, 404, 409, 422) },
  }),
  async (c) => {
    const row = await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id);
    const { expires_at } = (c.req.valid("json") as z.infer<typeof Activate> | undefined) ?? {};
    return c.json(toHookOut(await activateHook(c.env, row, expires_at)), 200);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/{id}/deactivate", tags: ["Hooks"], security, middleware: [manage] as const, summary: "Stop delivering; the queue is kept",
    request: { params: Params },
    responses: { 200: { description: "Deactivated", ...json(Hook) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const row = await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id);
    return c.json(toHookOut(await deactivateHook(c.env, row)), 200);
  },
);

app.openapi(
  createRoute({
    method: "post", path: "/{id}/revalidate", tags: ["Hooks"], security, middleware: [manage] as const,
    summary: "Run the validation handshake again (the hook is pending until it passes or its link is opened)",
    request: { params: Params },
    responses: { 202: { description: "Handshake queued", ...json(Hook) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const row = await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id);
    return c.json(toHookOut(await revalidate(c.env, row)), 202);
  },
);

const Rotate = z.strictObject({ secret: z.string().max(256).optional() }).openapi("SecretRotate");
const Rotated = z
  .object({
    secret: z.string().nullable().openapi({ description: "The new v1/seed secret, shown once (null for a v1a hook)" }),
    public_key: z.string().nullable().openapi({ description: "The new whpk_ public key when the hook signs v1a" }),
  })
  .openapi("SecretRotated");

app.openapi(
  createRoute({
    method: "post", path: "/{id}/rotate-secret", tags: ["Hooks"], security, middleware: [manage] as const,
    summary: "New secret and/or Ed25519 key pair, as the signature scheme uses (the secret is returned once); for standard hooks the previous ones keep signing for 24 h",
    description: "Standard hooks send a signature with the new and one with the previous secret (or key) for 24 h, so receivers can switch over. Hooks of the hex profiles bimdata, itwin, speckle, idfy and propstack sign with the new secret at once: their headers carry one signature, as the seed systems define them. Their signatures also cover the body only, with no timestamp, so a captured request can be replayed later and still verify: receivers of those profiles should remember the webhook-id header (or the event id in the body) and drop repeats.",
    request: { params: Params, body: { required: false, ...json(Rotate) } },
    responses: { 200: { description: "Rotated", ...json(Rotated) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const row = await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id);
    const { secret, publicKey } = await rotateSecret(c.env, row, (c.req.valid("json") as z.infer<typeof Rotate> | undefined)?.secret);
    return c.json({ secret, public_key: publicKey }, 200);
  },
);

const PublicKey = z
  .object({
    signature_scheme: z.enum(["v1a", "both"]),
    public_key: z.string().openapi({ description: "whpk_ + base64 of the 32-byte Ed25519 public key: verifies v1a signatures", example: "whpk_kE5pmV0ta2eLWB4qG7VUdm5gtx0tuRUs2nGQnrwXBqU=" }),
    previous_public_key: z.string().nullable().openapi({ description: "The key before the last rotation, while it still signs (null otherwise)" }),
    previous_valid_until: z.string().nullable(),
  })
  .openapi("HookPublicKey");

app.openapi(
  createRoute({
    method: "get", path: "/{id}/public-key", tags: ["Hooks"], security, middleware: [manage] as const,
    summary: "The Ed25519 public key (whpk_) that verifies this hook's v1a signatures",
    request: { params: Params },
    responses: { 200: { description: "The public key", ...json(PublicKey) }, ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const row = await hookOr404(c.env, c.get("tenantId"), c.req.valid("param").id);
    if (!row.publicKey || row.signatureScheme === "v1") {
      throw new AppError(404, "no-public-key", "No public key", "This hook signs with signature_scheme v1 (HMAC) only; set it to v1a or both to get an Ed25519 key pair.");
    }
    const inGrace = row.prevPublicKey !== null && (row.prevSecretUntil ?? 0) > Date.now();
    return c.json({
      signature_scheme: row.signatureScheme as "v1a" | "both",
      public_key: row.publicKey,
      previous_public_key: inGrace ? row.prevPublicKey : null,
      previous_valid_until: inGrace ? new Date(row.prevSecretUntil!).toISOString() : null,
    }, 200);
  },
);

export default app;
