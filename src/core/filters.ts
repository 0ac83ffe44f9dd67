/**
 * Which hooks an event goes to (docs/architecture.md#hooks), pure.
 *  - event patterns: exact names, `*` for everything, `prefix.*` for a subtree (`bcf.topic.*`)
 *  - channels: empty = all, otherwise the event's channel must be listed (or fall under a `prefix/*`)
 *  - filter.changed_attributes: any-of against the event's changed_attributes
 *  - filter.data: `{ "path.to.field": { "$eq": v } }` with $eq $ne $in $exists $gt $lt, all must hold
 */
import { z } from "@hono/zod-openapi";

export const EVENT_PATTERN = /^(\*|[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*(\.\*)?)$/;

const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
const condition = z
  .strictObject({
    $eq: scalar.optional(),
    $ne: scalar.optional(),
    $in: z.array(scalar).max(100).optional(),
    $exists: z.boolean().optional(),
    $gt: z.union([z.number(), z.string().max(100)]).optional(),
    $lt: z.union([z.number(), z.string().max(100)]).optional(),
  })
  .refine((c) => Object.keys(c).length > 0, "a condition needs at least one operator");

const PATH = /^(\$\.)?[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$/;

export const HookFilter = z
  .strictObject({
    changed_attributes: z.array(z.string().min(1).max(200)).max(100).optional(),
    data: z
      .record(z.string().regex(PATH, "a path is dot-separated field names, optionally starting with $."), condition)
      .refine((r) => Object.keys(r).length <= 20, "at most 20 data conditions")
      .optional(),
  })
  .openapi("HookFilter");
export type HookFilter = z.infer<typeof HookFilter>;

/** `*` means every event of yours: Hookline's own operational events (`hookline.*`) are only
 *  delivered to hooks that name them, so a catch-all hook never receives alerts it did not ask for. */
export function matchesPattern(pattern: string, type: string): boolean {
  if (pattern === "*") return !type.startsWith("hookline.");
  if (pattern.endsWith(".*")) {
    const prefix = pattern.slice(0, -1); // keeps the dot
    return type.startsWith(prefix) && type.length > prefix.length;
  }
  return pattern === type;
}

export interface RoutableEvent {
  type: string;
  channel?: string | null;
  changed_attributes?: string[] | null;
  data?: unknown;
}

export interface Subscription {
  events: string[];
  channels: string[];
  filter: HookFilter | null;
}

/** A channel is matched exactly, or by `prefix/*` for every channel under it (a BIMData cloud
 *  webhook, `88/*`, receives its projects' `88/<project>` events). */
export function matchesChannel(pattern: string, channel: string): boolean {
  if (pattern.endsWith("/*")) return channel.startsWith(pattern.slice(0, -1)) && channel.length > pattern.length - 1;
  return pattern === channel;
}

export function hookMatches(sub: Subscription, ev: RoutableEvent): boolean {
  if (!sub.events.some((p) => matchesPattern(p, ev.type))) return false;
  if (sub.channels.length > 0 && (!ev.channel || !sub.channels.some((c) => matchesChannel(c, ev.channel!)))) return false;
  return sub.filter ? filterMatches(sub.filter, ev) : true;
}

export function filterMatches(filter: HookFilter, ev: RoutableEvent): boolean {
  if (filter.changed_attributes && filter.changed_attributes.length > 0) {
    const changed = ev.changed_attributes ?? [];
    if (!filter.changed_attributes.some((a) => changed.includes(a))) return false;
  }
  for (const [path, cond] of Object.entries(filter.data ?? {})) {
    if (!conditionHolds(lookup(ev.data, path), cond)) return false;
  }
  return true;
}

const MISSING = Symbol("missing");

function lookup(data: unknown, path: string): unknown {
  let cur: unknown = data;
  for (const key of path.replace(/^\$\./, "").split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, key)) return MISSING;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

type Condition = z.infer<typeof condition>;

function conditionHolds(value: unknown, c: Condition): boolean {
  const present = value !== MISSING;
  if (c.$exists !== undefined && c.$exists !== present) return false;
  if (c.$eq !== undefined && !(present && value === c.$eq)) return false;
  if (c.$ne !== undefined && present && value === c.$ne) return false;
  if (c.$in !== undefined && !(present && c.$in.some((x) => x === value))) return false;
  if (c.$gt !== undefined && !(present && comparable(value, c.$gt) && (value as number) > (c.$gt as number))) return false;
  if (c.$lt !== undefined && !(present && comparable(value, c.$lt) && (value as number) < (c.$lt as number))) return false;
  return true;
}

function comparable(value: unknown, bound: number | string): boolean {
  return typeof value === typeof bound;
}
