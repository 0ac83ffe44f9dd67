/**
 * The typed RPC surface of a hook's EndpointDO and the stub factory. Calls that change the
 * object's state (writes) are listed apart from those that only read it, so a caller's needs are
 * visible in its types: the API's history routes take `EndpointReads`, consumers and the hook
 * transitions (src/hooks/transitions.ts) take `EndpointWrites`. Typed by hand: Rpc's inference
 * gives up on `unknown` payloads.
 */
import type { EndpointDO } from "./endpoint-do";

type Call<K extends keyof EndpointDO> = EndpointDO[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** Calls that change what the object holds or will send. */
export const WRITE_CALLS = ["admit", "report", "claim", "configure", "reconcile", "cancelAll", "destroy", "purge", "poke", "requeue", "recover"] as const;
/** Calls that only read it (history, stats, the reconciler's and the sweep's view); history and stats reads first write the first-try successes the object still pools, so they see them. */
export const READ_CALLS = ["listDeliveries", "getDelivery", "deliveryEvent", "stats", "hourlyStats", "snapshot", "owner", "view"] as const;

type Present<K> = Extract<K, keyof EndpointDO>;
export type EndpointWrites = { [K in Present<(typeof WRITE_CALLS)[number]>]: Call<K> };
export type EndpointReads = { [K in Present<(typeof READ_CALLS)[number]>]: Call<K> };
export type EndpointApi = EndpointWrites & EndpointReads;

/** The stub of a hook's EndpointDO (one object per hook id). */
export const endpointStub = (ns: DurableObjectNamespace<EndpointDO>, hookId: string): EndpointApi =>
  ns.get(ns.idFromName(hookId)) as unknown as EndpointApi;
