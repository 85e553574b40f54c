/**
 * A local leaderboard: every scored run is stored in a SQLite file (node:sqlite) with its
 * name, model, date and scores, and ranked the way the challenge ranks.
 *
 * Location: `$CMRXKIT_HOME/leaderboard.sqlite`, else `$XDG_CACHE_HOME/cmrxkit/...`, else
 * `~/.cache/cmrxkit/leaderboard.sqlite`; `--db FILE` overrides.
 *
 * Ranking: by SSIM, the challenge's primary metric (2023: SSIM selects the top five before
 * the radiologists' reading; 2025 ranks on it), highest first; ties broken by PSNR (higher)
 * then NMSE (lower). Runs that scored fewer files than expected are ranked but flagged,
 * since the official scorer averages only what it could read.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { CmrxError } from "../errors.ts";
import type { ScoreReport } from "./score.ts";

/** The default database path (see the module docs). */
export function defaultLeaderboardPath(): string {
  const env = (k: string) => Deno.env.get(k);
  const home = env("CMRXKIT_HOME");
  if (home) return `${home}/leaderboard.sqlite`;
  const cache = env("XDG_CACHE_HOME") ?? `${env("HOME") ?? "."}/.cache`;
  return `${cache}/cmrxkit/leaderboard.sqlite`;
}

/** One stored run of one task. */
export interface LeaderboardRow {
  id: number;
  name: string;
  model: string;
  date: string;
  year: number;
  split: string;
  task: "cine" | "mapping";
  ssim: number;
  psnr: number;
  nmse: number;
  files: number;
  expected: number;
  submission: string;
  truth: string;
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
  report text not null
);
create index if not exists runs_task on runs(task, year, split);
`;

/** The leaderboard database. Close it when done. */
export class Leaderboard {
  readonly path: string;
  #db: DatabaseSync;

  constructor(path: string = defaultLeaderboardPath()) {
    this.path = path;
    try {
      if (path !== ":memory:") {
        Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")) || ".", { recursive: true });
      }
      this.#db = new DatabaseSync(path);
      this.#db.exec(SCHEMA);
    } catch (e) {
      throw new CmrxError(`cannot open the leaderboard (${e instanceof Error ? e.message : e})`, {
        file: path,
        hint: "check the folder is writable, or pass --db FILE / set CMRXKIT_HOME",
      });
    }
  }

  /** Stores each task of a score report as a run; returns the new row ids. */
  record(report: ScoreReport, meta: { name: string; model?: string; date?: Date }): number[] {
    const ids: number[] = [];
    const insert = this.#db.prepare(
      `insert into runs (name, model, date, year, split, task, ssim, psnr, nmse, files, expected,
         submission, truth, report) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const date = (meta.date ?? new Date()).toISOString();
    for (const task of ["cine", "mapping"] as const) {
      const a = report.aggregate[task];
      if (!a) continue;
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
        report.submission,
        report.truth,
        JSON.stringify(report),
      );
      ids.push(Number(r.lastInsertRowid));
    }
    return ids;
  }

  /** Runs of a task ranked as the challenge ranks them (best first). */
  ranked(
    filter: { task: "cine" | "mapping"; year?: number; split?: string; limit?: number },
  ): LeaderboardRow[] {
    const where = ["task = ?"];
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
        submission, truth from runs where ${where.join(" and ")}
        order by ssim is null, ssim desc, psnr desc, nmse asc, date asc limit ?`;
    args.push(filter.limit ?? 1000);
    return this.#db.prepare(sql).all(...args) as unknown as LeaderboardRow[];
  }

  /** Removes a run by id; returns whether it existed. */
  remove(id: number): boolean {
    return Number(this.#db.prepare("delete from runs where id = ?").run(id).changes) > 0;
  }

  close(): void {
    this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function nullable(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
