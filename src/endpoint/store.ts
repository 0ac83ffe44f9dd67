/**
 * The EndpointDO's SQLite tables and the statements that read and write them.
 *
 * Layout (docs/architecture.md), chosen for rows written — what Cloudflare bills, every index
 * entry included:
 *  - `deliveries` is clustered on its id (WITHOUT ROWID). Ids sort in publish order and are derived
 *    from (hook, dedupe key) (core/ids.ts deliveryId), so the primary key is also the dedupe check
 *    and the history order: no other index is written for a delivery that succeeds. Its first
 *    attempt is recorded in its own row; later attempts go to `attempts`.
 *  - `deliveries_live` (partial: unfinished rows) is the hook's queue in its order; the object pages
 *    the head of its backlog in through it and never loads the rest.
 *  - `deliveries_failed` (partial) serves recover; `stats_hourly` serves stats and counters.
 *  - `meta` holds the decision state that rows cannot: the leases in flight, the live count, the
 *    last sent key; written with the rows it describes, in one synchronous step (one transaction).
 *
 * Every statement goes through exec(), which adds the SQL cursor's rowsRead / rowsWritten to
 * `meter`.
 */
import type { OutboundEvent } from "../core/profiles";
import { deliveryIdFloor } from "../core/ids";
import { addToHistogram, latencyBucket, type Histogram } from "../core/percentile";
import { HOUR_MS } from "../core/time";
import { count } from "../metrics";
import { emptyState, inMemory, sortAt, type MachineState, type WindowLimits } from "./machine";
import type { Delivery, DeliveryStatus, FinalStatus, HookConfig, Outcome } from "./types";

const SCHEMA_VERSION = 3;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS deliveries (
     id TEXT PRIMARY KEY, event_id TEXT NOT NULL, event_type TEXT NOT NULL, published_at INTEGER NOT NULL,
     idx INTEGER NOT NULL, sort_at INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, attempts INTEGER NOT NULL,
     next_at INTEGER NOT NULL, out_of_order INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     finished_at INTEGER, last_error TEXT, event TEXT NOT NULL, first_attempt TEXT) WITHOUT ROWID`,
  // The queue: live deliveries in the hook's order (sort_at = 0 for strict hooks, the due time otherwise).
  `CREATE INDEX IF NOT EXISTS deliveries_live ON deliveries (sort_at, published_at, idx, id) WHERE finished_at IS NULL`,
  `CREATE INDEX IF NOT EXISTS deliveries_failed ON deliveries (published_at, idx, id) WHERE status = 'failed'`,
  `CREATE TABLE IF NOT EXISTS attempts (
     delivery_id TEXT NOT NULL, n INTEGER NOT NULL, started_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL,
     status_code INTEGER, error_kind TEXT, error TEXT, response_headers TEXT NOT NULL, response_body TEXT,
     PRIMARY KEY (delivery_id, n)) WITHOUT ROWID`,
  // Deliveries that succeeded at their first attempt while held, written together: one row per call.
  `CREATE TABLE IF NOT EXISTS done_blocks (
     first_id TEXT PRIMARY KEY, last_id TEXT NOT NULL, finished_at INTEGER NOT NULL, items TEXT NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS stats_hourly (
     hour INTEGER PRIMARY KEY, succeeded INTEGER NOT NULL, failed INTEGER NOT NULL, cancelled INTEGER NOT NULL,
     skipped INTEGER NOT NULL DEFAULT 0, out_of_order INTEGER NOT NULL, attempts INTEGER NOT NULL, latency TEXT NOT NULL)`,
];

/** Columns a window item is built from (not the event body: that is read when it is granted). */
const LIVE_COLUMNS = `id, event_id, published_at, idx, attempts, next_at, out_of_order, created_at, last_error`;
const RECORD_COLUMNS = `id, event_id, event_type, published_at, idx, status, attempts, next_at, out_of_order, created_at, finished_at, last_error`;

type Row = Record<string, SqlStorageValue>;

/** What `meta.machine` holds: the machine's summary and its in-flight leases. */
type MachineMeta = Omit<MachineState, "config" | "window" | "limits" | "counters">;

/**
 * The summary as stored. Counters are not in it (they are the sum of the hourly aggregates), and
 * neither are deliveries held unsaved for the consumer that admitted them (see EndpointDO.admit):
 * if the object restarts, their queue message is redelivered and admits them again.
 */
function machineMetaOf(s: MachineState, unsaved: ReadonlySet<string> = new Set()): string {
  const { config: _c, window: _w, limits: _l, counters: _n, ...rest } = s;
  const inFlight = unsaved.size ? rest.inFlight.filter((d) => !unsaved.has(d.id)) : rest.inFlight;
  let held = 0;
  if (unsaved.size) for (const d of inMemory(s)) if (unsaved.has(d.id)) held++;
  return JSON.stringify({ ...rest, inFlight, live: rest.live - held } satisfies MachineMeta);
}

/** The first attempt, as kept in its delivery's row. */
export type FirstAttempt = Omit<AttemptRecord, "id" | "attempt">;

export function firstAttempt(o: Outcome): FirstAttempt {
  return {
    started_at: new Date(o.startedAt).toISOString(), duration_ms: o.durationMs, status_code: o.statusCode,
    error_kind: o.errorKind, error: o.error, response_headers: o.responseHeaders, response_body: o.responseBody,
  };
}

/** How many blocks a lookup by id reads (blocks whose id ranges overlap are rare). */
const BLOCK_LOOKBACK = 8;
/** A block row's JSON length at most: 512 K characters are at most 1.5 MB of UTF-8 (a row may hold 2 MB). */
const BLOCK_BYTES = 512 * 1024;

/** A delivery as kept in a block: it succeeded at its first attempt. */
export interface BlockItem {
  id: string;
  event_id: string;
  event_type: string;
  published_at: number;
  idx: number;
  out_of_order: boolean;
  created_at: number;
  finished_at: number;
  event: OutboundEvent;
  first: FirstAttempt;
}

function blockRecord(i: BlockItem): DeliveryRecord {
  return {
    id: i.id, event_id: i.event_id, event_type: i.event_type, status: "succeeded", attempts: 1, next_attempt_at: null,
    out_of_order: i.out_of_order, last_error: null, published_at: new Date(i.published_at).toISOString(),
    created_at: new Date(i.created_at).toISOString(), finished_at: new Date(i.finished_at).toISOString(),
    cursor: [i.published_at, i.idx, i.id],
  };
}

/** Background work the shell owes across restarts. */
export interface Chores {
  /** A deleted hook's live deliveries created up to this time are still being cancelled. */
  cancelBefore: number | null;
  /** Where the retention walk over ids stopped. */
  purgeAfter: string | null;
}

/** Aggregates for one hour of stats. */
export interface HourStats {
  succeeded: number;
  failed: number;
  cancelled: number;
  skipped: number;
  outOfOrder: number;
  attempts: number;
  latency: Histogram;
}

export const emptyHour = (): HourStats => ({ succeeded: 0, failed: 0, cancelled: 0, skipped: 0, outOfOrder: 0, attempts: 0, latency: {} });

/** Adds `add` into `into` (counters and latency histogram); returns `into`. */
export function addHour(into: HourStats, add: HourStats): HourStats {
  into.succeeded += add.succeeded;
  into.failed += add.failed;
  into.cancelled += add.cancelled;
  into.skipped += add.skipped;
  into.outOfOrder += add.outOfOrder;
  into.attempts += add.attempts;
  addToHistogram(into.latency, add.latency);
  return into;
}

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
   * Objects written by an earlier layout (the first build loaded every live delivery at start and
   * kept leases in rows) are copied into this one once, on load: O(history) a single time, then
   * O(window). Their ids are kept, so links to old deliveries stay valid; leases of the old layout
   * are dropped, so those deliveries are sent again (at least once).
   */
  private upgrade() {
    const v = this.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'schema'`)[0];
    if (v && Number(v.v) >= SCHEMA_VERSION) return;
    const old = this.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'machine'`)[0];
    const oldMeta = old ? (JSON.parse(old.v) as Record<string, unknown>) : {};
    const config = (this.exec<{ v: string }>(`SELECT v FROM meta WHERE k = 'config'`)[0]?.v ?? JSON.stringify(oldMeta.config ?? null));
    const strict = (JSON.parse(config) as HookConfig | null)?.ordering !== "none";
    this.exec(`ALTER TABLE deliveries RENAME TO deliveries_old`);
    this.exec(`ALTER TABLE attempts RENAME TO attempts_old`);
    this.exec(`ALTER TABLE meta RENAME TO meta_old`);
    for (const stmt of ["DROP INDEX IF EXISTS deliveries_status", "DROP INDEX IF EXISTS deliveries_order", "DROP INDEX IF EXISTS deliveries_live",
      "DROP INDEX IF EXISTS deliveries_finished", "DROP INDEX IF EXISTS deliveries_failed", "DROP INDEX IF EXISTS attempts_delivery",
      "DROP INDEX IF EXISTS attempts_started", "DROP TABLE IF EXISTS stats_hourly"]) this.exec(stmt);
    for (const stmt of SCHEMA) this.exec(stmt);
    this.exec(
      `INSERT INTO deliveries (id, event_id, event_type, published_at, idx, sort_at, status, attempts, next_at, out_of_order,
         created_at, updated_at, finished_at, last_error, event)
       SELECT id, event_id, event_type, published_at, idx, ${strict ? "0" : "next_at"}, CASE status WHEN 'delivering' THEN 'pending' ELSE status END,
         attempts, next_at, out_of_order, created_at, updated_at, finished_at, last_error, event FROM deliveries_old`,
    );
    this.exec(
      `INSERT INTO attempts SELECT delivery_id, n, started_at, duration_ms, status_code, error_kind, error, response_headers, response_body
       FROM attempts_old WHERE true ON CONFLICT DO NOTHING`,
    );
    // Counters become hourly aggregates: what the old history holds, by the hour it finished.
    this.exec(
      `INSERT INTO stats_hourly (hour, succeeded, failed, cancelled, out_of_order, attempts, latency)
       SELECT finished_at / ${HOUR_MS}, SUM(status = 'succeeded'), SUM(status = 'failed'), SUM(status = 'cancelled'), SUM(out_of_order), SUM(attempts), '{}'
       FROM deliveries_old WHERE finished_at IS NOT NULL GROUP BY 1`,
    );
    const live = this.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM deliveries WHERE finished_at IS NULL`)[0]!.n;
    const sent = this.exec<{ p: number; i: number; id: string }>(
      `SELECT published_at AS p, idx AS i, id FROM deliveries_old WHERE attempts > 0 OR status <> 'pending'
       ORDER BY published_at DESC, idx DESC, id DESC LIMIT 1`,
    )[0];
    const { config: _c, queue: _q, counters: _n, ...rest } = oldMeta;
    const base = { ...emptyState(), ...rest, inFlight: [], live: Number(live), lastSent: sent ? [Number(sent.p), Number(sent.i), String(sent.id)] : null };
    this.exec(`INSERT INTO meta (k, v) VALUES ('config', ?)`, config);
    this.exec(`INSERT INTO meta (k, v) VALUES ('machine', ?)`, machineMetaOf(base as MachineState));
    this.exec(`INSERT INTO meta (k, v) VALUES ('schema', ?)`, String(SCHEMA_VERSION));
    this.exec(`DROP TABLE deliveries_old`);
    this.exec(`DROP TABLE attempts_old`);
    this.exec(`DROP TABLE meta_old`);
  }

  /** After ctx.storage.deleteAll(): nothing exists any more. */
  forget() {
    this.ready = false;
    this.newest = null;
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
    // counters are not loaded: stats() reads them from the hourly aggregates when asked
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
  saveMeta(state: MachineState, unsaved?: ReadonlySet<string>) {
    const config = JSON.stringify(state.config);
    const machine = machineMetaOf(state, unsaved);
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

  /** Background work the shell owes across restarts. */
  chores(): Chores {
    const row = this.read<{ v: string }>(`SELECT v FROM meta WHERE k = 'chores'`)[0];
    return { cancelBefore: null, purgeAfter: null, ...(row ? (JSON.parse(row.v) as Partial<Chores>) : {}) };
  }

  saveChores(chores: Chores) {
    this.ensureSchema();
    this.exec(`INSERT OR REPLACE INTO meta (k, v) VALUES ('chores', ?)`, JSON.stringify(chores));
  }

  /**
   * The greatest delivery id stored, or that the lookups below could find: null until first asked
   * (then read once: the deliveries key's last entry and the newest blocks), raised by every write.
   */
  private newest: string | null = null;

  private newestId(): string {
    if (this.newest === null) {
      const row = this.read<{ d: string | null; b: string | null }>(
        `SELECT (SELECT max(id) FROM deliveries) AS d,
           (SELECT max(last_id) FROM (SELECT last_id FROM done_blocks ORDER BY first_id DESC LIMIT ${BLOCK_LOOKBACK})) AS b`,
      )[0];
      this.newest = [row?.d ?? "", row?.b ?? ""].reduce((a, b) => (a > b ? a : b));
    }
    return this.newest;
  }

  private raiseNewest(id: string) {
    if (this.newest !== null && id > this.newest) this.newest = id;
  }

  /**
   * Whether a delivery with this id is stored (ids are derived from the dedupe key: the dedupe
   * check). Ids sort by publish time, so a new event's id is past every stored one and costs no
   * lookup; only an id at or below that mark (a redelivered message, a late publish) is looked up.
   */
  has(id: string): boolean {
    if (id > this.newestId()) return false;
    return this.read(`SELECT 1 AS x FROM deliveries WHERE id = ?`, id).length > 0 || this.blockItem(id) !== null;
  }

  /**
   * Writes deliveries that succeeded at their first attempt, held together, as one row — or as
   * several, each under BLOCK_BYTES (a row may not exceed 2 MB). Their ids are close together (a
   * few admits' events, in publish order), so a block's id range seldom overlaps another's;
   * lookups by id look at the few blocks that start at or before it.
   */
  insertBlock(items: BlockItem[]) {
    this.ensureSchema();
    const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : 1));
    this.raiseNewest(sorted[sorted.length - 1]!.id);
    const write = (block: BlockItem[], json: string[]) => this.exec(
      `INSERT OR REPLACE INTO done_blocks (first_id, last_id, finished_at, items) VALUES (?, ?, ?, ?)`,
      block[0]!.id, block[block.length - 1]!.id, Math.max(...block.map((i) => i.finished_at)), `[${json.join(",")}]`,
    );
    let block: BlockItem[] = [];
    let json: string[] = [];
    let bytes = 0;
    for (const item of sorted) {
      const one = JSON.stringify(item);
      if (block.length && bytes + one.length > BLOCK_BYTES) {
        write(block, json);
        block = [];
        json = [];
        bytes = 0;
      }
      block.push(item);
      json.push(one);
      bytes += one.length + 1;
    }
    write(block, json);
  }

  /** A delivery kept in a block, by id (at most BLOCK_LOOKBACK blocks read). */
  private blockItem(id: string): BlockItem | null {
    // the ranges first (a block's items are large: read only those of a block that covers the id)
    for (const b of this.read<{ first: string; last: string }>(
      `SELECT first_id AS first, last_id AS last FROM done_blocks WHERE first_id <= ? ORDER BY first_id DESC LIMIT ${BLOCK_LOOKBACK}`, id,
    )) {
      if (b.last < id) continue;
      const hit = this.blockItems(b.first).find((i) => i.id === id);
      if (hit) return hit;
    }
    return null;
  }

  /** The items of the block that starts at `first` (one row read). */
  private blockItems(first: string): BlockItem[] {
    const items = this.read<{ items: string }>(`SELECT items FROM done_blocks WHERE first_id = ?`, first)[0]?.items;
    return items ? (JSON.parse(items) as BlockItem[]) : [];
  }

  /** Stores a delivery as it stands: pending, or already finished (a held delivery's first write). */
  insert(
    d: Delivery, ordering: HookConfig["ordering"] | undefined, event: OutboundEvent, now: number,
    first: FirstAttempt | null, final?: { status: FinalStatus; at: number },
  ) {
    this.ensureSchema();
    this.raiseNewest(d.id);
    this.exec(
      `INSERT INTO deliveries (id, event_id, event_type, published_at, idx, sort_at, status, attempts, next_at,
         out_of_order, created_at, updated_at, finished_at, last_error, event, first_attempt)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      d.id, d.eventId, event.type, d.publishedAt, d.index, sortAt(ordering, d), final?.status ?? "pending", d.attempts, d.nextAt,
      d.outOfOrder ? 1 : 0, d.createdAt, now, final?.at ?? null, d.lastError, JSON.stringify(event), first ? JSON.stringify(first) : null,
    );
  }

  /** A pending delivery's attempts, next time or error changed. */
  update(d: Delivery, ordering: HookConfig["ordering"] | undefined, now: number, first: FirstAttempt | null) {
    this.exec(
      `UPDATE deliveries SET attempts = ?, next_at = ?, sort_at = ?, out_of_order = ?, last_error = ?, updated_at = ?,
         first_attempt = coalesce(?, first_attempt) WHERE id = ?`,
      d.attempts, d.nextAt, sortAt(ordering, d), d.outOfOrder ? 1 : 0, d.lastError, now, first ? JSON.stringify(first) : null, d.id,
    );
  }

  finish(d: Delivery, status: FinalStatus, at: number, first: FirstAttempt | null) {
    this.exec(
      `UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, updated_at = ?, finished_at = ?,
         first_attempt = coalesce(?, first_attempt) WHERE id = ?`,
      status, d.attempts, d.lastError, at, at, first ? JSON.stringify(first) : null, d.id,
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

  /** Attempts after the first (the first is kept in its delivery's row). */
  appendAttempt(deliveryId: string, n: number, o: Outcome) {
    this.exec(
      `INSERT OR REPLACE INTO attempts (delivery_id, n, started_at, duration_ms, status_code, error_kind, error, response_headers, response_body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      deliveryId, n, o.startedAt, o.durationMs, o.statusCode, o.errorKind, o.error, JSON.stringify(o.responseHeaders), o.responseBody,
    );
  }

  /** Adds one decision's finishes and attempts to their hour's aggregates (one row per hour touched). */
  addStats(byHour: Map<number, HourStats>) {
    for (const [hour, add] of byHour) {
      this.ensureSchema();
      const row = this.exec<Row>(`SELECT * FROM stats_hourly WHERE hour = ?`, hour)[0];
      const sum = addHour(row ? hourOf(row) : emptyHour(), add);
      const values = [sum.succeeded, sum.failed, sum.cancelled, sum.skipped, sum.outOfOrder, sum.attempts, JSON.stringify(sum.latency), hour];
      this.exec(
        row
          ? `UPDATE stats_hourly SET succeeded = ?, failed = ?, cancelled = ?, skipped = ?, out_of_order = ?, attempts = ?, latency = ? WHERE hour = ?`
          : `INSERT INTO stats_hourly (succeeded, failed, cancelled, skipped, out_of_order, attempts, latency, hour) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ...values,
      );
    }
  }

  /** Sum of the hourly aggregates since `since` (whole hours): O(hours), not O(history). */
  statsSince(since: number): HourStats {
    const out = emptyHour();
    for (const r of this.read<Row>(`SELECT * FROM stats_hourly WHERE hour >= ?`, Math.floor(since / HOUR_MS))) addHour(out, hourOf(r));
    return out;
  }

  /** The hourly aggregates since `since` (whole hours), oldest first: one row per hour that saw anything. */
  hourly(since: number): (HourStats & { hour: number })[] {
    return this.read<Row>(`SELECT * FROM stats_hourly WHERE hour >= ? ORDER BY hour`, Math.floor(since / HOUR_MS))
      .map((r) => ({ ...hourOf(r), hour: Number(r.hour) }));
  }

  event(deliveryId: string): OutboundEvent | null {
    const row = this.read<{ event: string }>(`SELECT event FROM deliveries WHERE id = ?`, deliveryId)[0];
    return row ? (JSON.parse(row.event) as OutboundEvent) : this.blockItem(deliveryId)?.event ?? null;
  }

  /** History, newest first in publish order (the id order), keyset-paginated on the id. */
  list(opts: { status?: DeliveryStatus; eventType?: string; before?: DeliveryCursor; limit: number }): DeliveryRecord[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    // Live deliveries are stored as pending; the in-flight overlay is the caller's (it holds the leases).
    if (opts.status === "pending" || opts.status === "delivering") where.push("finished_at IS NULL");
    else if (opts.status) (where.push("status = ?"), args.push(opts.status));
    if (opts.eventType) (where.push("event_type = ?"), args.push(opts.eventType));
    if (opts.before) (where.push("id < ?"), args.push(opts.before[2]));
    const sql = `SELECT ${RECORD_COLUMNS} FROM deliveries ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC LIMIT ?`;
    let page = this.read<Row>(sql, ...args, opts.limit).map(rowToRecord);
    if (opts.status && opts.status !== "succeeded") return page; // blocks hold successes only
    // Merge in the blocks that start before the cursor, newest first. Their id ranges come first;
    // a block's items (events included, up to BLOCK_BYTES) are read only while the block can still
    // reach the page: once it is full, a block whose ids all sort below its last entry adds nothing.
    const ranges = this.read<{ first: string; last: string }>(
      `SELECT first_id AS first, last_id AS last FROM done_blocks ${opts.before ? "WHERE first_id < ?" : ""} ORDER BY first_id DESC LIMIT ?`,
      ...(opts.before ? [opts.before[2]] : []), opts.limit,
    );
    for (const b of ranges) {
      if (page.length >= opts.limit && b.last < page[opts.limit - 1]!.id) continue;
      const fromBlock = this.blockItems(b.first)
        .filter((i) => (!opts.before || i.id < opts.before[2]) && (!opts.eventType || i.event_type === opts.eventType))
        .map(blockRecord);
      page = [...page, ...fromBlock].sort((x, y) => (x.id < y.id ? 1 : x.id > y.id ? -1 : 0)).slice(0, opts.limit);
    }
    return page;
  }

  get(deliveryId: string): DeliveryRecord | null {
    const row = this.read<Row>(`SELECT ${RECORD_COLUMNS} FROM deliveries WHERE id = ?`, deliveryId)[0];
    if (row) return rowToRecord(row);
    const item = this.blockItem(deliveryId);
    return item ? blockRecord(item) : null;
  }

  attempts(deliveryId: string): AttemptRecord[] {
    const row = this.read<{ a: string | null }>(`SELECT first_attempt AS a FROM deliveries WHERE id = ?`, deliveryId)[0];
    if (!row) {
      const item = this.blockItem(deliveryId);
      return item ? [{ id: attemptId(deliveryId, 1), attempt: 1, ...item.first }] : [];
    }
    const first = row.a;
    const later = this.read<Row>(`SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n`, deliveryId).map((r) => ({
      id: attemptId(deliveryId, Number(r.n)),
      attempt: Number(r.n),
      started_at: new Date(Number(r.started_at)).toISOString(),
      duration_ms: Number(r.duration_ms),
      status_code: r.status_code === null ? null : Number(r.status_code),
      error_kind: (r.error_kind as string | null) ?? null,
      error: (r.error as string | null) ?? null,
      response_headers: JSON.parse(String(r.response_headers)) as Record<string, string>,
      response_body: (r.response_body as string | null) ?? null,
    }));
    return first ? [{ id: attemptId(deliveryId, 1), attempt: 1, ...(JSON.parse(first) as FirstAttempt) }, ...later.filter((a) => a.attempt !== 1)] : later;
  }

  /** Failed deliveries created since `since`, oldest first (through the failed-only index). */
  failedSince(since: number): DeliveryRecord[] {
    return this.read<Row>(
      `SELECT ${RECORD_COLUMNS} FROM deliveries WHERE status = 'failed' AND created_at >= ? ORDER BY published_at, idx, id`, since,
    ).map(rowToRecord);
  }

  /**
   * Retention: finished deliveries (and their later attempts) that finished before `before`, and
   * hourly stats older than that. Walks the ids (publish order) from where the last call stopped,
   * examining at most `limit` rows per call; a delivery still live is passed over and looked at
   * again on the next round. Returns the rows removed.
   */
  purge(before: number, limit: number): number {
    if (!this.ready) return 0;
    const from = this.chores().purgeAfter ?? "";
    const rows = this.exec<{ id: string; f: number | null }>(
      `SELECT id, finished_at AS f FROM deliveries WHERE id > ? AND id < ? ORDER BY id LIMIT ?`, from, deliveryIdFloor(before), limit,
    );
    let removed = 0;
    for (const r of rows) {
      if (r.f === null || Number(r.f) >= before) continue;
      this.exec(`DELETE FROM attempts WHERE delivery_id = ?`, r.id);
      this.exec(`DELETE FROM deliveries WHERE id = ?`, r.id);
      removed++;
    }
    // a full page: continue after it next time; a short one: the round is done, start over
    const chores = this.chores();
    const purgeAfter = rows.length === limit ? rows[rows.length - 1]!.id : null;
    if (purgeAfter !== chores.purgeAfter) this.saveChores({ ...chores, purgeAfter });
    if (rows.length < limit) this.exec(`DELETE FROM stats_hourly WHERE hour < ?`, Math.floor(before / HOUR_MS));
    for (const b of this.exec<{ first: string; f: number }>(
      `SELECT first_id AS first, finished_at AS f FROM done_blocks WHERE first_id < ? ORDER BY first_id LIMIT ?`, deliveryIdFloor(before), limit,
    )) {
      if (Number(b.f) >= before) continue;
      this.exec(`DELETE FROM done_blocks WHERE first_id = ?`, b.first);
      removed++;
    }
    return removed;
  }
}

const attemptId = (deliveryId: string, n: number) => `${deliveryId.replace(/^dlv_/, "att_")}.${n}`;

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
    succeeded: Number(r.succeeded), failed: Number(r.failed), cancelled: Number(r.cancelled), skipped: Number(r.skipped ?? 0),
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
