/**
 * The one place that knows the error wire format: RFC 9457 problem+json.
 * Everything else throws AppError (or lets Hono's HTTPException through) and `toProblem` maps it.
 */
import { HTTPException } from "hono/http-exception";
import { errorFields } from "./log";

export interface FieldError {
  /** JSON path of the failing field, e.g. ["body", "retry_schedule", 3]. */
  loc: (string | number)[];
  msg: string;
}

const TYPE_BASE = "https://hookline.dev/problems/";

export class AppError extends Error {
  constructor(
    readonly status: number,
    /** Stable machine-readable slug, appended to TYPE_BASE. */
    readonly slug: string,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    /** extra response headers, e.g. Retry-After on a 429 */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? title);
  }
}

export const notFound = (what = "resource") => new AppError(404, "not-found", "Not found", `No such ${what}.`);
export const unauthorized = (detail = "Missing or invalid credentials.") =>
  new AppError(401, "unauthorized", "Unauthorized", detail);
export const forbidden = (detail: string) => new AppError(403, "forbidden", "Forbidden", detail);
export const invalid = (detail: string, errors?: FieldError[]) =>
  new AppError(422, "validation-error", "Validation failed", detail, errors);
export const conflict = (detail: string) => new AppError(409, "conflict", "Conflict", detail);
export const rateLimited = (detail: string, retryAfterS: number) =>
  new AppError(429, "rate-limited", "Too many requests", detail, undefined, { "retry-after": String(retryAfterS) });

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
}

/** A zod failure in request part `where` ("body", "query", "param") → 422 with field locations. */
export function validationError(where: string, issues: readonly ZodIssueLike[]): AppError {
  const errors = issues.map((i) => ({
    loc: [where, ...i.path.map((p) => (typeof p === "number" ? p : String(p)))],
    msg: i.message,
  }));
  const first = errors[0];
  const detail = first ? `${first.loc.join(".")}: ${first.msg}` : "Invalid request.";
  return invalid(detail, errors);
}

export function problemBody(err: AppError) {
  return {
    type: TYPE_BASE + err.slug,
    title: err.title,
    status: err.status,
    detail: err.message,
    ...(err.errors ? { errors: err.errors } : {}),
  };
}

/**
 * Any thrown value → problem+json Response. Unknown errors become a 500 without internals, and are
 * logged by name, code and stack frames only: a message can carry bound SQL parameters (drizzle
 * prints them) or a URL with a secret in it (issue 15, finding 13).
 */
export function toProblemResponse(err: unknown, instance?: string): Response {
  let app: AppError;
  if (err instanceof AppError) app = err;
  else if (err instanceof HTTPException) app = fromHttpException(err);
  else {
    console.error(JSON.stringify({ level: "error", msg: "unhandled", ...errorFields(err) }));
    app = new AppError(500, "internal", "Internal error", "Something went wrong on our side.");
  }
  const body = { ...problemBody(app), ...(instance ? { instance } : {}) };
  const headers: Record<string, string> = { ...app.headers, "content-type": "application/problem+json" };
  if (app.status === 401) headers["www-authenticate"] = 'Bearer realm="hookline"';
  return new Response(JSON.stringify(body), { status: app.status, headers });
}

function fromHttpException(err: HTTPException): AppError {
  const s = err.status;
  const msg = err.message || "Bad request.";
  if (s === 413) return new AppError(413, "payload-too-large", "Payload too large", msg);
  if (s === 415) return new AppError(415, "unsupported-media-type", "Unsupported media type", msg);
  if (s === 401) return unauthorized(msg);
  if (s === 404) return notFound();
  if (/json/i.test(msg)) return new AppError(400, "malformed-json", "Malformed JSON", msg);
  if (/content-type/i.test(msg)) return new AppError(415, "unsupported-media-type", "Unsupported media type", msg);
  return new AppError(s, s >= 500 ? "internal" : "bad-request", s >= 500 ? "Internal error" : "Bad request", msg);
}
