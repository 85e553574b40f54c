/**
 * A local leaderboard: every scored run is stored in a SQLite file (node:sqlite) with its
 * name, model, date and scores, and ranked the way the challenge ranks.
 *
 * Location: `$CMRXKIT_HOME/leaderboard.sqlite`, else `$XDG_CACHE_HOME/cmrxkit/...`, else
 * `~/.cache/cmrxkit/leaderboard.sqlite`; `--db FILE` overrides.
 *
 * Ranking: by SSIM, the challenge's primary metric (2023: SSIM selects the top five before
 * the radiologists' reading; 2025 ranks on it), highest first; ties broken by PSNR (higher)
 * then NMSE (lower). Runs that scored fewer files than expected, or over incomplete truth or
 * submission, are ranked but flagged, since the official scorer averages only what it could
 * read; runs without a score (NaN) are not ranked.
 *
 * Concurrency: each record is one transaction (`BEGIN IMMEDIATE` ... `COMMIT`, rolled back on
 * any error), so a killed run leaves all of its rows or none. The database is in WAL mode and
 * every connection waits for a lock (busy timeout) instead of failing, so `score` runs at the
 * same time are all recorded; a lock held longer than the timeout gives a
 * {@link LeaderboardBusyError} naming the file.
 *
 * Identity: a record given `submission` (the absolute path of the submission folder) replaces
 * an earlier record of the same submission, truth, task, edition and split in the same
 * transaction, so rescoring does not add a duplicate. Databases written before these columns
 * existed are migrated in place (columns added; old rows keep working).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { resolve } from "node:path";
import { CmrxError, errorMessage } from "../errors.ts";
import type { ScoreReport } from "./score.ts";

/** The default database path (see the module docs). */
export function defaultLeaderboardPath(): string {
  const env = (k: string) => Deno.env.get(k);
  const home = env("CMRXKIT_HOME");
  if (home) return `${home}/leaderboard.sqlite`;
  const cache = env("XDG_CACHE_HOME") ?? `${env("HOME") ?? "."}/.cache`;
  return `${cache}/cmrxkit/leaderboard.sqlite`;
}

/** How long a connection waits for another one's lock by default (milliseconds). */
export const LEADERBOARD_BUSY_TIMEOUT_MS = 30_000;

/**
 * The leaderboard database stayed locked by another connection (another `score` or
 * `leaderboard` run, or a tool holding it open) for longer than the busy timeout.
 */
export class LeaderboardBusyError extends CmrxError {}

/** One stored run of one task. */
export interface LeaderboardRow {
  /** Row id (for {@link Leaderboard.remove}). */
  id: number;
  /** Display name of the run ({@link RecordMeta.name}). */
  name: string;
  /** What produced the submission; empty when not given. */
  model: string;
  /** When it was scored, ISO 8601 (UTC). */
  date: string;
  /** The edition whose rules scored it. */
  year: number;
  /** `validation` or `test`. */
  split: string;
  /**
   * The task this row scores (a report with both tasks gives two rows); 2024/2025: the
   * year's task (`Task1`, `TaskR1`, ...), scored by its main keys (`All_adj.*`,
   * `Mean_of_all_*_adj`).
   */
  task: string;
  /** The task's aggregate SSIM (4 decimals), the ranking key. */
  ssim: number;
  /** The task's aggregate PSNR, dB; `null` when it was not finite (stored as SQL null). */
  psnr: number;
  /** The task's aggregate NMSE; `null` when it was not finite. */
  nmse: number;
  /** Files scored. */
  files: number;
  /** Files the truth expects (`files < expected` marks the row). */
  expected: number;
  /** The submission folder: {@link RecordMeta.submission} when given, else the report's. */
  submission: string;
  /** The truth scored against: {@link RecordMeta.truth} when given, else the report's. */
  truth: string;
  /** Scored over incomplete truth or submission (entries that could not be read). */
  incomplete: boolean;
}

/** What {@link Leaderboard.record} stores beside the scores. */
export interface RecordMeta {
  /** Display name of the run. */
  name: string;
  /** What produced the submission (see {@link modelLabel}). */
  model?: string;
  /** When it was scored (default: now). */
  date?: Date;
  /**
   * Absolute path of the submission folder. When given, the record replaces an earlier one
   * of the same submission and truth (per task, edition and split) instead of adding a row.
   */
  submission?: string;
  /** Absolute path of the truth (default: the report's); part of the identity above. */
  truth?: string;
  /**
   * The score is over incomplete truth or submission: stored and shown as a mark (default:
   * the report's `incomplete`).
   */
  incomplete?: boolean;
}

const SCHEMA = `
create table if not exists runs (
  id integer primary key autoincrement,
  name text not null,
  model text not null,
  date text not null,
  year integer not null,
  split text not null,
  task text not null,
  ssim real, psnr real, nmse real,
  files integer not null,
  expected integer not null,
  submission text not null,
  truth text not null,
  report text not null,
  incomplete integer not null default 0,
  identity text
);
create index if not exists runs_task on runs(task, year, split);
`;

/** Columns added after the first release, with their declarations (for migration). */
const ADDED_COLUMNS: [string, string][] = [
  ["incomplete", "integer not null default 0"],
  ["identity", "text"],
];

const INDEXES = "create index if not exists runs_identity on runs(identity, task, year, split);";

/**
 * The model label of a submit run for the leaderboard, from the run manifest's fields
 * (`model`, and `models` when it is `auto`); `undefined` without a manifest. Takes the plain
 * fields so that challenge/ does not depend on pipeline/: pass the manifest itself.
 */
export function modelLabel(
  run: { model?: string; models?: { name: string }[] } | undefined,
): string | undefined {
  const model = run?.model?.trim();
  if (!model) return undefined;
  const names = run?.models?.map((m) => m.name).filter(Boolean) ?? [];
  return model === "auto" && names.length ? `auto: ${names.join(", ")}` : model;
}

/** The mark the listing shows for a row: `!` when it scored fewer files or is incomplete. */
export function rowMark(row: Pick<LeaderboardRow, "files" | "expected" | "incomplete">): string {
  return row.files < row.expected || row.incomplete ? "!" : " ";
}

function isLockError(e: unknown): boolean {
  return e instanceof Error && /\b(locked|busy)\b/i.test(e.message);
}

/** The leaderboard database. Close it when done. */
export class Leaderboard {
  /** The database file (`:memory:` for an in-memory database). */
  readonly path: string;
  #db: DatabaseSync;

  /**
   * Opens (creating or migrating) the database.
   *
   * @param opts.busyTimeoutMs how long to wait for another connection's lock
   * @throws {LeaderboardBusyError} another process held the database for the whole timeout
   * @throws {CmrxError} the folder or file cannot be created or is not a SQLite database
   */
  constructor(
    path: string = defaultLeaderboardPath(),
    opts: { busyTimeoutMs?: number } = {},
  ) {
    this.path = path;
    const timeout = opts.busyTimeoutMs ?? LEADERBOARD_BUSY_TIMEOUT_MS;
    try {
      if (path !== ":memory:") {
        Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
      }
      this.#db = new DatabaseSync(path, { timeout });
    } catch (e) {
      throw this.#error(e, "cannot open the leaderboard");
    }
    try {
      this.#setup();
    } catch (e) {
      this.#db.close();
      throw e;
    }
  }

  /**
   * WAL mode (readers do not block the writer; best effort: a read-only file or a file
   * system without shared memory keeps the rollback journal), then the schema, created or
   * migrated in one transaction.
   */
  #setup(): void {
    try {
      const mode = this.#db.prepare("pragma journal_mode").get()?.journal_mode;
      if (mode !== "wal" && mode !== "memory") this.#db.exec("pragma journal_mode = wal");
    } catch { /* the busy timeout and transactions still make records safe */ }
    if (this.#current()) return;
    this.#write("cannot open the leaderboard", () => {
      this.#db.exec(SCHEMA);
      const have = this.#columns();
      for (const [name, decl] of ADDED_COLUMNS) {
        if (!have.has(name)) this.#db.exec(`alter table runs add column ${name} ${decl}`);
      }
      this.#db.exec(INDEXES);
    });
  }

  #columns(): Set<string> {
    const rows = this.#db.prepare("pragma table_info(runs)").all() as { name: string }[];
    return new Set(rows.map((r) => r.name));
  }

  /** Whether the schema is already up to date (no write needed). */
  #current(): boolean {
    return this.#guard("cannot open the leaderboard", () => {
      const have = this.#columns();
      const index = this.#db.prepare(
        "select 1 from sqlite_master where type = 'index' and name = 'runs_identity'",
      ).get();
      return have.has("id") && ADDED_COLUMNS.every(([n]) => have.has(n)) && index !== undefined;
    });
  }

  /** Stores each task of a score report as a run; returns the new row ids. */
  record(report: ScoreReport, meta: RecordMeta): number[] {
    const identity = meta.submission === undefined
      ? null
      : JSON.stringify([resolve(meta.submission), resolve(meta.truth ?? report.truth)]);
    const date = (meta.date ?? new Date()).toISOString();
    return this.#write("cannot record the run on the leaderboard", () => {
      const drop = this.#db.prepare(
        "delete from runs where identity = ? and task = ? and year = ? and split = ?",
      );
      const insert = this.#db.prepare(
        `insert into runs (name, model, date, year, split, task, ssim, psnr, nmse, files,
           expected, submission, truth, report, incomplete, identity)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const ids: number[] = [];
      for (const task of ["cine", "mapping"] as const) {
        const a = report.aggregate[task];
        if (!a) continue;
        if (identity !== null) drop.run(identity, task, report.year, report.split);
        const r = insert.run(
          meta.name,
          meta.model ?? "",
          date,
          report.year,
          report.split,
          task,
          nullable(a.ssim),
          nullable(a.psnr),
          nullable(a.nmse),
          a.files,
          a.expected,
          meta.submission ?? report.submission,
          meta.truth ?? report.truth,
          JSON.stringify(report),
          (meta.incomplete ?? report.incomplete === true) ? 1 : 0,
          identity,
        );
        ids.push(Number(r.lastInsertRowid));
      }
      // 2024/2025: one row per task of the year (Task1, TaskR1, ...) with its main keys.
      for (const e of report.edition?.results ?? []) {
        if (e.files === 0 || e.main.ssim === null) continue;
        if (identity !== null) drop.run(identity, e.task, report.year, report.split);
        const r = insert.run(
          meta.name,
          meta.model ?? "",
          date,
          report.year,
          report.split,
          e.task,
          e.main.ssim,
          nullable(e.main.psnr ?? NaN),
          nullable(e.main.nmse ?? NaN),
          e.files,
          e.expected,
          meta.submission ?? report.submission,
          meta.truth ?? report.truth,
          JSON.stringify(report),
          (meta.incomplete ?? report.incomplete === true) ? 1 : 0,
          identity,
        );
        ids.push(Number(r.lastInsertRowid));
      }
      return ids;
    });
  }

  /** Runs of a task that have a score, ranked as the challenge ranks them (best first). */
  ranked(
    filter: { task: string; year?: number; split?: string; limit?: number },
  ): LeaderboardRow[] {
    const where = ["task = ?", "ssim is not null"];
    const args: (string | number)[] = [filter.task];
    if (filter.year) {
      where.push("year = ?");
      args.push(filter.year);
    }
    if (filter.split) {
      where.push("split = ?");
      args.push(filter.split);
    }
    const sql = `select id, name, model, date, year, split, task, ssim, psnr, nmse, files, expected,
        submission, truth, incomplete from runs where ${where.join(" and ")}
        order by ssim desc, psnr desc, nmse asc, date asc limit ?`;
    args.push(filter.limit ?? 1000);
    const rows = this.#guard("cannot read the leaderboard", () => {
      return this.#db.prepare(sql).all(...args) as unknown as (LeaderboardRow & {
        incomplete: number | boolean;
      })[];
    });
    return rows.map((r) => ({ ...r, incomplete: Boolean(r.incomplete) }));
  }

  /** The tasks that have scored runs, `cine` and `mapping` first, then the others sorted. */
  tasks(): string[] {
    const rows = this.#guard("cannot read the leaderboard", () => {
      return this.#db.prepare("select distinct task from runs where ssim is not null").all() as {
        task: string;
      }[];
    });
    const found = rows.map((r) => r.task);
    return [
      ...["cine", "mapping"].filter((t) => found.includes(t)),
      ...found.filter((t) => t !== "cine" && t !== "mapping").sort(),
    ];
  }

  /** Removes a run by id; returns whether it existed. */
  remove(id: number): boolean {
    return this.#write("cannot remove the run from the leaderboard", () => {
      return Number(this.#db.prepare("delete from runs where id = ?").run(id).changes) > 0;
    });
  }

  /**
   * Runs `fn` in one write transaction: `BEGIN IMMEDIATE` takes the write lock up front
   * (waiting up to the busy timeout), so the transaction cannot deadlock on a lock upgrade;
   * any error rolls it back, leaving nothing half written.
   */
  #write<T>(what: string, fn: () => T): T {
    return this.#guard(what, () => {
      this.#db.exec("begin immediate");
      try {
        const out = fn();
        this.#db.exec("commit");
        return out;
      } catch (e) {
        try {
          this.#db.exec("rollback");
        } catch { /* already rolled back by SQLite */ }
        throw e;
      }
    });
  }

  /** Runs `fn`, turning SQLite errors into errors that name the file and the fix. */
  #guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw this.#error(e, what);
    }
  }

  #error(e: unknown, what: string): CmrxError {
    if (e instanceof CmrxError) return e;
    if (isLockError(e)) {
      return new LeaderboardBusyError(
        `${what}: another process holds the database locked (${errorMessage(e)})`,
        {
          file: this.path,
          hint: "another 'score' or 'leaderboard' run (or a tool with the file open) is " +
            "using it: wait for it to finish and run the command again, or pass --db FILE " +
            "to use another database",
          cause: e,
        },
      );
    }
    return new CmrxError(`${what} (${errorMessage(e)})`, {
      file: this.path,
      hint: "check that the folder is writable and has free space and that the file is a " +
        "cmrxkit leaderboard, or pass --db FILE / set CMRXKIT_HOME to use another one",
      cause: e,
    });
  }

  /** Closes the database connection. */
  close(): void {
    this.#db.close();
  }

  /** Closes the database connection (`using lb = new Leaderboard()`). */
  [Symbol.dispose](): void {
    this.close();
  }
}

function nullable(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
