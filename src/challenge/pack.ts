/**
 * Packing a submission folder into the zip the organisers take, in one of the two layouts the
 * 2023 validation scorer accepts (`Evaluation/Main_Score.py` looks for `Submission/`, or for
 * `MultiCoil/` / `SingleCoil/` at the root of the extracted archive). Each edition's default
 * is where its scorer searches (`EditionLayout.archive`): 2023 and 2025 `submission` (2025's
 * scorer walks the archive for the folder directly holding `TaskR1/`...), 2024 `root` (its
 * scorer reads `{Modality}/ValidationSet/TaskN/...` at the root; {@link PackPlan.warnings}
 * lists its three conflicting documented conventions):
 *
 * - `submission` (default): every file under `Submission/` (so unzipping yields
 *   `Submission/MultiCoil/...`; the official readme: "The folder must be named
 *   'Submission'"), plus `Submission/readme.txt`;
 * - `root`: the submission's folders at the archive root, plus `readme.txt`: for 2023
 *   `MultiCoil/...` and `SingleCoil/...`, as in the official example archives
 *   (`Submission/MultiCoil.zip`, `SingleCoil.zip`); for 2024 the modality folders, where the
 *   2024 scorer reads them.
 *
 * The readme carries the team name and a contact e-mail, as the official submission readme
 * asks.
 *
 * The archive is reproducible: entries in a fixed order (by name), every entry time taken from
 * {@link outputDate} (`SOURCE_DATE_EPOCH`, else 1980-01-01 00:00:00), written as that time in
 * UTC whatever the machine's time zone, so packing the same files twice gives the same bytes.
 *
 * The zip is streamed with fflate (`Zip` + `ZipPassThrough`, or `ZipDeflate` for a level
 * above 0): files are read in chunks and each chunk's write is awaited before the next read
 * (backpressure, bounded memory), into a temporary file beside the target that is renamed
 * into place at the end (nothing partial is left on failure).
 *
 * Store (level 0) is the default: `img4ranking` float data compresses poorly (about 0.74 of
 * the size, at a sixth of the speed), so deflate mostly costs time.
 *
 * fflate writes no ZIP64: an archive over 4 GiB or with more than 65,535 entries would come
 * out corrupt, so {@link checkZipLimits} refuses it before anything is written.
 *
 * @module
 */

import { DEFAULT_YEAR } from "./editions/mod.ts";
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";
import { dirname, relative, resolve } from "node:path";
import type { Task, Year } from "./edition.ts";
import { isReadme, layoutEdition, parseSubmissionPath, SUBMISSION_FOLDER } from "./paths.ts";
import { validateSubmission } from "./validate/mod.ts";
import type { Problem, ValidationReport } from "./validate/report.ts";
import { listSubmissionFiles, locateSubmission } from "./validate/walk.ts";
import { CmrxError, errorMessage } from "../errors.ts";
import { outputDate } from "../reproducible.ts";
import { writeAtomic } from "../output.ts";

/** A zip file cannot be packed as asked (limits, no team name, I/O failure, invalid input). */
export class PackError extends CmrxError {}

/** Largest archive (bytes) without ZIP64: offsets and sizes are 32-bit. */
export const ZIP_MAX_BYTES = 0xffffffff;
/** Safety margin kept below {@link ZIP_MAX_BYTES}. */
export const ZIP_SIZE_MARGIN = 16 * 1024 * 1024;
/** Most entries without ZIP64: the entry count is 16-bit. */
export const ZIP_MAX_ENTRIES = 65535;

/** One entry's name in the archive and its uncompressed size (0 for a folder). */
export interface ZipEntrySize {
  /** Name in the archive (its UTF-8 bytes count). */
  name: string;
  /** Uncompressed size, bytes. */
  size: number;
}

const enc = new TextEncoder();

/**
 * The size of the archive fflate writes for these entries: per entry a 30-byte local header
 * plus the name, the data and a 16-byte data descriptor; per entry a 46-byte central directory
 * record plus the name; a 22-byte end record. Exact for store (level 0); for deflate an upper
 * bound (incompressible data becomes stored blocks with a few bytes each of overhead).
 */
export function zipArchiveSize(entries: readonly ZipEntrySize[], level = 0): number {
  let total = 22;
  for (const e of entries) {
    const name = enc.encode(e.name).length;
    const data = level > 0 ? e.size + 5 * Math.ceil(e.size / 1024) + 8 : e.size;
    total += 30 + name + data + 16 + 46 + name;
  }
  return total;
}

/**
 * Refuses an archive fflate cannot write correctly (no ZIP64): more than 65,535 entries, or a
 * total size (headers, data and central directory) above 4 GiB minus a 16 MiB margin.
 *
 * @param entries number of entries (files and folders)
 * @param bytes archive size from {@link zipArchiveSize}
 * @throws {PackError} with the numbers and what to do
 */
export function checkZipLimits(entries: number, bytes: number, file?: string): void {
  const fix = "pack cine and mapping separately (they are separate queues): --task cine, then " +
    "--task mapping, or by coil with --coil multi / --coil single; or zip the Submission folder " +
    "with Info-ZIP 'zip -r -0 Submission.zip Submission' (it writes ZIP64)";
  if (entries > ZIP_MAX_ENTRIES) {
    throw new PackError(
      `the archive would hold ${entries} entries; a zip without ZIP64 holds at most ` +
        `${ZIP_MAX_ENTRIES} (fflate writes no ZIP64 and would produce a corrupt file)`,
      { file, hint: fix },
    );
  }
  const limit = ZIP_MAX_BYTES - ZIP_SIZE_MARGIN;
  if (bytes > limit) {
    throw new PackError(
      `the archive would be ${bytes} bytes (${(bytes / 2 ** 30).toFixed(2)} GiB); a zip ` +
        `without ZIP64 must stay below 4 GiB (limit used: ${limit} bytes, 4 GiB minus a ` +
        "16 MiB margin; fflate writes no ZIP64 and would produce a corrupt file)",
      { file, hint: fix },
    );
  }
}

/**
 * The validation problems that stop packing: all but system and temporary files ("junk" by
 * their name: `.DS_Store`, `*.tmp-*`, ...), which the packer leaves out of the archive
 * anyway. A broken link, folder, FIFO or device where a submission file belongs (a valid
 * name) stops it: leaving it out would pack a submission with that case missing.
 */
export function blockingProblems(report: ValidationReport, year: Year = 2023): Problem[] {
  return report.problems.filter((p) => p.kind !== "junk" || !isJunkName(p.file, year));
}

function isJunkName(rel: string, year: Year): boolean {
  const p = parseSubmissionPath(rel, year);
  return !p.ok && p.kind === "junk";
}

/**
 * How the archive is laid out: `submission` = `Submission/MultiCoil/...` and
 * `Submission/readme.txt`; `root` = `MultiCoil/...` (2023) and `readme.txt` at the root (the
 * official example archives). See the module docs.
 */
export type PackLayout = "submission" | "root";

/** The layouts, for option parsing. */
export const PACK_LAYOUTS: readonly PackLayout[] = ["submission", "root"];

/** Options of {@link packSubmission} and {@link planPack}. */
export interface PackOptions {
  /** The zip to write (default: `Submission.zip` beside the Submission folder). */
  out?: string;
  /** Team name for `Submission/readme.txt` (else a readme.txt already there is used). */
  team?: string;
  /** Contact e-mail for readme.txt (the official readme asks for it; checked loosely). */
  email?: string;
  /** Archive layout (default `submission`). */
  layout?: PackLayout;
  /** 0 = store (default), 1-9 = deflate level. */
  level?: number;
  /** Run the structural validation first and refuse an invalid submission (default true). */
  validate?: boolean;
  /** Pack even when validation finds problems (system/temporary files never stop it). */
  force?: boolean;
  /** Dataset root for a full validation (every file, exact dims) instead of structural only. */
  input?: string;
  /** Pack only these files (Cine, Mapping or both). */
  task?: Task | "both";
  /** Pack only `MultiCoil` (`multi`) or `SingleCoil` (`single`) files. */
  coil?: "multi" | "single" | "both";
  /** Pack only these acceleration factors (e.g. `[4, 8]`). */
  acc?: number[];
  /** The split to validate for (default: `test` when only TestSet files, else `validation`). */
  split?: "validation" | "test";
  /** The edition whose layout and rules apply (default 2023). */
  year?: Year;
  /**
   * Time of every entry (default {@link outputDate}: `SOURCE_DATE_EPOCH`, else 1980-01-01),
   * written as its UTC date and time.
   */
  mtime?: Date;
  /** Read size (default 4 MiB). */
  chunkSize?: number;
  /** Called after each chunk with the bytes of file data packed so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** One entry of the archive. */
export interface PackEntry {
  /** Name in the archive (`Submission/...` or `MultiCoil/...`; folders end with `/`). */
  name: string;
  /** Source file, for files read from disk. */
  path?: string;
  /** Content, for generated files (readme.txt). */
  data?: Uint8Array;
  /** Uncompressed size, bytes (0 for a folder). */
  size: number;
  /** Time written into the entry (see {@link PackOptions.mtime}). */
  mtime: Date;
  /** Whether the entry is a folder. */
  dir: boolean;
}

/** What {@link planPack} decided. */
export interface PackPlan {
  /** The folder packed as `Submission/` (or as the archive root, for `root`). */
  root: string;
  /** The zip to write. */
  out: string;
  /** 0 = store, 1-9 = deflate level. */
  level: number;
  /** The archive layout. */
  layout: PackLayout;
  /** Every entry in archive order (by name): folders, readme.txt, files. */
  entries: PackEntry[];
  /** Files among the entries (folders and readme excluded). */
  files: number;
  /** Bytes of file data (what progress counts). */
  dataBytes: number;
  /** The archive size (exact for store, an upper bound for deflate). */
  archiveBytes: number;
  /**
   * Where readme.txt comes from, its text, and the contact e-mail found in it (absent: the
   * readme lacks the e-mail the official readme asks for).
   */
  readme: {
    source: "team" | "file";
    path?: string;
    text: string;
    replaced?: string;
    email?: string;
  };
  /** Files left out: outside the filters. */
  skipped: string[];
  /** System and temporary files left out (.DS_Store, *.tmp-*, ...). */
  junk: string[];
  /** The validation run first, if any. */
  validation: ValidationReport | null;
  /**
   * What to know about this edition's archive: its conflicting documented conventions
   * (2024), or a layout other than the one its scorer searches for.
   */
  warnings: string[];
}

/** The warnings of an archive of `year` in `layout` (see {@link PackPlan.warnings}). */
export function archiveWarnings(year: Year, layout: PackLayout): string[] {
  const { year: y, layout: l } = layoutEdition(year);
  const out: string[] = [];
  if (layout !== l.archive.layout) {
    out.push(
      `layout ${layout}: the ${y} scorer expects layout ${l.archive.layout} (${l.archive.reason})`,
    );
  }
  if (l.archive.warning) out.push(l.archive.warning);
  return out;
}

/** What {@link packSubmission} wrote. */
export interface PackResult extends PackPlan {
  /** Bytes of the zip written. */
  zipBytes: number;
  /** Seconds spent writing. */
  seconds: number;
}

/** Earliest and latest times a zip entry holds (MS-DOS date: years 1980 to 2099). */
const MIN_DATE_UTC = Date.UTC(1980, 0, 1);
const MAX_DATE_UTC = Date.UTC(2099, 11, 31, 23, 59, 58);

/**
 * The date to give fflate for an entry time `d`: fflate writes the local date and time of
 * what it is given, so this is the date whose local fields are `d`'s UTC fields (clamped to
 * the range a zip holds); the archive then holds the same bytes in every time zone.
 */
export function zipEntryDate(d: Date): Date {
  const t = Number.isNaN(d.getTime())
    ? MIN_DATE_UTC
    : Math.min(MAX_DATE_UTC, Math.max(MIN_DATE_UTC, d.getTime()));
  const u = new Date(t);
  return new Date(
    u.getUTCFullYear(),
    u.getUTCMonth(),
    u.getUTCDate(),
    u.getUTCHours(),
    u.getUTCMinutes(),
    u.getUTCSeconds(),
  );
}

const hasControl = (s: string) =>
  [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_IN_TEXT = /[^\s@<>()"',;:]+@[^\s@<>()"',;:]+\.[^\s@<>()"',;:]+/;

function teamLine(team: string): string {
  const t = team.trim();
  if (!t || hasControl(t)) {
    throw new PackError(`invalid team name ${JSON.stringify(team)}`, {
      hint: "pass --team with your registered team name on one line",
    });
  }
  return `Team name: ${t}\n`;
}

/** A contact e-mail checked loosely (one `@`, a dot in the domain, no spaces). */
function checkEmail(email: string): string {
  const e = email.trim();
  if (!EMAIL.test(e) || hasControl(e)) {
    throw new PackError(`invalid contact e-mail ${JSON.stringify(email)}`, {
      hint: "pass --email with the address the organisers can reach you at, e.g. " +
        "--email name@example.org",
    });
  }
  return e;
}

/** The readme.txt text: the team line (or a readme's own text) and the contact e-mail. */
function readmeText(base: string, email: string | undefined): { text: string; email?: string } {
  const text = base.endsWith("\n") ? base : `${base}\n`;
  if (email === undefined) return { text, email: text.match(EMAIL_IN_TEXT)?.[0] };
  if (text.includes(email)) return { text, email };
  return { text: `${text}Contact e-mail: ${email}\n`, email };
}

async function readReadme(path: string): Promise<string> {
  const text = await Deno.readTextFile(path);
  if (!text.trim()) {
    throw new PackError("readme.txt is empty", {
      file: path,
      hint: "write your team name in it, or pass --team NAME",
    });
  }
  return text;
}

async function findReadme(dir: string): Promise<string | undefined> {
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && isReadme(e.name)) return `${dir}/${e.name}`;
    }
  } catch { /* no folder */ }
  return undefined;
}

/**
 * Decides what goes into the archive, without writing anything: validation (unless
 * `validate: false`), the entries (folders, readme.txt, files in the filters; system and
 * temporary files left out), the archive size and the limits check.
 *
 * @throws {LayoutError} dir does not exist or holds no submission
 * @throws {PackError} invalid submission (unless `force`), no team name, limits exceeded,
 *   an output path inside the submission folder
 */
export async function planPack(dir: string, opts: PackOptions = {}): Promise<PackPlan> {
  const level = opts.level ?? 0;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new PackError(`compression level ${level} is not an integer from 0 to 9`, {
      hint: "use 0 (store, default) or 1-9 (deflate)",
    });
  }
  // Arguments first, before the (possibly long) validation.
  const email = opts.email === undefined ? undefined : checkEmail(opts.email);
  const team = opts.team === undefined ? undefined : teamLine(opts.team);
  const year = opts.year ?? DEFAULT_YEAR;
  const archive = layoutEdition(year).layout.archive;
  const layout = opts.layout ?? archive.layout;
  if (!PACK_LAYOUTS.includes(layout)) {
    throw new PackError(`unknown archive layout '${layout}'`, {
      hint: `use one of: ${PACK_LAYOUTS.join(", ")}`,
    });
  }
  const warnings = archiveWarnings(year, layout);
  const loc = await locateSubmission(dir, year);
  const root = loc.root;
  let validation: ValidationReport | null = null;
  if (opts.validate !== false) {
    validation = await validateSubmission(dir, {
      input: opts.input,
      task: opts.task,
      coil: opts.coil,
      acc: opts.acc,
      split: opts.split,
      year,
    });
    const blocking = blockingProblems(validation, year);
    if (blocking.length > 0 && !opts.force) {
      const first = blocking[0];
      throw new PackError(
        `the submission is not valid: ${blocking.length} problem(s), first: ${first.file}: ` +
          first.message,
        {
          file: root,
          hint: `run 'deno task validate ${dir}' for every problem and its fix; or pass --force ` +
            "to pack it anyway",
        },
      );
    }
  }

  // Output path.
  const out = opts.out ?? `${dirname(resolve(root))}/${SUBMISSION_FOLDER}.zip`;
  const rel = relative(resolve(root), resolve(out));
  if (rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"))) {
    throw new PackError("the zip would be written inside the folder it packs", {
      file: out,
      hint: "choose --out outside the Submission folder",
    });
  }

  // readme.txt
  let readme: PackPlan["readme"];
  const inRoot = await findReadme(root);
  if (team !== undefined) {
    readme = {
      source: "team",
      ...readmeText(team, email),
      ...(inRoot ? { replaced: inRoot } : {}),
    };
  } else {
    const path = inRoot ?? (loc.kind === "parent" ? await findReadme(dir) : undefined);
    if (!path) {
      throw new PackError("no team name: the 2023 rules ask for Submission/readme.txt", {
        file: root,
        hint: "pass --team NAME --email ADDR, or put a readme.txt with your team name and " +
          "contact e-mail in the Submission folder",
      });
    }
    readme = { source: "file", path, ...readmeText(await readReadme(path), email) };
  }

  // Entries, in name order, all with the same time.
  const prefix = layout === "submission" ? [SUBMISSION_FOLDER] : [];
  const files = (await listSubmissionFiles(root)).files
    .sort((a, b) => a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);
  const entries: PackEntry[] = [];
  const skipped: string[] = [];
  const junk: string[] = [];
  const seenDirs = new Set<string>();
  const time = zipEntryDate(opts.mtime ?? outputDate());
  const addDirs = (relPath: string) => {
    const parts = [...prefix, ...relPath.split("/")];
    for (let i = 1; i < parts.length; i++) {
      const name = parts.slice(0, i).join("/") + "/";
      if (seenDirs.has(name)) continue;
      seenDirs.add(name);
      entries.push({ name, size: 0, mtime: time, dir: true });
    }
  };
  const archiveName = (rel: string) => [...prefix, rel].join("/");
  const readmeData = enc.encode(readme.text);
  addDirs("readme.txt");
  entries.push({
    name: archiveName("readme.txt"),
    data: readmeData,
    size: readmeData.length,
    mtime: time,
    dir: false,
  });
  let nfiles = 0, dataBytes = readmeData.length;
  for (const f of files) {
    if (isReadme(f.rel)) continue;
    const p = parseSubmissionPath(f.rel, year);
    if (!p.ok && p.kind === "junk") {
      junk.push(f.rel);
      continue;
    }
    if (p.ok) {
      const i = p.info;
      const inScope = (!opts.task || opts.task === "both" || opts.task === i.task) &&
        (!opts.coil || opts.coil === "both" ||
          (opts.coil === "multi") === (i.coil === "MultiCoil")) &&
        (!opts.acc || opts.acc.includes(i.acc));
      if (!inScope) {
        skipped.push(f.rel);
        continue;
      }
    }
    addDirs(f.rel);
    entries.push({
      name: archiveName(f.rel),
      path: f.path,
      size: f.size,
      mtime: time,
      dir: false,
    });
    nfiles++;
    dataBytes += f.size;
  }
  if (nfiles === 0) {
    throw new PackError("nothing to pack: no files in the selection", {
      file: root,
      hint: "check the folder and the --task/--coil/--acc filters",
    });
  }
  const archiveBytes = zipArchiveSize(entries, level);
  checkZipLimits(entries.length, archiveBytes, out);
  return {
    root,
    out,
    level,
    layout,
    entries,
    files: nfiles,
    dataBytes,
    archiveBytes,
    readme,
    skipped,
    junk,
    validation,
    warnings,
  };
}

async function writeAll(f: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await f.write(bytes.subarray(off));
}

/** Unix permissions in the central directory, so unzip restores sensible modes. */
const ATTR_FILE = 0x81a40000; // regular file, 0644
const ATTR_DIR = 0x41ed0010; // directory, 0755, plus the MS-DOS directory bit

/**
 * Packs a submission folder into a zip (see the module docs): validates it first (structural
 * checks, or full ones with `input`), plans the entries and checks the zip limits before
 * writing anything, then streams the archive to a temporary file that is renamed to `out`.
 *
 * @param dir the Submission folder, or the folder holding it
 * @throws {PackError} see {@link planPack}; I/O failures (the temporary file is removed)
 */
export async function packSubmission(dir: string, opts: PackOptions = {}): Promise<PackResult> {
  const plan = await planPack(dir, opts);
  const t0 = performance.now();
  const chunkSize = opts.chunkSize ?? 4 * 1024 * 1024;
  await Deno.mkdir(dirname(resolve(plan.out)), { recursive: true });
  let zipBytes = 0;
  try {
    await writeAtomic(plan.out, async (tmp) => {
      let fh: Deno.FsFile | null = null;
      let zip: Zip | null = null;
      try {
        fh = await Deno.open(tmp, { write: true, createNew: true });
        const file = fh;
        let chain: Promise<void> = Promise.resolve();
        let zipErr: unknown = null;
        zip = new Zip((err, chunk) => {
          if (err) {
            zipErr ??= err;
            return;
          }
          zipBytes += chunk.length;
          chain = chain.then(() => writeAll(file, chunk));
        });
        const flush = async () => {
          await chain;
          if (zipErr) throw zipErr;
        };
        let done = 0;
        for (const e of plan.entries) {
          const entry = plan.level > 0
            ? new ZipDeflate(e.name, { level: plan.level as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 })
            : new ZipPassThrough(e.name);
          entry.mtime = e.mtime;
          entry.os = 3; // Unix
          entry.attrs = e.dir ? ATTR_DIR : ATTR_FILE;
          zip.add(entry);
          if (e.data) {
            entry.push(e.data, true);
            await flush();
            done += e.data.length;
          } else if (e.path) {
            const src = await Deno.open(e.path, { read: true });
            try {
              let got = 0;
              while (true) {
                const buf = new Uint8Array(chunkSize);
                const n = await src.read(buf);
                if (n === null) break;
                got += n;
                if (got > e.size) break;
                entry.push(buf.subarray(0, n), false);
                await flush();
                done += n;
                opts.onProgress?.(done, plan.dataBytes);
              }
              if (got !== e.size) {
                throw new PackError(
                  `the file changed size while packing (${e.size} -> ${got} bytes)`,
                  {
                    file: e.path,
                    hint: "wait until the reconstruction has finished writing, then pack again",
                  },
                );
              }
            } finally {
              src.close();
            }
            entry.push(new Uint8Array(0), true);
            await flush();
          } else {
            entry.push(new Uint8Array(0), true);
            await flush();
          }
        }
        zip.end();
        await flush();
        file.close();
        fh = null;
      } catch (e) {
        try {
          zip?.terminate();
        } catch { /* ignore */ }
        try {
          fh?.close();
        } catch { /* ignore */ }
        throw e;
      }
    }, { sync: true });
  } catch (e) {
    if (e instanceof CmrxError) throw e;
    throw new PackError(`packing failed: ${errorMessage(e)}`, {
      file: plan.out,
      hint: "check free disk space and permissions; nothing was written",
      cause: e,
    });
  }
  return { ...plan, zipBytes, seconds: (performance.now() - t0) / 1000 };
}
