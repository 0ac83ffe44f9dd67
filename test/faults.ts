/**
 * Fault injection for the queue consumers: bindings that wrap the real ones and fail or record
 * in a chosen place, passed in the `env` given to handleEventsBatch / handleDeliveriesBatch.
 */
import type { EndpointDO } from "../src/endpoint/endpoint-do";

/**
 * The ENDPOINTS namespace, except that the objects of the hooks in `failing` throw on `admit` (or
 * on each of `methods`), as an object past its memory would. Remove a hook from the set to clear its fault.
 */
export function failingEndpoints(real: DurableObjectNamespace<EndpointDO>, failing: Set<string>, methods: string[] = ["admit"]): DurableObjectNamespace<EndpointDO> {
  const isFailing = (id: DurableObjectId) => [...failing].some((h) => real.idFromName(h).equals(id));
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "get") {
        return (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => {
          const stub = target.get(id, options);
          if (!isFailing(id)) return stub;
          return new Proxy(stub, {
            get: (s, p) => (typeof p === "string" && methods.includes(p) ? () => Promise.reject(new Error("injected: endpoint object unavailable")) : Reflect.get(s, p)),
          });
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** A queue producer that keeps what is sent instead of sending it. */
export function capturingQueue<T = unknown>(): { queue: Queue<T>; sent: T[] } {
  const sent: T[] = [];
  const queue = {
    send: async (body: T) => void sent.push(structuredClone(body)),
    sendBatch: async (msgs: Iterable<MessageSendRequest<T>>) => {
      for (const m of msgs) sent.push(structuredClone(m.body));
    },
  } as unknown as Queue<T>;
  return { queue, sent };
}

/**
 * The D1 binding, recording every result it returns (as JSON) and failing any statement bound
 * with a value in `failFor` — e.g. one tenant's id, so only that tenant's reads fail.
 */
export function spyingD1(real: D1Database, opts: { failFor?: Set<string>; results?: string[] } = {}): D1Database {
  const results = opts.results ?? [];
  const wrap = (stmt: D1PreparedStatement, params: unknown[]): D1PreparedStatement => {
    const check = () => {
      if (params.some((p) => typeof p === "string" && opts.failFor?.has(p))) throw new Error("injected: D1 read failed");
    };
    const keep = <R>(r: R) => (results.push(JSON.stringify(r)), r);
    return {
      bind: (...args: unknown[]) => wrap(stmt.bind(...args), args),
      all: async () => (check(), keep(await stmt.all())),
      raw: async (o?: { columnNames?: boolean }) => (check(), keep(await stmt.raw(o as never))),
      first: async (col?: string) => (check(), keep(await stmt.first(col as never))),
      run: async () => (check(), keep(await stmt.run())),
    } as unknown as D1PreparedStatement;
  };
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), []);
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/**
 * The D1 binding, except that every statement writing the `hooks` table (insert, update, delete)
 * throws, as D1 does when it is overloaded or unreachable. Reads go through.
 */
export function failingHookWrites(real: D1Database): D1Database {
  const writes = /^\s*(insert\s+into|update|delete\s+from)\s+["`]?hooks["`]?[\s(]/i;
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const check = () => {
      if (writes.test(sql)) throw new Error("injected: D1 write failed");
    };
    return {
      bind: (...args: unknown[]) => wrap(stmt.bind(...args), sql),
      all: async () => (check(), stmt.all()),
      raw: async (o?: { columnNames?: boolean }) => (check(), stmt.raw(o as never)),
      first: async (col?: string) => (check(), stmt.first(col as never)),
      run: async () => (check(), stmt.run()),
    } as unknown as D1PreparedStatement;
  };
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          throw new Error("injected: D1 batch refused by failingHookWrites");
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
