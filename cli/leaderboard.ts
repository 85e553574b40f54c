/**
 * `deno task leaderboard`: the runs `deno task score` recorded in the local SQLite store,
 * ranked the way the challenge ranks them.
 *
 * @module
 */

import { Leaderboard, rowMark } from "../src/challenge/leaderboard.ts";
import type { Command } from "./command.ts";
import { parseFlags, yearFlag } from "./flags.ts";
import { f4 } from "./print.ts";

/** `deno task leaderboard`: the locally scored runs, ranked. */
export const leaderboard: Command = {
  name: "leaderboard",
  summary: "rank the locally scored runs the way the challenge does",
  help:
    `Usage: deno task leaderboard [--task cine|mapping|TASK|both] [--year 2023] [--split validation|test]
                              [--limit N] [--db FILE] [--remove ID]

Ranks every run recorded by 'deno task score' by SSIM (the challenge's primary metric),
ties by PSNR then NMSE. Runs that scored fewer files than expected, or are marked incomplete
(missing or malformed files), are marked with '!'. 2024 and 2025 runs are listed per task of
the year (Task1, Task2; TaskR1, TaskR2, TaskS1, TaskS2: --task TaskR1), with the year's main
keys: 2024 All_adj.SSIM/PSNR/NMSE, 2025 Mean_of_all_{centers|diseases}_*_adj.
The store is a SQLite file: $CMRXKIT_HOME/leaderboard.sqlite, else
$XDG_CACHE_HOME/cmrxkit/leaderboard.sqlite, else ~/.cache/cmrxkit/leaderboard.sqlite.`,
  run(args) {
    const { values } = parseFlags("leaderboard", args, {
      task: { type: "string", default: "both" },
      year: { type: "string" },
      split: { type: "string" },
      limit: { type: "string" },
      db: { type: "string" },
      remove: { type: "string" },
    });
    using lb = new Leaderboard(values.db);
    if (values.remove) {
      const ok = lb.remove(Number(values.remove));
      console.log(ok ? `removed run ${values.remove}` : `no run ${values.remove}`);
      return Promise.resolve(ok ? 0 : 1);
    }
    // 2024/2025 runs are recorded per task of the year (Task1, TaskR1, ...).
    const tasks = values.task === "both"
      ? [...new Set(["cine", "mapping", ...lb.tasks()])]
      : [values.task];
    console.log(`leaderboard: ${lb.path}`);
    for (const task of tasks) {
      const rows = lb.ranked({
        task,
        year: values.year ? yearFlag("leaderboard", values.year) : undefined,
        split: values.split,
        limit: values.limit ? Number(values.limit) : undefined,
      });
      const title = task === "cine" ? "Cine" : task === "mapping" ? "Mapping" : task;
      console.log(`\n${title}: ${rows.length} run(s)`);
      if (rows.length === 0) continue;
      console.log(
        `  ${"#".padStart(3)} ${"name".padEnd(24)} ${"model".padEnd(14)} ${"SSIM".padStart(7)} ${
          "PSNR".padStart(8)
        } ${"NMSE".padStart(7)} ${"files".padStart(9)}  ${"date".padEnd(16)} id`,
      );
      rows.forEach((r, i) => {
        const flag = rowMark(r);
        console.log(
          `  ${String(i + 1).padStart(3)} ${r.name.slice(0, 24).padEnd(24)} ${
            r.model.slice(0, 14).padEnd(14)
          } ${f4(r.ssim ?? NaN).padStart(7)} ${f4(r.psnr ?? NaN).padStart(8)} ${
            f4(r.nmse ?? NaN).padStart(7)
          } ${`${r.files}/${r.expected}`.padStart(8)}${flag}  ${
            r.date.slice(0, 16).replace("T", " ")
          } ${r.id}  (${r.year}, ${r.split})`,
        );
      });
    }
    return Promise.resolve(0);
  },
};
