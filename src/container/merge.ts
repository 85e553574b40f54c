/**
 * Merging the outputs of a sharded run (`submit --shard i/n` on n GPUs or nodes) into one
 * submission, and checking from the run logs that every shard ran to its end.
 *
 * Shards may write into one shared output folder (then there is nothing to copy) or each
 * into its own; {@link mergeShards} copies every shard's `Submission/` files into the target
 * (temporary file + rename), after checking that no two shards disagree about a file, so a
 * conflict leaves the target untouched. The shards' run manifests (`cmrxkit-run.json`, what
 * model, options and input made the files) must agree too; the target gets a copy, so that
 * `validate`, `pack` and `score` take the task and split of the merged folder from it.
 *
 * @module
 */

import { CmrxError } from "../errors.ts";
import { listSubmissionFiles, locateSubmission } from "../challenge/validate/walk.ts";
import { submissionFolder } from "../challenge/submission.ts";
import {
  manifestDifferences,
  readRunManifest,
  RUN_MANIFEST,
  type RunManifest,
} from "../pipeline/run_manifest.ts";
import { writeAtomic } from "../output.ts";

/** Bytes 0..115 of a MAT v5 file: the descriptive text with its "Created on" date. */
export const MAT_HEADER_TEXT_BYTES = 116;

/**
 * Whether two `img4ranking` files hold the same thing: byte-identical, or MAT v5 files that
 * differ only in the 116-byte header text (the creation date). Everything after the text
 * (version, endianness, the variable's tag, dims, name and data) must match byte for byte.
 */
export function sameMatContent(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const mat5 = (x: Uint8Array) =>
    x.length >= 128 && new TextDecoder().decode(x.subarray(0, 10)) === "MATLAB 5.0";
  const from = mat5(a) && mat5(b) ? MAT_HEADER_TEXT_BYTES : 0;
  for (let i = from; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The state of one shard from its run log. */
export interface ShardLogStatus {
  /** Log file name. */
  file: string;
  /** `i/n` (1-based), or null for an unsharded run. */
  shard: string | null;
  /** Cases of the shard (from the last start event). */
  cases: number;
  /** Case records `written` since the last start event. */
  written: number;
  /** Files already done and verified (from the last end event). */
  skipped: number;
  /** Case records `failed` since the last start event. */
  failed: number;
  /** Files the time budget stopped before. */
  notReached: number;
  /** True when the last run of the log reached its end event. */
  ended: boolean;
}

/**
 * Reads a `run-log*.jsonl` written by `submit`: the last run in it (a log gets one
 * start..end block per run; resumed runs append). Lines that are not JSON are ignored.
 */
export function shardLogStatus(text: string, file: string): ShardLogStatus {
  const s: ShardLogStatus = {
    file,
    shard: null,
    cases: 0,
    written: 0,
    skipped: 0,
    failed: 0,
    notReached: 0,
    ended: false,
  };
  for (const line of text.split("\n")) {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.event === "start") {
      Object.assign(s, { written: 0, skipped: 0, failed: 0, notReached: 0, ended: false });
      s.shard = typeof e.shard === "string" ? e.shard : null;
      s.cases = Number(e.cases ?? 0);
    } else if (e.event === "case") {
      if (e.status === "written") s.written++;
      else if (e.status === "failed") s.failed++;
    } else if (e.event === "end") {
      s.ended = true;
      s.skipped = Number(e.skipped ?? 0);
      s.notReached = Array.isArray(e.notReached) ? e.notReached.length : 0;
    }
  }
  return s;
}

/**
 * Problems with a set of shard logs: shards of `n` that have no log, shards that did not
 * reach their end, failed or unreached files, and logs that disagree about `n`.
 */
export function checkShardSet(statuses: readonly ShardLogStatus[]): string[] {
  const problems: string[] = [];
  const byN = new Map<number, Map<number, ShardLogStatus>>();
  for (const s of statuses) {
    if (!s.ended) {
      problems.push(
        `${s.shard ? `shard ${s.shard}` : "the run"} did not finish (no end event in ${s.file}): ` +
          "it was stopped or is still running; run it again to resume",
      );
    }
    if (s.failed) problems.push(`${s.shard ?? "the run"}: ${s.failed} file(s) failed (${s.file})`);
    if (s.notReached) {
      problems.push(
        `${s.shard ?? "the run"}: ${s.notReached} file(s) not reached before the time budget`,
      );
    }
    if (!s.shard) continue;
    const [i, n] = s.shard.split("/").map(Number);
    if (!byN.has(n)) byN.set(n, new Map());
    byN.get(n)!.set(i, s);
  }
  if (byN.size > 1) {
    problems.push(`the logs come from different shard counts (${[...byN.keys()].join(", ")})`);
  }
  for (const [n, shards] of byN) {
    for (let i = 1; i <= n; i++) {
      if (!shards.has(i)) problems.push(`shard ${i}/${n} has no run log: did it run?`);
    }
  }
  return problems;
}

/** What {@link mergeShards} did. */
export interface MergeReport {
  /** The merged submission folder (`OUT/Submission`). */
  root: string;
  /** Files copied in. */
  copied: number;
  /** Files already present with the same content. */
  same: number;
  /** Run logs copied next to the submission. */
  logs: string[];
  /** Status of every run log in the target. */
  shards: ShardLogStatus[];
  /**
   * The run manifest of the merged folder: the shard manifest it was copied from (`copied`
   * false: the target already had the same one, or the shards shared the target); null when
   * there is none.
   */
  manifest: { from: string; copied: boolean } | null;
  /** {@link checkShardSet} problems, and shards without a run manifest beside others with one. */
  problems: string[];
}

/**
 * What differs between two run manifests of shards of one run: {@link manifestDifferences}
 * (model, options, split, edition, input identity; not the input's path, which may be
 * mounted elsewhere on another node) and the cases asked for (task, coil, accelerations).
 */
export function shardManifestDifferences(a: RunManifest, b: RunManifest): string[] {
  const out = manifestDifferences(a, b);
  for (const k of ["task", "coil", "acc"] as const) {
    const x = JSON.stringify(a[k] ?? null), y = JSON.stringify(b[k] ?? null);
    if (x !== y) out.push(`${k}: ${x} vs ${y}`);
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

async function runLogs(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /^run-log.*\.jsonl$/.test(e.name)) out.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

async function copyAtomic(from: string, to: string): Promise<void> {
  await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  await writeAtomic(to, (tmp) => Deno.copyFile(from, tmp));
}

/**
 * Merges shard outputs (folders holding `Submission/` and `run-log*.jsonl`) into `out`.
 * A file present in several places must have the same content ({@link sameMatContent});
 * otherwise nothing is copied and a {@link CmrxError} names both files.
 */
export async function mergeShards(
  out: string,
  shardDirs: readonly string[],
  onFile?: (rel: string) => void,
): Promise<MergeReport> {
  const target = submissionFolder(out);
  const outReal = await Deno.realPath(out).catch(() => out);
  // Plan: every (source, rel) pair; compare duplicates before anything is written.
  const plan = new Map<string, string>(); // rel -> source path
  const logs: { from: string; name: string }[] = [];
  // Run manifests: the target's (shards that shared it, an earlier merge), then each shard's.
  const manifests: { path: string; m: RunManifest }[] = [];
  const targetManifest = await readRunManifest(out);
  if (targetManifest) manifests.push({ path: `${out}/${RUN_MANIFEST}`, m: targetManifest });
  const withoutManifest: string[] = [];
  let same = 0;
  for (const dir of shardDirs) {
    if ((await Deno.realPath(dir).catch(() => dir)) === outReal) continue;
    const { root, kind } = await locateSubmission(dir);
    const { files } = await listSubmissionFiles(root);
    for (const f of files) {
      const rel = f.rel, src = f.path;
      if (/\.tmp-/.test(rel)) continue; // left by a stopped shard: never a result
      const seen = plan.get(rel) ?? ((await exists(`${target}/${rel}`)) ? `${target}/${rel}` : "");
      if (seen) {
        const [a, b] = await Promise.all([Deno.readFile(seen), Deno.readFile(src)]);
        if (!sameMatContent(a, b)) {
          throw new CmrxError(`two shards wrote different files for ${rel}`, {
            file: src,
            hint: `it differs from ${seen}: were the shards run with different models or ` +
              "settings? Re-run the shard that is wrong (submit --force --shard i/n)",
          });
        }
        same++;
        continue;
      }
      plan.set(rel, src);
    }
    const base = kind === "Submission" ? root.slice(0, root.lastIndexOf("/")) || "." : dir;
    for (const name of await runLogs(base)) logs.push({ from: `${base}/${name}`, name });
    const m = await readRunManifest(base);
    if (m) manifests.push({ path: `${base}/${RUN_MANIFEST}`, m });
    else withoutManifest.push(base);
  }
  for (const x of manifests.slice(1)) {
    const diffs = shardManifestDifferences(manifests[0].m, x.m);
    if (!diffs.length) continue;
    throw new CmrxError(
      `the shards were not run with the same settings: ${manifests[0].path} and ${x.path} ` +
        `differ:\n    ${diffs.join("\n    ")}`,
      {
        file: x.path,
        hint: "merge the shards of one run only (same model, options, input, task and split); " +
          "re-run the shard that differs with the others' settings (submit --force --shard i/n)",
      },
    );
  }
  await Deno.mkdir(target, { recursive: true });
  for (const [rel, src] of plan) {
    await copyAtomic(src, `${target}/${rel}`);
    onFile?.(rel);
  }
  const copiedLogs: string[] = [];
  for (const l of logs) {
    let name = l.name;
    for (let k = 2; await exists(`${out}/${name}`); k++) {
      const a = await Deno.readTextFile(`${out}/${name}`), b = await Deno.readTextFile(l.from);
      if (a === b) break;
      name = l.name.replace(/\.jsonl$/, `.${k}.jsonl`);
    }
    if (!(await exists(`${out}/${name}`))) {
      await copyAtomic(l.from, `${out}/${name}`);
      copiedLogs.push(name);
    }
  }
  let manifest: MergeReport["manifest"] = null;
  const problems: string[] = [];
  const fromShard = manifests.find((x) => x.m !== targetManifest);
  if (fromShard && withoutManifest.length) {
    problems.push(
      `no run manifest (${RUN_MANIFEST}) in ${withoutManifest.join(", ")}, while ` +
        `${fromShard.path} has one: cannot tell what made those files, so the merged folder ` +
        "gets none (re-run those shards with this cmrxkit, or pass --task and --split to " +
        "validate, pack and score)",
    );
  } else if (fromShard && !targetManifest) {
    await copyAtomic(fromShard.path, `${out}/${RUN_MANIFEST}`);
    manifest = { from: fromShard.path, copied: true };
  } else if (fromShard) manifest = { from: fromShard.path, copied: false };
  else if (targetManifest) manifest = { from: `${out}/${RUN_MANIFEST}`, copied: false };
  const shards: ShardLogStatus[] = [];
  for (const name of await runLogs(out)) {
    shards.push(shardLogStatus(await Deno.readTextFile(`${out}/${name}`), name));
  }
  problems.push(...checkShardSet(shards));
  return {
    root: target,
    copied: plan.size,
    same,
    logs: copiedLogs,
    manifest,
    shards,
    problems,
  };
}
