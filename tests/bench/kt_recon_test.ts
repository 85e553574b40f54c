/**
 * `deno task bench kt` (bench/kt_recon.ts) at a tiny size: the masks come from `ktMask` with
 * the edition's ACS, GRAPPA on ktRadial is listed as refused (no crash), and the summary
 * gives L+S's PSNR gain over zero-filled and SENSE per mask and R.
 *
 * @module
 */

import assert from "node:assert/strict";
import { effectiveAcceleration, ktMask } from "../../src/kspace/masks_kt.ts";

const BENCH = new URL("../../bench/kt_recon.ts", import.meta.url).pathname;
const TINY = ["--size", "48x40", "--coils", "4", "--frames", "4", "--acs", "8"];

async function bench(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH, ...TINY, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** The cells of the table rows starting with `| R | mask |` values. */
function rows(out: string, cols: number): string[][] {
  return out.split("\n").filter((l) => /^\| \d/.test(l)).map((l) =>
    l.split("|").slice(1, -1).map((c) => c.trim())
  ).filter((c) => c.length === cols);
}

Deno.test("bench kt: every default mask, ktMask's effective R, GRAPPA refused on ktRadial", async () => {
  const { code, out, err } = await bench(["--accs", "4,8"]);
  assert.equal(code, 0, err);
  assert.match(out, /k-t masks \(ktMask\): 2024 ACS 16/);
  const table = rows(out, 7);
  assert.equal(table.length, 2 * 4 * 4);
  for (const r of [4, 8]) {
    for (const m of ["static 2023", "ktUniform", "ktGaussian", "ktRadial"]) {
      const mine = table.filter((c) => c[0] === String(r) && c[1] === m);
      assert.deepEqual(mine.map((c) => c[3]), ["zerofill", "sense", "grappa", "lps"]);
      if (m !== "static 2023") {
        const mask = ktMask({
          pattern: m as "ktUniform",
          nx: 48,
          ny: 40,
          nt: 4,
          acc: r,
          acs: 16,
          seed: 7,
        });
        assert.equal(mine[0][2], effectiveAcceleration(mask, 48, 40, 4).toFixed(2), `${m} R ${r}`);
      }
      const grappa = mine[2];
      if (m === "ktRadial") assert.deepEqual(grappa.slice(4, 6), ["refused", "refused"]);
      else assert.ok(Number.isFinite(Number(grappa[5])), `grappa on ${m}: ${grappa}`);
    }
  }
  assert.match(
    out,
    /refused: grappa on ktRadial: GRAPPA: the mask is not a Cartesian line pattern/,
  );
  const gains = rows(out, 5);
  assert.equal(gains.length, 2 * 4);
  for (const g of gains) {
    const lps = table.find((c) => c[0] === g[0] && c[1] === g[1] && c[3] === "lps")!;
    const base = (name: string) =>
      Number(table.find((c) => c[0] === g[0] && c[1] === g[1] && c[3] === name)![5]);
    // the gain is of the unrounded PSNRs: within 0.01 dB of the difference of the table's
    for (const [cell, name] of [[g[3], "zerofill"], [g[4], "sense"]]) {
      assert.match(cell, /^-?\d+\.\d\d dB$/);
      const d = Number(lps[5]) - base(name);
      assert.ok(Math.abs(parseFloat(cell) - d) <= 0.0101, `${g}: ${name} ${d}`);
    }
  }
});

Deno.test("bench kt: --masks, --edition 2025 (ACS 20) and an unknown mask", async () => {
  const { code, out, err } = await bench([
    "--accs",
    "8",
    "--masks",
    "ktGaussian",
    "--edition",
    "2025",
    "--methods",
    "zerofill,lps",
  ]);
  assert.equal(code, 0, err);
  assert.match(out, /k-t masks \(ktMask\): 2025 ACS 20/);
  const table = rows(out, 7);
  assert.deepEqual(table.map((c) => [c[1], c[3]]), [["ktGaussian", "zerofill"], [
    "ktGaussian",
    "lps",
  ]]);
  const mask = ktMask({ pattern: "ktGaussian", nx: 48, ny: 40, nt: 4, acc: 8, acs: 20, seed: 7 });
  assert.equal(table[0][2], effectiveAcceleration(mask, 48, 40, 4).toFixed(2));
  assert.deepEqual(rows(out, 5).map((c) => c[4]), ["n/a"]);

  const bad = await bench(["--masks", "ktSpiral"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown mask "ktSpiral"/);
  const year = await bench(["--edition", "2023"]);
  assert.equal(year.code, 2);
  assert.match(year.err, /--edition 2023: use 2024 or 2025/);
});
