/**
 * The EndpointDO's SQLite tables and the statements that read and write them.
 * Live deliveries (pending/delivering) are loaded into memory; finished ones stay as history.
 */
import type { OutboundEvent } from "../core/profiles";
import { newId } from "../core/ids";
import { count } from "../metrics";
import { emptyState, type MachineState } from "./machine";
import type { Delivery, DeliveryStatus, FinalStatus, Outcome } from "./types";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS deliveries (
     id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
     published_at INTEGER NOT NULL, idx INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
     next_at INTEGER NOT NULL, lease_id TEXT, lease_expires_at INTEGER, out_of_order INTEGER NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER, last_error TEXT,
     event TEXT NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (status, created_at)`,
  `CREATE INDEX IF NOT EXISTS deliveries_order ON deliveries (published_at, idx, id)`,
  `CREATE TABLE IF NOT EXISTS attempts (
     id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, n INTEGER NOT NULL, started_at INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL, status_code INTEGER, error_kind TEXT, error TEXT,
     response_headers TEXT NOT NULL, response_body TEXT)`,
  `CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id, n)`,
  `CREATE INDEX IF NOT EXISTS attempts_started ON attempts (started_at)`,
];

type Row = Record<string, SqlStorageValue>;

/** The decision state that cannot be derived from the deliveries table. */
function metaOf({ config, failingSince, failStreak, lastStatus, disabledReason, bucket }: MachineState): string {
  return JSON.stringify({ config, failingSince, failStreak, lastStatus, disabledReason, bucket });
}

export class EndpointStore {
  /** Whether the tables exist. They are made on the first write, so an object that is only
   *  asked about (an unknown hook id, a sweep of an idle hook) stores nothing. */
  private ready: boolean;

  constructor(private readonly sql: SqlStorage) {
    this.ready = sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'`).toArray().length > 0;
  }

  private ensureSchema() {
    if (this.ready) return;
    for (const stmt of SCHEMA) this.sql.exec(stmt);
    this.ready = true;
  }

  /** After ctx.storage.deleteAll(): nothing exists any more. */
  forget() {
    this.ready = false;
    this.lastMeta = "";
  }

  /** A read: no rows before the first write. */
  private read<T extends Record<string, SqlStorageValue>>(query: string, ...args: SqlStorageValue[]): T[] {
    return this.ready ? this.sql.exec<T>(query, ...args).toArray() : [];
  }

  /** What saveMeta last wrote, so an unchanged state costs no write. */
  private lastMeta = "";

  load(): MachineState {
    const metaRow = this.read<{ v: string }>(`SELECT v FROM meta WHERE k = 'machine'`)[0];
    this.lastMeta = metaRow?.v ?? metaOf(emptyState()); // a fresh object writes nothing until something happens
    const meta = metaRow ? (JSON.parse(metaRow.v) as Partial<MachineState>) : null;
    const queue = this.read<Row>(`SELECT * FROM deliveries WHERE status IN ('pending','delivering') ORDER BY published_at, idx, id`)
      .map(rowToDelivery);
    // Derived from the deliveries table rather than written on every decision.
    const counters = { succeeded: 0, failed: 0, cancelled: 0, outOfOrder: 0 };
    for (const r of this.read<{ status: string; n: number; ooo: number }>(
      `SELECT status, COUNT(*) AS n, SUM(out_of_order) AS ooo FROM deliveries GROUP BY status`,
    )) {
      if (r.status in counters) counters[r.status as "succeeded"] = Number(r.n);
      counters.outOfOrder += Number(r.ooo ?? 0);
    }
    const sent = this.read<{ p: number; i: number; id: string }>(
        `SELECT published_at AS p, idx AS i, id FROM deliveries WHERE attempts > 0 OR status <> 'pending'
         ORDER BY published_at DESC, idx DESC, id DESC LIMIT 1`,
    )[0];
    return { ...emptyState(), ...meta, queue, counters, lastSent: sent ? [Number(sent.p), Number(sent.i), String(sent.id)] : null };
  }

  /** The decision state that cannot be derived from the deliveries table; written only when it changed. */
  saveMeta(state: MachineState) {
    const v = metaOf(state);
    if (v === this.lastMeta) return;
    this.ensureSchema();
    count("do.rows_written");
    this.sql.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('machine', ?)`, v);
    this.lastMeta = v;
  }

  hasDedupeKey(key: string): boolean {
    return this.read(`SELECT 1 AS x FROM deliveries WHERE dedupe_key = ?`, key).length > 0;
  }

  insert(d: Delivery, dedupeKey: string, event: OutboundEvent, now: number) {
    this.ensureSchema();
    count("do.rows_written");
    this.sql.exec(
      `INSERT INTO deliveries (id, dedupe_key, event_id, event_type, published_at, idx, status, attempts, next_at,
         lease_id, lease_expires_at, out_of_order, created_at, updated_at, last_error, event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      d.id, dedupeKey, d.eventId, event.type, d.publishedAt, d.index, d.status, d.attempts, d.nextAt,
      d.leaseId, d.leaseExpiresAt, d.outOfOrder ? 1 : 0, d.createdAt, now, d.lastError, JSON.stringify(event),
    );
  }

  update(d: Delivery, now: number, final?: { status: FinalStatus; at: number }) {
    this.ensureSchema();
    count("do.rows_written");
    this.sql.exec(
      `UPDATE deliveries SET status = ?, attempts = ?, next_at = ?, lease_id = ?, lease_expires_at = ?,
         out_of_order = ?, last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
      final?.status ?? d.status, d.attempts, d.nextAt, final ? null : d.leaseId, final ? null : d.leaseExpiresAt,
      d.outOfOrder ? 1 : 0, d.lastError, now, final?.at ?? null, d.id,
    );
  }

  appendAttempt(deliveryId: string, n: number, o: Outcome) {
    this.ensureSchema();
    count("do.rows_written");
    this.sql.exec(
      `INSERT INTO attempts (id, delivery_id, n, started_at, duration_ms, status_code, error_kind, error, response_headers, response_body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      newId("att", o.startedAt), deliveryId, n, o.startedAt, o.durationMs, o.statusCode, o.errorKind, o.error,
      JSON.stringify(o.responseHeaders), o.responseBody,
    );
  }

  event(deliveryId: string): OutboundEvent | null {
    const row = this.read<{ event: string }>(`SELECT event FROM deliveries WHERE id = ?`, deliveryId)[0];
    return row ? (JSON.parse(row.event) as OutboundEvent) : null;
  }

  /** History, newest first in publish order, keyset-paginated on (published_at, idx, id). */
  list(opts: { status?: DeliveryStatus; eventType?: string; before?: DeliveryCursor; limit: number }): DeliveryRecord[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (opts.status) (where.push("status = ?"), args.push(opts.status));
    if (opts.eventType) (where.push("event_type = ?"), args.push(opts.eventType));
    if (opts.before) {
      const [p, i, id] = opts.before;
      where.push("(published_at < ? OR (published_at = ? AND (idx < ? OR (idx = ? AND id < ?))))");
      args.push(p, p, i, i, id);
    }
    const sql = `SELECT * FROM deliveries ${where.length ? "WHERE " + where.join(" AND ") : ""}
                 ORDER BY published_at DESC, idx DESC, id DESC LIMIT ?`;
    return this.read<Row>(sql, ...args, opts.limit).map(rowToRecord);
  }

  get(deliveryId: string): DeliveryRecord | null {
    const row = this.read<Row>(`SELECT * FROM deliveries WHERE id = ?`, deliveryId)[0];
    return row ? rowToRecord(row) : null;
  }

  attempts(deliveryId: string): AttemptRecord[] {
    return this.read<Row>(`SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n`, deliveryId)
      .map((r) => ({
        id: String(r.id),
        attempt: Number(r.n),
        started_at: new Date(Number(r.started_at)).toISOString(),
        duration_ms: Number(r.duration_ms),
        status_code: r.status_code === null ? null : Number(r.status_code),
        error_kind: (r.error_kind as string | null) ?? null,
        error: (r.error as string | null) ?? null,
        response_headers: JSON.parse(String(r.response_headers)) as Record<string, string>,
        response_body: (r.response_body as string | null) ?? null,
      }));
  }

  /** Failed deliveries created since `since`, oldest first. */
  failedSince(since: number): DeliveryRecord[] {
    return this.read<Row>(`SELECT * FROM deliveries WHERE status = 'failed' AND created_at >= ? ORDER BY published_at, idx, id`, since)
      .map(rowToRecord);
  }

  counts(since: number): { succeeded: number; failed: number; cancelled: number; pending: number; out_of_order: number } {
    const out = { succeeded: 0, failed: 0, cancelled: 0, pending: 0, out_of_order: 0 };
    for (const r of this.read<{ status: string; n: number; ooo: number }>(
      `SELECT status, COUNT(*) AS n, SUM(out_of_order) AS ooo FROM deliveries WHERE created_at >= ? GROUP BY status`, since,
    )) {
      const n = Number(r.n);
      if (r.status === "pending" || r.status === "delivering") out.pending += n;
      else if (r.status in out) out[r.status as "succeeded"] += n;
      out.out_of_order += Number(r.ooo ?? 0);
    }
    return out;
  }

  latencies(since: number): number[] {
    return this.read<{ d: number }>(`SELECT duration_ms AS d FROM attempts WHERE started_at >= ? ORDER BY duration_ms`, since)
      .map((r) => Number(r.d));
  }

  /** Retention: finished deliveries and their attempts older than `before`. Bounded per call. */
  purge(before: number, limit = 5000): number {
    const ids = this.read<{ id: string }>(
      `SELECT id FROM deliveries WHERE status IN ('succeeded','failed','cancelled') AND finished_at < ? LIMIT ?`,
      before, limit,
    ).map((r) => r.id);
    for (const id of ids) {
      this.sql.exec(`DELETE FROM attempts WHERE delivery_id = ?`, id);
      this.sql.exec(`DELETE FROM deliveries WHERE id = ?`, id);
    }
    return ids.length;
  }
}

/** Position in the history: (published_at, index, id) of the last item of a page. */
export type DeliveryCursor = [number, number, string];

export interface DeliveryRecord {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  out_of_order: boolean;
  last_error: string | null;
  published_at: string;
  created_at: string;
  finished_at: string | null;
  /** position for the next page's cursor */
  cursor: DeliveryCursor;
}

export interface AttemptRecord {
  id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error_kind: string | null;
  error: string | null;
  response_headers: Record<string, string>;
  response_body: string | null;
}

function rowToDelivery(r: Row): Delivery {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    publishedAt: Number(r.published_at),
    index: Number(r.idx),
    status: r.status as Delivery["status"],
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    leaseId: (r.lease_id as string | null) ?? null,
    leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
    outOfOrder: Number(r.out_of_order) === 1,
    createdAt: Number(r.created_at),
    lastError: (r.last_error as string | null) ?? null,
  };
}

function rowToRecord(r: Row): DeliveryRecord {
  const live = r.status === "pending" || r.status === "delivering";
  return {
    id: String(r.id),
    event_id: String(r.event_id),
    event_type: String(r.event_type),
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    next_attempt_at: live ? new Date(Number(r.next_at)).toISOString() : null,
    out_of_order: Number(r.out_of_order) === 1,
    last_error: (r.last_error as string | null) ?? null,
    published_at: new Date(Number(r.published_at)).toISOString(),
    created_at: new Date(Number(r.created_at)).toISOString(),
    finished_at: r.finished_at === null ? null : new Date(Number(r.finished_at)).toISOString(),
    cursor: [Number(r.published_at), Number(r.idx), String(r.id)],
  };
}
