/**
 * Resource counters for the benchmark's cost model (bench/). With `METRICS=1` the bindings are
 * wrapped so every D1 statement, queue write, queue message consumed and Durable Object call is
 * counted; a few counters (alarm writes, DO storage rows, target requests) are always kept — they
 * are one integer increment. Production leaves METRICS unset and the bindings untouched.
 */
import type { Env } from "./env";

export const counts: Record<string, number> = {};

export function count(name: string, n = 1) {
  counts[name] = (counts[name] ?? 0) + n;
}

export function resetCounts() {
  for (const k of Object.keys(counts)) delete counts[k];
}

const wrapped = new WeakMap<object, Env>();

/** The same env, with counting bindings when METRICS=1. */
export function instrument<E extends Env>(env: E): E {
  if ((env as { METRICS?: string }).METRICS !== "1") return env;
  const hit = wrapped.get(env);
  if (hit) return hit as E;
  const out = {
    ...env,
    DB: countD1(env.DB),
    EVENTS: countQueue(env.EVENTS),
    DELIVERIES: countQueue(env.DELIVERIES),
    DEAD: countQueue(env.DEAD),
    ENDPOINTS: countNamespace(env.ENDPOINTS),
  } as E;
  wrapped.set(env, out);
  return out;
}

function countD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== "prepare") return Reflect.get(target, prop, receiver);
      return (sql: string) => countStatement(target.prepare(sql), /^\s*(insert|update|delete|replace)/i.test(sql) ? "write" : "read");
    },
  });
}

function countStatement(stmt: D1PreparedStatement, kind: "read" | "write"): D1PreparedStatement {
  return new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => countStatement((value as (...a: unknown[]) => D1PreparedStatement).apply(target, args), kind);
      if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
        return async (...args: unknown[]) => {
          count(`d1.${kind}_queries`);
          const res = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          const meta = (res as { meta?: { rows_read?: number; rows_written?: number } } | null)?.meta;
          if (meta?.rows_written) count("d1.rows_written", meta.rows_written);
          if (meta?.rows_read) count("d1.rows_read", meta.rows_read);
          // raw() (drizzle's selects) returns rows without meta: count the rows returned, a lower
          // bound of the rows D1 read for them (an indexed read returns what it reads)
          if (prop === "raw" && Array.isArray(res)) count("d1.rows_read", res.length);
          return res;
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** Queues bill an operation per 64 KB of each message written, read and deleted. */
export const queueUnits = (body: unknown): number => Math.max(1, Math.ceil(new TextEncoder().encode(JSON.stringify(body) ?? "").byteLength / 65_536));

function countQueue<T>(q: Queue<T>): Queue<T> {
  return new Proxy(q, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop === "send") {
        return (...a: unknown[]) => {
          count("queue.writes");
          count("queue.billed_writes", queueUnits(a[0]));
          return (value as (...x: unknown[]) => Promise<void>).apply(target, a);
        };
      }
      if (prop === "sendBatch") {
        return (msgs: { body: unknown }[], ...rest: unknown[]) => {
          count("queue.writes", msgs.length);
          for (const m of msgs) count("queue.billed_writes", queueUnits(m.body));
          return (value as (...x: unknown[]) => Promise<void>).apply(target, [msgs, ...rest]);
        };
      }
      return typeof value === "function" ? (value as (...x: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function countNamespace<T extends Rpc.DurableObjectBranded | undefined>(ns: DurableObjectNamespace<T>): DurableObjectNamespace<T> {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== "get") return typeof value === "function" ? (value as (...x: unknown[]) => unknown).bind(target) : value;
      return (...a: unknown[]) => {
        const stub = Reflect.apply(value as (...x: unknown[]) => DurableObjectStub, target, a);
        return new Proxy(stub, {
          get(s, p) {
            const v = Reflect.get(s, p, s) as unknown;
            if (typeof v !== "function" || typeof p !== "string" || p === "fetch" || p === "idFromName") return v;
            // Reflect.apply: an RPC stub's members are proxies, so `.apply` would itself be an RPC call.
            // Wall time of each call estimates DO duration (billed while the object is active).
            return async (...args: unknown[]) => {
              count("do.requests");
              count(`do.call.${p}`);
              const t0 = Date.now();
              try {
                return await Reflect.apply(v as (...x: unknown[]) => unknown, s, args);
              } finally {
                count("do.wall_ms", Date.now() - t0);
              }
            };
          },
        });
      };
    },
  });
}
