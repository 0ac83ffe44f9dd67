/**
 * The hook form: what a person types, turned into the same HookCreate / HookUpdate bodies /v1
 * accepts, with messages per field for anything that does not fit.
 */
import { HookCreate, HookUpdate } from "../../core/schemas";
import { AppError } from "../../errors";
import type { ConsoleScope } from "./scope";

export interface HookFormValues {
  url: string;
  description: string;
  events: string[];
  events_other: string;
  filter: string;
  retry_schedule: string;
  profile: string;
  channels: string;
}

export type FieldErrors = Partial<Record<keyof HookFormValues | "form", string>>;

type Body = Record<string, string | File | (string | File)[]>;
const one = (b: Body, k: string) => {
  const v = b[k];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === "string" ? s.trim() : "";
};
const many = (b: Body, k: string) => {
  const v = b[k];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s): s is string => typeof s === "string" && s !== "");
};
const words = (s: string) => s.split(/[\s,]+/).filter(Boolean);

export function readHookForm(body: Body): HookFormValues {
  return {
    url: one(body, "url"), description: one(body, "description"), events: many(body, "events"), events_other: one(body, "events_other"),
    filter: one(body, "filter"), retry_schedule: one(body, "retry_schedule"), profile: one(body, "profile"), channels: one(body, "channels"),
  };
}

const FIELDS = new Set(["url", "description", "events", "filter", "retry_schedule", "profile", "channels"]);
const fieldOf = (loc: (string | number)[]) => {
  const f = String(loc[0] === "body" ? loc[1] : loc[0]);
  return (FIELDS.has(f) ? f : "form") as keyof FieldErrors;
};

/**
 * The API body for a form, or the messages to show next to its fields. In the portal the channel is
 * not the form's to choose: new and edited hooks get exactly [channel].
 */
export function hookBody(v: HookFormValues, mode: "create" | "update", scope: ConsoleScope, urlProblem: (url: string) => string | null):
  { ok: true; body: HookCreate | HookUpdate } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  // the URL policy's verdict up front, so one submit shows every field's message
  if (!v.url) errors.url = "Required: the address that receives the requests.";
  else {
    const why = urlProblem(v.url);
    if (why) errors.url = why;
  }
  const raw: Record<string, unknown> = { url: v.url, description: v.description || null };
  const events = [...new Set([...v.events, ...words(v.events_other)])];
  raw.events = events.length ? events : ["*"];
  if (v.filter) {
    try {
      raw.filter = JSON.parse(v.filter);
    } catch {
      errors.filter = "Not JSON: write the filter as a JSON object, or leave it empty.";
    }
  } else raw.filter = null;
  if (v.retry_schedule) {
    const n = words(v.retry_schedule).map(Number);
    if (n.some((x) => !Number.isInteger(x) || x < 0)) errors.retry_schedule = "Whole seconds, separated by commas (e.g. 0, 5, 300).";
    else raw.retry_schedule = n;
  } else raw.retry_schedule = null;
  raw.channels = scope.channel !== null ? [scope.channel] : words(v.channels);
  if (mode === "create" && v.profile) raw.profile = v.profile;
  const parsed = (mode === "create" ? HookCreate : HookUpdate).safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const f = fieldOf(issue.path.map((p) => (typeof p === "number" ? p : String(p))));
      errors[f] ??= issue.message;
    }
  }
  if (Object.keys(errors).length || !parsed.success) return { ok: false, errors };
  return { ok: true, body: parsed.data };
}

/** A refusal from the hook service (bad URL, quota, size) as form messages; anything else is rethrown. */
export function serviceErrors(err: unknown): FieldErrors {
  if (!(err instanceof AppError) || err.status >= 500 || err.status === 403 || err.status === 404) throw err;
  const out: FieldErrors = {};
  for (const e of err.errors ?? []) out[fieldOf(e.loc)] ??= e.msg;
  if (!Object.keys(out).length) out.form = err.message;
  return out;
}

/** The form's values for an existing hook (events outside the catalogue go to the free-text field). */
export function valuesOf(h: { url: string; description: string | null; events: string[]; filter: unknown; retry_schedule: number[] | null; profile: string; channels: string[] }, names: Set<string>): HookFormValues {
  return {
    url: h.url, description: h.description ?? "", events: h.events.filter((e) => names.has(e)),
    events_other: h.events.filter((e) => !names.has(e) && e !== "*").join(", "),
    filter: h.filter ? JSON.stringify(h.filter) : "", retry_schedule: h.retry_schedule?.join(", ") ?? "", profile: h.profile, channels: h.channels.join(", "),
  };
}
