/**
 * The EndpointDO's SQLite tables and the statements that read and write them.
 *
 * Layout (docs/architecture.md, "The EndpointDO's bounded window"): one `deliveries` row per delivery, live or finished. The live ones are
 * indexed in the hook's queue order (`deliveries_live`, partial), so the object pages the head of
 * its backlog in through the index and never loads the rest. The decision state that cannot be
 * read from rows — counters, the in-flight leases, the last sent key — is one `meta` row, written
 * with the rows it describes in the same synchronous step (one implicit transaction). History is
 * read through `deliveries_order`; retention deletes through `deliveries_finished`; recover reads
 * `deliveries_failed`; stats come from hourly aggregates, never from scanning history.
 *
 * Every statement goes through exec(), which adds the SQL cursor's rowsRead / rowsWritten to
 * `meter` — the figures Cloudflare bills, indexes included.
 */
import type { OutboundEvent } from "../core/profiles";
import { newId } from "../core/ids";
import { addToHistogram, latencyBucket, type Histogram } from "../core/percentile";
import { HOUR_MS } from "../core/time";
import { count } from "../metrics";
import { emptyState, sortAt, type MachineState, type WindowLimits } from "./machine";
import type { Delivery, DeliveryStatus, FinalStatus, HookConfig, Outcome } from "./types";

const SCHEMA_VERSION = 2;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS deliveries (
     id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
     published_at INTEGER NOT NULL, idx INTEGER NOT NULL, sort_at INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL,
     attempts INTEGER NOT NULL, next_at INTEGER NOT NULL, out_of_order INTEGER NOT NULL, created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL, finished_at INTEGER, last_error TEXT, event TEXT NOT NULL)`,
  // History, newest first; strict hooks' live deliveries are a suffix of it.
  `CREATE INDEX IF NOT EXISTS deliveries_order ON deliveries (published_at, idx, id)`,
  // The queue: live deliveries in the hook's order (sort_at = 0 for strict hooks, the due time otherwise).
  `CREATE INDEX IF NOT EXISTS deliveries_live ON deliveries (sort_at, published_at, idx, id) WHERE finished_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS deliveries_finished ON deliveries (finished_at) WHERE finished_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (published_at, idx, id) WHERE status = 'failed'`,
  `CREATE TABLE IF NOT EXISTS attempts (
     id TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, n INTEGER NOT NULL, started_at INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL, status_code INTEGER, error_kind TEXT, error TEXT,
     response_headers TEXT NOT NULL, response_body TEXT)`,
  `CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id, n)`,
  `CREATE TABLE IF NOT EXISTS stats_hourly (
     hour INTEGER PRIMARY KEY, succeeded INTEGER NOT NULL, failed INTEGER NOT NULL, cancelled INTEGER NOT NULL,
     out_of_order INTEGER NOT NULL, attempts INTEGER NOT NULL, latency TEXT NOT NULL)`,
];

/** Columns a window item is built from (not the event body: that is read when it is granted). */
const LIVE_COLUMNS = `id, event_id, published_at, idx, attempts, next_at, out_of_order, created_at, last_error`;

type Row = Record<string, SqlStorageValue>;

/** What `meta.machine` holds: the machine's summary and its in-flight leases. */
type MachineMeta = Omit<MachineState, "config" | "window" | "limits">;

function machineMetaOf(s: MachineState): string {
  const { config: _c, window: _w, limits: _l, ...rest } = s;
  return JSON.stringify(rest satisfies MachineMeta);
}

/** Aggregates for one hour of stats. */
export interface HourStats {
  succeeded: number;
  failed: number;
  cancelled: number;
  outOfOrder: number;
  attempts: number;
  latency: Histogram;
}

export const emptyHour = (): HourStats => ({ succeeded: 0, failed: 0, cancelled: 0, outOfOrder: 0, attempts: 0, latency: {} });

export class EndpointStore {
  /** Whether the tables exist. They are made on the first write, so an object that is only
   *  asked about (an unknown hook id, a sweep of an idle hook) stores nothing. */
  private ready: boolean;
  /** Rows read and written, as the SQL cursor reports them (billed rows, indexes included). */
  readonly meter = { rowsRead: 0, rowsWritten: 0 };

  constructor(private readonly sql: SqlStorage) {
    this.ready = this.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'`).length > 0;
    if (this.ready) this.upgrade();
  }

  /** Runs one statement to completion and meters it. */
  private exec<T extends Row = Row>(query: string, ...args: SqlStorageValue[]): T[] {
    const cursor = this.sql.exec<T>(query, ...args);
    const rows = cursor.toArray();
    this.meter.rowsRead += cursor.rowsRead;
    this.meter.rowsWritten += cursor.rowsWritten;
    if (cursor.rowsWritten) count("do.rows_written", cursor.rowsWritten);
    if (cursor.rowsRead) count("do.rows_read", cursor.rowsRead);
    return rows;
  }

  private ensureSchema() {
    if (this.ready) return;
    for (const stmt of SCHEMA) this.exec(stmt);
    this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?)`, String(SCHEMA_VERSION));
    this.ready = true;
  }

  /**
   * Objects written by the first build (every live delivery loaded at start, leases in rows) get the
   * queue index and a summary once: a single pass over their rows, then O(window) from then on.
   */
  private upgrade() {
    const v = this.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'schema'`)[0];
    if (v && Number(v.v) >= SCHEMA_VERSION) return;
    const columns = this.exec<{ name: string }>(`SELECT name FROM pragma_table_info('deliveries')`).map((c) => c.name);
    if (!columns.includes("sort_at")) this.exec(`ALTER TABLE deliveries ADD COLUMN sort_at INTEGER NOT NULL DEFAULT 0`);
    this.exec(`UPDATE deliveries SET status = 'pending' WHERE status = 'delivering'`); // leases of the old layout: re-sent
    this.exec(`DROP INDEX IF EXISTS deliveries_status`);
    this.exec(`DROP INDEX IF EXISTS attempts_started`);
    for (const stmt of SCHEMA) this.exec(stmt);
    const old = this.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'machine'`)[0];
    const meta = old ? (JSON.parse(old.v) as Record<string, unknown>) : {};
    if (meta.config) this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('config', ?)`, JSON.stringify(meta.config));
    if (meta.config && (meta.config as HookConfig).ordering === "none") {
      this.exec(`UPDATE deliveries SET sort_at = next_at WHERE finished_at IS NULL`);
    }
    const counters = { succeeded: 0, failed: 0, cancelled: 0, skipped: 0, outOfOrder: 0 };
    let live = 0;
    for (const r of this.exec<{ status: string; n: number; ooo: number }>(
      `SELECT status, COUNT(*) AS n, SUM(out_of_order) AS ooo FROM deliveries GROUP BY status`,
    )) {
      if (r.status in counters) counters[r.status as FinalStatus] = Number(r.n);
      else live += Number(r.n);
      counters.outOfOrder += Number(r.ooo ?? 0);
    }
    const sent = this.exec<{ p: number; i: number; id: string }>(
      `SELECT published_at AS p, idx AS i, id FROM deliveries WHERE attempts > 0 OR status <> 'pending'
       ORDER BY published_at DESC, idx DESC, id DESC LIMIT 1`,
    )[0];
    const { config: _c, queue: _q, ...rest } = meta;
    const next = { ...emptyState(), ...rest, counters, live, inFlight: [], lastSent: sent ? [Number(sent.p), Number(sent.i), String(sent.id)] : null };
    this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('machine', ?)`, machineMetaOf(next as MachineState));
    this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('schema', ?)`, String(SCHEMA_VERSION));
  }

  /** After ctx.storage.deleteAll(): nothing exists any more. */
  forget() {
    this.ready = false;
    this.written = { config: "", machine: "" };
  }

  /** A read: no rows before the first write. */
  private read<T extends Row = Row>(query: string, ...args: SqlStorageValue[]): T[] {
    return this.ready ? this.exec<T>(query, ...args) : [];
  }

  /** What saveMeta last wrote, so an unchanged state costs no write. */
  private written = { config: "", machine: "" };

  /** A cold start: the summary, then the head of the queue — O(window) rows, whatever the history. */
  load(limits?: WindowLimits): MachineState {
    const base = emptyState(limits);
    const meta = new Map(this.read<{ k: string; v: string }>(`SELECT k, v FROM meta WHERE k IN ('config', 'machine')`).map((r) => [r.k, r.v]));
    this.written = { config: meta.get("config") ?? "null", machine: meta.get("machine") ?? machineMetaOf(base) };
    const state: MachineState = {
      ...base,
      ...(meta.has("machine") ? (JSON.parse(meta.get("machine")!) as MachineMeta) : {}),
      config: meta.has("config") ? (JSON.parse(meta.get("config")!) as HookConfig | null) : null,
      window: [],
    };
    state.window = this.page(state, state.limits.fill);
    return state;
  }

  /**
   * The next `n` pending deliveries after the window's last, in queue order, through the live
   * index (in-flight ones are skipped: they are live rows too).
   */
  page(state: MachineState, n: number): Delivery[] {
    const ordering = state.config?.ordering;
    const last = state.window[state.window.length - 1];
    const skip = new Set(state.inFlight.map((d) => d.id));
    const rows = last
      ? this.read(
          `SELECT ${LIVE_COLUMNS} FROM deliveries WHERE finished_at IS NULL AND (sort_at, published_at, idx, id) > (?, ?, ?, ?)
           ORDER BY sort_at, published_at, idx, id LIMIT ?`,
          sortAt(ordering, last), last.publishedAt, last.index, last.id, n + skip.size,
        )
      : this.read(
          `SELECT ${LIVE_COLUMNS} FROM deliveries WHERE finished_at IS NULL ORDER BY sort_at, published_at, idx, id LIMIT ?`,
          n + skip.size,
        );
    return rows.map(rowToDelivery).filter((d) => !skip.has(d.id)).slice(0, n);
  }

  /** The decision state that is not in rows; each part written only when it changed. */
  saveMeta(state: MachineState) {
    const config = JSON.stringify(state.config);
    const machine = machineMetaOf(state);
    if (config !== this.written.config) {
      this.ensureSchema();
      this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('config', ?)`, config);
      this.written.config = config;
    }
    if (machine !== this.written.machine) {
      this.ensureSchema();
      this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('machine', ?)`, machine);
      this.written.machine = machine;
    }
  }

  /** Background work the shell owes across restarts (a deleted hook's backlog still being cancelled). */
  chores(): { cancelBefore: number | null } {
    const row = this.read<{ v: string }>(`SELECT v FROM meta WHERE k = 'chores'`)[0];
    return row ? (JSON.parse(row.v) as { cancelBefore: number | null }) : { cancelBefore: null };
  }

  saveChores(chores: { cancelBefore: number | null }) {
    this.ensureSchema();
    this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('chores', ?)`, JSON.stringify(chores));
  }

  hasDedupeKey(key: string): boolean {
    return this.read(`SELECT 1 AS x FROM deliveries WHERE dedupe_key = ?`, key).length > 0;
  }

  insert(d: Delivery, ordering: HookConfig["ordering"] | undefined, dedupeKey: string, event: OutboundEvent, now: number) {
    this.ensureSchema();
    this.exec(
      `INSERT INTO deliveries (id, dedupe_key, event_id, event_type, published_at, idx, sort_at, status, attempts, next_at,
         out_of_order, created_at, updated_at, last_error, event)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)`,
      d.id, dedupeKey, d.eventId, event.type, d.publishedAt, d.index, sortAt(ordering, d), d.attempts, d.nextAt,
      d.outOfOrder ? 1 : 0, d.createdAt, now, d.lastError, JSON.stringify(event),
    );
  }

  /** A pending delivery's attempts, next time or error changed. */
  update(d: Delivery, ordering: HookConfig["ordering"] | undefined, now: number) {
    this.exec(
      `UPDATE deliveries SET attempts = ?, next_at = ?, sort_at = ?, out_of_order = ?, last_error = ?, updated_at = ? WHERE id = ?`,
      d.attempts, d.nextAt, sortAt(ordering, d), d.outOfOrder ? 1 : 0, d.lastError, now, d.id,
    );
  }

  finish(d: Delivery, status: FinalStatus, at: number) {
    this.exec(
      `UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
      status, d.attempts, d.lastError, at, at, d.id,
    );
  }

  /** Cancels up to `limit` stored live deliveries created up to `at`; returns how many. */
  cancelStored(at: number, limit: number): number {
    const ids = this.read<{ id: string }>(
      `SELECT id FROM deliveries WHERE finished_at IS NULL AND created_at <= ? ORDER BY sort_at, published_at, idx, id LIMIT ?`, at, limit,
    );
    for (const { id } of ids) {
      this.exec(`UPDATE deliveries SET status = 'cancelled', updated_at = ?, finished_at = ? WHERE id = ?`, at, at, id);
    }
    return ids.length;
  }

  /** The hook's order changed: every live row gets its position in the new order (rare, O(backlog)). */
  reorder(ordering: HookConfig["ordering"]) {
    this.exec(`UPDATE deliveries SET sort_at = ${ordering === "none" ? "next_at" : "0"} WHERE finished_at IS NULL`);
  }

  appendAttempt(deliveryId: string, n: number, o: Outcome) {
    this.exec(
      `INSERT INTO attempts (id, delivery_id, n, started_at, duration_ms, status_code, error_kind, error, response_headers, response_body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      newId("att", o.startedAt), deliveryId, n, o.startedAt, o.durationMs, o.statusCode, o.errorKind, o.error,
      JSON.stringify(o.responseHeaders), o.responseBody,
    );
  }

  /** Adds one decision's finishes and attempts to their hour's aggregates (one row per hour touched). */
  addStats(byHour: Map<number, HourStats>) {
    for (const [hour, add] of byHour) {
      this.ensureSchema();
      const row = this.exec<Row>(`SELECT * FROM stats_hourly WHERE hour = ?`, hour)[0];
      const cur = row ? hourOf(row) : emptyHour();
      const values = [
        cur.succeeded + add.succeeded, cur.failed + add.failed, cur.cancelled + add.cancelled, cur.outOfOrder + add.outOfOrder,
        cur.attempts + add.attempts, JSON.stringify(addToHistogram(cur.latency, add.latency)), hour,
      ];
      this.exec(
        row
          ? `UPDATE stats_hourly SET succeeded = ?, failed = ?, cancelled = ?, out_of_order = ?, attempts = ?, latency = ? WHERE hour = ?`
          : `INSERT INTO stats_hourly (succeeded, failed, cancelled, out_of_order, attempts, latency, hour) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ...values,
      );
    }
  }

  /** Sum of the hourly aggregates since `since` (whole hours): O(hours), not O(history). */
  statsSince(since: number): HourStats {
    const out = emptyHour();
    for (const r of this.read<Row>(`SELECT * FROM stats_hourly WHERE hour >= ?`, Math.floor(since / HOUR_MS))) {
      const h = hourOf(r);
      out.succeeded += h.succeeded;
      out.failed += h.failed;
      out.cancelled += h.cancelled;
      out.outOfOrder += h.outOfOrder;
      out.attempts += h.attempts;
      addToHistogram(out.latency, h.latency);
    }
    return out;
  }

  /** The hourly aggregates since `since` (whole hours), oldest first: one row per hour that saw anything. */
  hourly(since: number): (HourStats & { hour: number })[] {
    return this.read<Row>(`SELECT * FROM stats_hourly WHERE hour >= ? ORDER BY hour`, Math.floor(since / HOUR_MS))
      .map((r) => ({ ...hourOf(r), hour: Number(r.hour) }));
  }

  event(deliveryId: string): OutboundEvent | null {
    const row = this.read<{ event: string }>(`SELECT event FROM deliveries WHERE id = ?`, deliveryId)[0];
    return row ? (JSON.parse(row.event) as OutboundEvent) : null;
  }

  /** History, newest first in publish order, keyset-paginated on (published_at, idx, id). */
  list(opts: { status?: DeliveryStatus; eventType?: string; before?: DeliveryCursor; limit: number }): DeliveryRecord[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    // Live deliveries are stored as pending; the in-flight overlay is the caller's (it holds the leases).
    if (opts.status === "pending" || opts.status === "delivering") where.push("finished_at IS NULL");
    else if (opts.status) (where.push("status = ?"), args.push(opts.status));
    if (opts.eventType) (where.push("event_type = ?"), args.push(opts.eventType));
    if (opts.before) {
      const [p, i, id] = opts.before;
      where.push("(published_at, idx, id) < (?, ?, ?)");
      args.push(p, i, id);
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

  /** Failed deliveries created since `since`, oldest first (through the failed-only index). */
  failedSince(since: number): DeliveryRecord[] {
    return this.read<Row>(
      `SELECT * FROM deliveries WHERE status = 'failed' AND created_at >= ? ORDER BY published_at, idx, id`, since,
    ).map(rowToRecord);
  }

  /**
   * Retention: finished deliveries (and their attempts) that finished before `before`, and hourly
   * stats older than that — through indexed ranges, at most `limit` deliveries per call.
   */
  purge(before: number, limit: number): number {
    const ids = this.read<{ id: string }>(
      `SELECT id FROM deliveries WHERE finished_at IS NOT NULL AND finished_at < ? ORDER BY finished_at LIMIT ?`, before, limit,
    ).map((r) => r.id);
    for (const id of ids) {
      this.exec(`DELETE FROM attempts WHERE delivery_id = ?`, id);
      this.exec(`DELETE FROM deliveries WHERE id = ?`, id);
    }
    if (ids.length < limit) this.read(`DELETE FROM stats_hourly WHERE hour < ?`, Math.floor(before / HOUR_MS));
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

function hourOf(r: Row): HourStats {
  return {
    succeeded: Number(r.succeeded), failed: Number(r.failed), cancelled: Number(r.cancelled),
    outOfOrder: Number(r.out_of_order), attempts: Number(r.attempts), latency: JSON.parse(String(r.latency)) as Histogram,
  };
}

/** Adds a latency sample to an hour's aggregate. */
export function addLatency(h: HourStats, ms: number) {
  h.attempts++;
  const b = String(latencyBucket(ms));
  h.latency[b] = (h.latency[b] ?? 0) + 1;
}

function rowToDelivery(r: Row): Delivery {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    publishedAt: Number(r.published_at),
    index: Number(r.idx),
    status: "pending",
    attempts: Number(r.attempts),
    nextAt: Number(r.next_at),
    leaseId: null,
    leaseExpiresAt: null,
    outOfOrder: Number(r.out_of_order) === 1,
    createdAt: Number(r.created_at),
    lastError: (r.last_error as string | null) ?? null,
  };
}

function rowToRecord(r: Row): DeliveryRecord {
  const live = r.finished_at === null;
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
