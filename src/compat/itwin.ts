/**
 * iTwin's Webhooks API under /compat/itwin, both published versions on one base, chosen as
 * api.bentley.com chooses them: by `Accept: application/vnd.bentley.itwin-platform.v1+json` or
 * `…v2+json`. Without a version in Accept, an operation that exists in one version only is served
 * by that version, a webhook id by its own version, and the list by v1.
 *
 *  - v1 (itwin-v1.ts, the seed's version): `itwin` profile hooks, OPTIONS handshake, the manual
 *    `GET /webhooks/confirm?id&key` link, 30-day expiry, activate/deactivate operations.
 *  - v2 (itwin-v2.ts): `itwin_v2` profile hooks, Account/iTwin scope, inactive until
 *    `PATCH {active: true}`, no handshake, no expiry.
 *
 * Webhook ids are Hookline hook ids, so the id a client holds is the `subscriptionId` (v1) or
 * `webhookId` (v2) in every delivery. Errors are problem+json that also carry iTwin's own
 * `{"error": {"code", "message", "details"}}` member.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/types";
import { AppError, problemBody, toProblemResponse } from "../errors";
import { compatAuth } from "./shared";
import * as v1 from "./itwin-v1";
import * as v2 from "./itwin-v2";
import { ItwinError, itwinHook } from "./itwin-views";

const V1_TYPE = /application\/vnd\.bentley\.itwin-platform\.v1\+json/i;
const V2_TYPE = /application\/vnd\.bentley\.itwin-platform\.v2\+json/i;

/** The version the client asked for in Accept, if any. */
function askedVersion(c: Context<AppEnv>): 1 | 2 | null {
  const accept = c.req.header("accept") ?? "";
  if (V2_TYPE.test(accept)) return 2;
  if (V1_TYPE.test(accept)) return 1;
  return null;
}

/**
 * iTwin's error codes and messages, as the operation pages list them (401, 403, 404 and 429 on every
 * page; see docs/migrate/itwin.md for the pages).
 */
const DOCUMENTED: Record<number, { code: string; message: string }> = {
  401: { code: "HeaderNotFound", message: "Header Authorization was not found in the request. Access denied." },
  403: { code: "InsufficientPermissions", message: "The user has insufficient permissions for the requested operation." },
  429: { code: "TooManyRequests", message: "More requests were received than the subscription rate-limit allows." },
};

/** Codes for what no page documents (a path outside the API, an oversized body); Hookline's message goes with them. */
const UNDOCUMENTED: Record<number, string> = { 404: "NotFound", 413: "RequestTooLarge", 415: "InvalidRequestBody" };

/**
 * A body iTwin cannot accept, per operation: `Invalid<Operation>WebhookRequest`. "Update webhook" (v2)
 * and "Deactivate a webhook" (v1) document theirs; create and activate follow the same pattern.
 */
function refusal(method: string, path: string): { code: string; message: string } {
  if (method === "PATCH") return { code: "InvalidUpdateWebhookRequest", message: "Cannot update a webhook. Make sure the request body is valid." };
  if (path.endsWith("/webhooks/imodels")) return { code: "InvalidCreateWebhookRequest", message: "Cannot create webhook." };
  if (path.endsWith("/activate")) return { code: "InvalidActivateWebhookRequest", message: "Cannot activate webhook." };
  if (path.endsWith("/deactivate")) return { code: "InvalidDeactivateWebhookRequest", message: "Cannot deactivate webhook." };
  return { code: "InvalidCreateWebhookRequest", message: "Cannot create a webhook. Make sure the request body is valid." };
}

/** iTwin's `{"error": {code, message, details}}` for any error the façade raised. */
/** An operation of one version only: asked for in the other version's Accept, it is refused. */
const only = (version: 1 | 2, handler: (c: Context<AppEnv>) => Response | Promise<Response>) => (c: Context<AppEnv>) => {
  if (askedVersion(c) === (version === 1 ? 2 : 1)) throw versionMismatch();
  return handler(c);
};

function itwinErrorMember(err: AppError, c: Context<AppEnv>, path: string) {
  if (err instanceof ItwinError) return { code: err.code, message: err.itwinMessage, ...(err.details ? { details: err.details } : {}) };
  if (err.status === 422 || err.status === 409) {
    const details = (err.errors ?? []).map((e) => {
      const target = e.loc.slice(1).join(".");
      return { code: "InvalidRequestBody", message: e.msg, ...(target ? { target } : {}) };
    });
    return { ...refusal(c.req.method, path), ...(details.length ? { details } : {}) };
  }
  if (err.status === 401 && (c.req.header("authorization") ?? c.req.header("x-api-key"))) return { code: "HeaderNotFound", message: err.message };
  return DOCUMENTED[err.status] ?? { code: UNDOCUMENTED[err.status] ?? "Error", message: err.message };
}

/** problem+json plus iTwin's `error` member, so both kinds of client can read it. */
function itwinError(err: unknown, c: Context<AppEnv>): Response {
  const path = new URL(c.req.url).pathname;
  const base = toProblemResponse(err, path);
  if (!(err instanceof AppError)) return base;
  const body = { ...problemBody(err), instance: path, error: itwinErrorMember(err, c, path) };
  return new Response(JSON.stringify(body), { status: err.status, headers: base.headers });
}

const versionMismatch = () => new AppError(404, "not-found", "Not found", "This operation is not part of the requested Webhooks API version.");

const app = new Hono<AppEnv>();
app.onError((err, c) => itwinError(err, c));

// The manual validation link is opened by whoever receives the OPTIONS request: its key is the credential.
app.get("/webhooks/confirm", only(1, v1.confirm));

app.use("*", compatAuth);

app.post("/webhooks/imodels", only(1, v1.create));
app.post("/webhooks/:id/activate", only(1, v1.activate));
app.post("/webhooks/:id/deactivate", only(1, v1.deactivate));

app.post("/webhooks", only(2, v2.create));
app.patch("/webhooks/:id", only(2, v2.update));

app.get("/webhooks", (c) => ((askedVersion(c) ?? 1) === 2 ? v2.list(c) : v1.list(c)));

app.get("/webhooks/:id", async (c) => {
  const row = await itwinHook(c, askedVersion(c));
  return row.profile === "itwin_v2" ? v2.details(c, row) : v1.details(c, row);
});

app.delete("/webhooks/:id", async (c) => {
  const row = await itwinHook(c, askedVersion(c));
  return row.profile === "itwin_v2" ? v2.remove(c, row) : v1.remove(c, row);
});

export default app;
