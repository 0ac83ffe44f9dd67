/**
 * Speckle's webhook GraphQL API at /compat/speckle/graphql, executed by the `graphql` package in
 * the Worker against Speckle's own schema (speckle-schema.ts): the `webhookCreate`,
 * `webhookUpdate` and `webhookDelete` mutations, and `stream(id)` / `project(id)` with
 * `webhooks(id)` and each webhook's `history(limit)`. A Speckle client changes only its server URL
 * and token (an API key with webhook:manage, sent as `Authorization: Bearer hk_…`).
 *
 * Webhooks are speckle-profile hooks whose first channel is the stream (project) id; producers
 * publish a stream's events with that id as channel. History items are the hook's deliveries:
 * status 0 queued, 1 being sent, 2 succeeded ("Webhook called"), 3 failed (with what the receiver
 * answered), as Speckle's webhook service records them.
 *
 * Errors are GraphQL errors (`{"errors": [{message, extensions: {code}}], "data"}`): requests that
 * cannot run (bad JSON, syntax, validation) are 400, missing or insufficient keys 401/403, and
 * failures inside an operation come back with 200 and `data` as far as it got. Introspection needs no key.
 */
import {
  GraphQLError, buildSchema, execute, getOperationAST, parse as parseDocument, printSchema, validate,
  type DocumentNode, type ExecutionResult, type GraphQLFormattedError,
} from "graphql";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { createHook, deleteHook, rotateSecret, updateHook } from "../hooks/service";
import { admit, authenticateKey, bearer } from "../api/middleware/auth";
import type { AppEnv } from "../api/types";
import { EventPattern } from "../core/schemas";
import { db } from "../db/hooks";
import { hooks, type HookRow } from "../db/schema";
import type { Env } from "../env";
import { AppError, forbidden, invalid, unauthorized, validationError } from "../errors";
import { and, desc, eq, sql } from "drizzle-orm";
import { SPECKLE_WEBHOOK_SDL } from "./speckle-schema";
import { speckleHistory } from "./speckle-history";

const schema = buildSchema(SPECKLE_WEBHOOK_SDL);

/** Speckle's own cap (MAX_STREAM_WEBHOOKS in modules/webhooks/services/webhooks.ts). */
const MAX_STREAM_WEBHOOKS = 100;

const StreamId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "not a stream id");
const CreateInput = z.object({
  streamId: StreamId,
  url: z.string().min(1).max(2048),
  description: z.string().max(500).nullish(),
  triggers: z.array(EventPattern).min(1).max(100),
  secret: z.string().max(256).nullish(),
  enabled: z.boolean().nullish(),
});
const UpdateInput = z.object({
  id: z.string().min(1).max(100),
  streamId: StreamId,
  url: z.string().min(1).max(2048).nullish(),
  description: z.string().max(500).nullish(),
  secret: z.string().max(256).nullish(),
  enabled: z.boolean().nullish(),
  triggers: z.array(EventPattern).min(1).max(100).nullish(),
});
const DeleteInput = z.object({ id: z.string().min(1).max(100), streamId: StreamId });

interface Ctx {
  env: Env;
  tenantId: string;
}

function input<T extends z.ZodType>(s: T, value: unknown): z.infer<T> {
  const r = s.safeParse(value);
  if (!r.success) throw validationError("webhook", r.error.issues);
  return r.data;
}

/** The tenant's speckle hooks on one stream, most recently updated first (as Speckle lists them). */
async function streamHooks(ctx: Ctx, streamId: string): Promise<HookRow[]> {
  return db(ctx.env.DB).select().from(hooks)
    .where(and(eq(hooks.tenantId, ctx.tenantId), eq(hooks.profile, "speckle"), eq(hooks.ephemeral, false),
      sql`json_extract(${hooks.channels}, '$[0]') = ${streamId}`))
    .orderBy(desc(hooks.updatedAt), desc(hooks.id));
}

async function hookOnStream(ctx: Ctx, id: string, streamId: string): Promise<HookRow> {
  const row = (await db(ctx.env.DB).select().from(hooks)
    .where(and(eq(hooks.tenantId, ctx.tenantId), eq(hooks.id, id), eq(hooks.profile, "speckle"), eq(hooks.ephemeral, false))).limit(1))[0];
  // Speckle's own words when the pair does not match; an unknown id says the same, so ids leak nothing.
  if (!row || row.channels[0] !== streamId) throw forbidden("The webhook id and stream id do not match. Please check your inputs.");
  return row;
}

/** A `Webhook` object: plain fields, and `history(limit)` resolved on demand. */
const webhookOf = (ctx: Ctx, h: HookRow) => ({
  id: h.id,
  streamId: h.channels[0] ?? "",
  projectId: h.channels[0] ?? "",
  hasSecret: h.secretEnc !== null,
  url: h.url,
  description: h.description,
  triggers: h.events,
  enabled: h.enabled,
  history: ({ limit }: { limit: number }) => speckleHistory(ctx.env, h, limit),
});

/** `Stream.webhooks` and `Project.webhooks`: every webhook on the stream, or the one with `id`. */
const streamOf = (ctx: Ctx, id: string) => ({
  id,
  webhooks: async (args: { id?: string | null }) => {
    const rows = (await streamHooks(ctx, id)).filter((h) => !args.id || h.id === args.id);
    return { totalCount: rows.length, items: rows.map((h) => webhookOf(ctx, h)) };
  },
});

const root = {
  stream: ({ id }: { id: string }, ctx: Ctx) => streamOf(ctx, input(StreamId, id)),
  project: ({ id }: { id: string }, ctx: Ctx) => streamOf(ctx, input(StreamId, id)),

  webhookCreate: async ({ webhook }: { webhook: unknown }, ctx: Ctx) => {
    const w = input(CreateInput, webhook);
    if ((await streamHooks(ctx, w.streamId)).length >= MAX_STREAM_WEBHOOKS) {
      throw invalid(`Maximum number of webhooks for a stream reached (${MAX_STREAM_WEBHOOKS})`);
    }
    const { row } = await createHook(ctx.env, ctx.tenantId, {
      url: w.url, description: w.description ?? null, events: w.triggers, channels: [w.streamId], profile: "speckle",
      secret: w.secret ? w.secret : null, enabled: w.enabled !== false, validation: "none",
      // Speckle's toggle drops what happens while a webhook is disabled: events are recorded `skipped`, not held.
      while_inactive: "skip",
    });
    return row.id;
  },

  webhookUpdate: async ({ webhook }: { webhook: unknown }, ctx: Ctx) => {
    const w = input(UpdateInput, webhook);
    let row = await hookOnStream(ctx, w.id, w.streamId);
    // Speckle's resolver passes `enabled: args.webhook.enabled !== false`: leaving it out enables the webhook.
    row = await updateHook(ctx.env, row, {
      url: w.url ?? undefined, description: w.description ?? undefined, events: w.triggers ?? undefined, enabled: w.enabled !== false,
      while_inactive: "skip",
    });
    if (w.secret) await rotateSecret(ctx.env, row, w.secret);
    return row.id;
  },

  webhookDelete: async ({ webhook }: { webhook: unknown }, ctx: Ctx) => {
    const w = input(DeleteInput, webhook);
    await deleteHook(ctx.env, await hookOnStream(ctx, w.id, w.streamId));
    return w.id;
  },
};

/** Speckle-style error codes for Hookline's problems; anything unexpected stays opaque. */
function formatError(err: GraphQLError): GraphQLFormattedError {
  const original = err.originalError;
  if (!original || original instanceof GraphQLError) return err.toJSON();
  if (original instanceof AppError) {
    const code = { 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 413: "BAD_USER_INPUT", 422: "BAD_USER_INPUT" }[original.status as 401] ?? "BAD_REQUEST";
    return { message: original.message, locations: err.locations, path: err.path, extensions: { code, ...(original.errors ? { errors: original.errors } : {}) } };
  }
  console.error(JSON.stringify({ level: "error", msg: "speckle graphql resolver failed", error: String(original) }));
  return { message: "Internal server error", locations: err.locations, path: err.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

const reply = (c: Context<AppEnv>, status: 200 | 400 | 401 | 403 | 413 | 415, result: ExecutionResult | { errors: GraphQLFormattedError[] }) =>
  c.json("data" in result ? { errors: result.errors?.map(formatError), data: result.data } : result, status);

const requestError = (message: string, code = "BAD_REQUEST") => ({ errors: [{ message, extensions: { code } }] });

const Body = z.object({
  query: z.string().min(1).max(100_000),
  variables: z.record(z.string(), z.unknown()).nullish(),
  operationName: z.string().max(200).nullish(),
});

/** Only `__schema` / `__type` / `__typename` at the top: the schema is public, like Speckle's. */
function introspectionOnly(doc: DocumentNode, operationName: string | null | undefined): boolean {
  const op = getOperationAST(doc, operationName ?? undefined);
  return !!op && op.operation === "query" && op.selectionSet.selections.every((s) => s.kind === "Field" && s.name.value.startsWith("__"));
}

/** The caller's tenant, or the 401/403 a Speckle client would get for a missing or wrong token. */
async function tenantOf(c: Context<AppEnv>): Promise<string> {
  const who = await authenticateKey(c, bearer(c.req.header("authorization")));
  if (!who) throw unauthorized("Send an API key with the webhook:manage scope as Authorization: Bearer hk_….");
  admit(c, who, ["webhook:manage"]);
  return who.tenantId;
}

async function run(c: Context<AppEnv>, body: unknown) {
  const parsed = Body.safeParse(body);
  if (!parsed.success) return reply(c, 400, requestError("A GraphQL request is a JSON object with a `query` string, and optional `variables` and `operationName`."));
  const { query, variables, operationName } = parsed.data;
  let doc: DocumentNode;
  try {
    doc = parseDocument(query);
  } catch (err) {
    return reply(c, 400, { errors: [{ ...(err as GraphQLError).toJSON(), extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
  }
  const invalidDoc = validate(schema, doc);
  if (invalidDoc.length) return reply(c, 400, { errors: invalidDoc.map((e) => ({ ...e.toJSON(), extensions: { code: "GRAPHQL_VALIDATION_FAILED" } })) });
  const op = getOperationAST(doc, operationName ?? undefined);
  if (!op) return reply(c, 400, requestError("Name the operation to run (operationName) when the document holds several."));
  if (op.operation === "mutation" && c.req.method !== "POST") return reply(c, 400, requestError("Mutations are sent with POST.")); // like Apollo

  let tenantId = "";
  if (!introspectionOnly(doc, operationName)) {
    try {
      tenantId = await tenantOf(c);
    } catch (err) {
      const e = err as AppError;
      return reply(c, e.status === 403 ? 403 : 401, requestError(e.message, e.status === 403 ? "FORBIDDEN" : "UNAUTHENTICATED"));
    }
  }
  const result = await execute({ schema, document: doc, rootValue: root, contextValue: { env: c.env, tenantId } satisfies Ctx, variableValues: variables ?? undefined, operationName: operationName ?? undefined });
  // No `data` at all: the variables did not fit the operation, so nothing ran (Apollo answers 400 too).
  if (!("data" in result)) return reply(c, 400, { errors: (result.errors ?? []).map((e) => ({ ...e.toJSON(), extensions: { code: "BAD_USER_INPUT" } })) });
  return reply(c, 200, result);
}

const app = new Hono<AppEnv>();

app.post("/graphql", async (c) => {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(graphql-response\+)?json/i.test(type)) return reply(c, 415, requestError("Send the request as application/json."));
  return run(c, await c.req.json().catch(() => null));
});

/** GET runs queries from the query string (GraphQL over HTTP); with no query it serves the schema as SDL. */
app.get("/graphql", async (c) => {
  const query = c.req.query("query");
  if (!query) return c.text(printSchema(schema), 200, { "content-type": "text/plain; charset=utf-8" });
  let variables: unknown = undefined;
  try {
    variables = c.req.query("variables") ? JSON.parse(c.req.query("variables")!) : undefined;
  } catch {
    return reply(c, 400, requestError("variables is not JSON."));
  }
  return run(c, { query, variables, operationName: c.req.query("operationName") });
});

export default app;
