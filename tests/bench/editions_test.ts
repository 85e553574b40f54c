/**
 * `deno task bench editions` (bench/editions.ts) on its smallest setting: zero-filled, one
 * patient, every edition, the datasets synthesized into a temporary `--cache` folder. Checks
 * the exit code, that each edition's status row is green (written, validated, packed in the
 * edition's archive layout, scored with its rules), that the other three tables have a row
 * per edition, and that the bench left no temporary folder of its own behind.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function benchTemps(): Promise<string[]> {
  const out: string[] = [];
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  for await (const e of Deno.readDir(tmp)) {
    if (e.name.startsWith("cmrxkit-editions-bench-")) out.push(e.name);
  }
  return out;
}

Deno.test("bench editions --methods zerofill --patients 1: every edition's row is green", async () => {
  const cache = await Deno.makeTempDir({ prefix: "cmrxkit-editions-test-" });
  try {
    const before = new Set(await benchTemps());
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/main.ts`,
        "editions",
        "--methods",
        "zerofill",
        "--patients",
        "1",
        "--cache",
        cache,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    const out = new TextDecoder().decode(res.stdout);
    const err = new TextDecoder().decode(res.stderr);
    assert.equal(res.code, 0, `exit ${res.code}\n${out}\n${err}`);
    const lines = out.split("\n");
    const archive: Record<number, string> = {
      2023: "Submission/MultiCoil/",
      2024: "Cine/",
      2025: "Submission/TaskR1/",
    };
    for (const year of [2023, 2024, 2025]) {
      // 1. status: written, validate ok, pack ok in the edition's layout, score ok, green
      const status = lines.find((l) =>
        l.startsWith(`| ${year} | zerofill | `) && /\| (green|RED) \|$/.test(l)
      );
      assert.ok(status, `no status row for ${year}:\n${out}`);
      const cells = status.split("|").map((c) => c.trim());
      // ["", edition, method, written / failed, validate, pack, score, status, ""]
      assert.match(cells[3], /^[1-9]\d* \/ 0$/, status);
      assert.equal(cells[4], "ok", status);
      assert.match(cells[5], /^ok: [1-9]\d* file\(s\); /, status);
      assert.ok(cells[5].includes(archive[year]), `${year} archive: ${cells[5]}`);
      assert.match(cells[6], /^ok: [1-9]\d* file\(s\) scored$/, status);
      assert.equal(cells[7], "green", status);
      // 3. main keys under the official names; 4. a budget verdict marked not reliable
      const keys = lines.filter((l) =>
        l.startsWith(`| ${year} | zerofill | `) && l.includes(" = ")
      );
      assert.ok(keys.length >= 1, `no main keys for ${year}`);
      const name = year === 2023 ? "Cine_SSIM" : year === 2024 ? "All_adj.SSIM" : "Mean_of_all_";
      assert.ok(keys.every((l) => l.includes(name)), keys.join("\n"));
      const budget = lines.find((l) =>
        l.startsWith(`| ${year} | zerofill | `) && l.includes("(not reliable)")
      );
      assert.ok(budget, `no budget verdict for ${year}`);
    }
    // 2. SSIM / PSNR per pattern and R: 2023 uniform masks, 2024 both tasks' patterns
    assert.ok(lines.some((l) => l.startsWith("| Uniform R4 | ")), out);
    assert.ok(lines.some((l) => /^\| kt(Uniform|Gaussian|Radial) R\d+ \| 0\.\d{4} \/ /.test(l)));
    assert.ok(out.includes("all status rows green"));
    // the synthetic datasets are kept in the cache; the bench's temporary folder is gone
    for (const year of [2023, 2024, 2025]) {
      assert.ok((await Deno.stat(`${cache}/editions-${year}/GroundTruth`)).isDirectory);
    }
    const left = (await benchTemps()).filter((n) => !before.has(n));
    assert.deepEqual(left, []);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
