// Seed 003's delivery log: every webhook delivery is recorded in a real embedded database, SQLite
// through better-sqlite3, in `<dataDir>/webhooks.db`, one connection per delivery checked out of
// a small pool. Each connection holds its own descriptors on the database and its WAL (2 fds; the
// shared-memory file is mapped once per process), so a connection that is never returned is fds
// that heapgate sees in /proc/<pid>/fd — nothing the target counts about itself.
//
//   checkout ──▶ idle.pop() ?? new Database(file)        ──▶ checkedOut
//                (bounded: at maxOpen, wait for a release)
//   release  ──▶ checkedOut − conn ──▶ a waiting checkout, else idle (≤ MAX_IDLE), else closed
//
// The fix bounds the pool: SQLite keeps the descriptor of a connection closed while another one
// of the process holds a lock on the file (closing it would drop every POSIX lock of the process)
// and reuses it for the next open, so the most connections ever open at once stay as fds. The
// leaky pool has no bound: with connections that never come back, a bound would only turn the
// leak into a hang.
//
// better-sqlite3 closes a connection whose object is garbage-collected, and heapgate forces a GC
// before every reading: a leaked connection would quietly close there and hide the leak. The
// `checkedOut` set keeps every connection not yet returned reachable, as a real pool's bookkeeping
// does, so a leaked one stays open for as long as the process lives.
import Database from 'better-sqlite3';

/** Idle connections kept for reuse; a release beyond them closes the connection. */
export const MAX_IDLE_CONNECTIONS = 2;
/** The fix's bound: one per pooled worker and one spare. */
export const MAX_OPEN_CONNECTIONS = 3;

type Connection = Database.Database;

export interface ConnectionStats {
  /** Connections open now (checked out + idle). */
  open: number;
  checkedOut: number;
  idle: number;
  /** Connections opened since start. */
  opened: number;
}

export interface DeliveryRow {
  eventId: string;
  subscriber: number;
  seq: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    subscriber INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    updated_at TEXT NOT NULL
  )`;

export class DeliveryDb {
  readonly #file: string;
  readonly #idle: Connection[] = [];
  readonly #checkedOut = new Set<Connection>();
  readonly #waiting: ((conn: Connection) => void)[] = [];
  readonly #maxOpen: number | null;
  #opened = 0;
  #ready = false;

  /**
   * Nothing is opened until the first checkout: a target that serves no webhooks has no database.
   * `maxOpen`: at most this many open at once, a checkout beyond waits; null: no bound.
   */
  constructor(file: string, maxOpen: number | null) {
    this.#file = file;
    this.#maxOpen = maxOpen;
  }

  get file(): string {
    return this.#file;
  }

  async checkout(): Promise<Connection> {
    let conn = this.#idle.pop();
    if (!conn && this.#maxOpen !== null && this.#checkedOut.size >= this.#maxOpen) {
      conn = await new Promise<Connection>((resolve) => this.#waiting.push(resolve));
    }
    conn ??= this.#open();
    this.#checkedOut.add(conn);
    return conn;
  }

  release(conn: Connection): void {
    if (!this.#checkedOut.delete(conn)) return;
    const next = this.#waiting.shift();
    if (next) next(conn);
    else if (this.#idle.length < MAX_IDLE_CONNECTIONS) this.#idle.push(conn);
    else conn.close();
  }

  stats(): ConnectionStats {
    const checkedOut = this.#checkedOut.size;
    const idle = this.#idle.length;
    return { open: checkedOut + idle, checkedOut, idle, opened: this.#opened };
  }

  /** Rows by status, for tests and people: { delivered: 9, failed: 3 }. */
  async counts(): Promise<Record<string, number>> {
    if (!this.#ready) return {};
    const conn = await this.checkout();
    try {
      const rows = conn.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status').all() as { status: string; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    } finally {
      this.release(conn);
    }
  }

  /** Close every connection, leaked ones too (checkouts still waiting never resolve: the target is closing). */
  close(): void {
    for (const conn of [...this.#idle, ...this.#checkedOut]) conn.close();
    this.#idle.length = 0;
    this.#checkedOut.clear();
  }

  #open(): Connection {
    const conn = new Database(this.#file);
    this.#opened++;
    // Another connection may be writing: wait for its lock rather than fail the delivery.
    conn.pragma('busy_timeout = 5000');
    if (!this.#ready) {
      conn.pragma('journal_mode = WAL');
      conn.exec(SCHEMA);
      this.#ready = true;
    }
    return conn;
  }
}

/** The two statements of a delivery, on the connection it checked out. */
export function recordPending(conn: Connection, row: DeliveryRow): void {
  conn
    .prepare('INSERT INTO deliveries (seq, event_id, subscriber, status, updated_at) VALUES (?, ?, ?, ?, ?)')
    .run(row.seq, row.eventId, row.subscriber, 'pending', new Date().toISOString());
}

export function recordOutcome(conn: Connection, seq: number, status: 'delivered' | 'failed', httpStatus: number | null): void {
  conn.prepare('UPDATE deliveries SET status = ?, http_status = ?, updated_at = ? WHERE seq = ?').run(status, httpStatus, new Date().toISOString(), seq);
}

/**
 * Run `work` on a checked-out connection. The two ways a service writes it, chosen once:
 * fixed returns the connection in `finally`; leaky returns it after the work, so a throw skips the
 * release and the connection stays checked out, open, for good.
 */
export type WithConnection = <T>(work: (conn: Connection) => Promise<T>) => Promise<T>;

export function withConnection(db: DeliveryDb, leaky: boolean): WithConnection {
  if (leaky) {
    return async (work) => {
      const conn = await db.checkout();
      const result = await work(conn);
      db.release(conn);
      return result;
    };
  }
  return async (work) => {
    const conn = await db.checkout();
    try {
      return await work(conn);
    } finally {
      db.release(conn);
    }
  };
}
