import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import { pack as packCommand } from "../../cli/pack.ts";
import {
  checkZipLimits,
  PackError,
  packSubmission,
  planPack,
  ZIP_MAX_ENTRIES,
  zipArchiveSize,
} from "../../src/challenge/pack.ts";
import { writeImg4Ranking } from "../../src/challenge/submission.ts";
import { runManifest } from "./run_manifest_fixture.ts";
import { correctSubmission, getDataset, image, removeDataset } from "./submission_fixture.ts";

const SAX = "MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat";

async function ls(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

async function hasTool(name: string): Promise<boolean> {
  try {
    return (await new Deno.Command(name, { args: ["-v"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}
const HAS_UNZIP = await hasTool("unzip");

async function run(cmd: string, ...args: string[]) {
  const r = await new Deno.Command(cmd, { args }).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

Deno.test("pack: the zip holds Submission/... and readme.txt, byte for byte (fflate read-back)", async () => {
  const { out, root, input } = await correctSubmission("cmrx-pack-out-");
  const r = await packSubmission(out, { team: "Heart Hackers", input });
  assert.equal(r.out, `${out}/Submission.zip`);
  assert.equal(r.validation?.ok, true);
  assert.equal(r.files, 4);
  const bytes = await Deno.readFile(r.out);
  assert.equal(bytes.length, r.zipBytes);
  // Store: the planned size is exact.
  assert.equal(bytes.length, r.archiveBytes);
  const files = unzipSync(bytes);
  const names = Object.keys(files).sort();
  const { expected } = await getDataset();
  const fileNames = names.filter((n) => !n.endsWith("/"));
  assert.deepEqual(
    fileNames,
    ["Submission/readme.txt", ...expected.map((e) => `Submission/${e.relPath}`)].sort(),
  );
  assert.ok(names.includes("Submission/"));
  assert.ok(names.includes("Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/"));
  assert.ok(names.every((n) => n.startsWith("Submission/")));
  assert.equal(
    new TextDecoder().decode(files["Submission/readme.txt"]),
    "Team name: Heart Hackers\n",
  );
  for (const e of expected) {
    assert.deepEqual(files[`Submission/${e.relPath}`], await Deno.readFile(`${root}/${e.relPath}`));
  }
  // Nothing left beside the zip but the Submission folder.
  assert.deepEqual(await ls(out), ["Submission", "Submission.zip"]);
  await Deno.remove(out, { recursive: true });
});

Deno.test({
  name: "pack: unzip -l lists the layout and unzip -t passes (store and deflate)",
  ignore: !HAS_UNZIP,
  async fn() {
    const { out, root } = await correctSubmission("cmrx-pack-out-");
    await Deno.writeTextFile(`${root}/readme.txt`, "Team Existing\n");
    for (const level of [0, 6]) {
      const zip = `${out}/level${level}.zip`;
      const r = await packSubmission(root, { out: zip, level });
      assert.equal(r.readme.source, "file");
      const list = await run("unzip", "-l", zip);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /Submission\/readme\.txt/);
      assert.match(list.stdout, new RegExp(`Submission/${SAX}`));
      assert.match(
        list.stdout,
        /Submission\/MultiCoil\/Mapping\/ValidationSet\/AccFactor04\/P001\/T2map\.mat/,
      );
      const test = await run("unzip", "-t", zip);
      assert.equal(test.code, 0, test.stdout + test.stderr);
      assert.match(test.stdout, /No errors detected/);
      const files = unzipSync(await Deno.readFile(zip));
      assert.equal(new TextDecoder().decode(files["Submission/readme.txt"]), "Team Existing\n");
      if (level > 0) assert.ok(r.zipBytes <= r.archiveBytes, "deflate bound holds");
      // Extract and compare a file.
      const x = `${out}/x${level}`;
      const ex = await run("unzip", "-q", zip, "-d", x);
      assert.equal(ex.code, 0, ex.stderr);
      assert.deepEqual(
        await Deno.readFile(`${x}/Submission/${SAX}`),
        await Deno.readFile(`${root}/${SAX}`),
      );
    }
    await Deno.remove(out, { recursive: true });
  },
});

Deno.test("pack: refuses without a team name or readme.txt, and writes nothing", async () => {
  const { out } = await correctSubmission("cmrx-pack-out-");
  await assert.rejects(() => packSubmission(out), (e: unknown) => {
    assert.ok(e instanceof PackError);
    assert.match(e.message, /no team name/);
    assert.match(e.message, /--team NAME/);
    return true;
  });
  await Deno.writeTextFile(`${out}/readme.txt`, "  \n");
  await assert.rejects(() => packSubmission(out), /readme\.txt is empty/);
  await assert.rejects(() => packSubmission(out, { team: " " }), /invalid team name/);
  await assert.rejects(() => packSubmission(out, { team: "a\nb" }), /invalid team name/);
  assert.deepEqual(await ls(out), ["Submission", "readme.txt"]);
  // A readme.txt in DIR (beside Submission/) is used.
  await Deno.writeTextFile(`${out}/readme.txt`, "Team Beside\n");
  const r = await packSubmission(out);
  assert.equal(r.readme.path, `${out}/readme.txt`);
  const files = unzipSync(await Deno.readFile(r.out));
  assert.equal(new TextDecoder().decode(files["Submission/readme.txt"]), "Team Beside\n");
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: zip limits are checked with exact sizes before writing", () => {
  assert.doesNotThrow(() => checkZipLimits(ZIP_MAX_ENTRIES, 1000));
  assert.throws(() => checkZipLimits(ZIP_MAX_ENTRIES + 1, 1000), (e: unknown) => {
    assert.ok(e instanceof PackError);
    assert.match(e.message, /65536 entries/);
    assert.match(e.message, /at most 65535/);
    assert.match(e.message, /--task cine/);
    assert.match(e.message, /zip -r/);
    return true;
  });
  assert.doesNotThrow(() => checkZipLimits(10, 4 * 2 ** 30 - 17 * 2 ** 20));
  assert.throws(() => checkZipLimits(10, 4 * 2 ** 30 - 2 ** 20), /4\.00 GiB.*below 4 GiB/);
  assert.throws(() => checkZipLimits(10, 5 * 2 ** 30), /5368709120 bytes \(5\.00 GiB\)/);
  // Sizes: local header 30 + name + data + descriptor 16; central 46 + name; end 22.
  assert.equal(zipArchiveSize([]), 22);
  assert.equal(zipArchiveSize([{ name: "a/", size: 0 }]), 22 + 30 + 2 + 16 + 46 + 2);
  assert.equal(zipArchiveSize([{ name: "ab", size: 100 }]), 22 + 30 + 2 + 100 + 16 + 46 + 2);
  assert.ok(
    zipArchiveSize([{ name: "ab", size: 1e6 }], 6) > zipArchiveSize([{ name: "ab", size: 1e6 }]),
  );
  // 65,000 files of 70 KB each: too big, not too many.
  const many = Array.from(
    { length: 65000 },
    (_, i) => ({ name: `Submission/f${i}.mat`, size: 70000 }),
  );
  assert.throws(() => checkZipLimits(many.length, zipArchiveSize(many)), /GiB/);
});

Deno.test("pack: a failure mid-way leaves no partial zip and keeps an existing one", async () => {
  const { out } = await correctSubmission("cmrx-pack-out-");
  const zip = `${out}/Submission.zip`;
  await Deno.writeTextFile(zip, "previous archive");
  let calls = 0;
  await assert.rejects(
    () =>
      packSubmission(out, {
        team: "T",
        chunkSize: 1024,
        onProgress: () => {
          if (++calls === 3) throw new Error("disk full (simulated)");
        },
      }),
    (e: unknown) => {
      assert.ok(e instanceof PackError);
      assert.match(e.message, /packing failed: disk full \(simulated\)/);
      return true;
    },
  );
  assert.equal(calls, 3);
  assert.equal(await Deno.readTextFile(zip), "previous archive");
  assert.deepEqual(await ls(out), ["Submission", "Submission.zip"]);
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: an invalid submission is refused unless forced; junk files are left out", async () => {
  const { out, root } = await correctSubmission("cmrx-pack-out-");
  await Deno.writeTextFile(`${root}/MultiCoil/.DS_Store`, "x");
  await Deno.writeTextFile(`${root}/${SAX}.tmp-00aa11bb22cc`, "x");
  // Junk alone does not stop packing, and is not packed.
  const r = await packSubmission(out, { team: "T" });
  assert.deepEqual(r.junk.sort(), ["MultiCoil/.DS_Store", `${SAX}.tmp-00aa11bb22cc`].sort());
  const names = Object.keys(unzipSync(await Deno.readFile(r.out)));
  assert.ok(!names.some((n) => n.includes(".DS_Store") || n.includes(".tmp-")));
  await Deno.remove(r.out);
  // A transposed file stops it.
  await writeImg4Ranking(root, SAX, image([3, 2, 36, 32]), [3, 2, 36, 32]);
  await assert.rejects(() => packSubmission(out, { team: "T" }), (e: unknown) => {
    assert.ok(e instanceof PackError);
    assert.match(e.message, /not valid.*transposed|not valid.*reverse/);
    assert.match(e.message, /deno task validate/);
    assert.match(e.message, /--force/);
    return true;
  });
  assert.deepEqual(await ls(out), ["Submission"]);
  const forced = await packSubmission(out, { team: "T", force: true });
  assert.equal(forced.validation?.ok, false);
  assert.equal(forced.files, 4);
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: --task packs one queue; the output may not be inside the folder", async () => {
  const { out, root } = await correctSubmission("cmrx-pack-out-");
  const r = await packSubmission(out, { team: "T", task: "mapping", out: `${out}/mapping.zip` });
  assert.equal(r.files, 2);
  assert.deepEqual(r.skipped.length, 2);
  const files = Object.keys(unzipSync(await Deno.readFile(r.out))).filter((n) =>
    n.endsWith(".mat")
  );
  assert.deepEqual(files.sort(), [
    "Submission/MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T1map.mat",
    "Submission/MultiCoil/Mapping/ValidationSet/AccFactor04/P001/T2map.mat",
  ]);
  await assert.rejects(
    () => planPack(out, { team: "T", out: `${root}/MultiCoil/x.zip` }),
    /inside the folder it packs/,
  );
  await assert.rejects(() => planPack(out, { team: "T", level: 12 }), /0 to 9/);
  await assert.rejects(() => planPack(`${out}/nowhere`, { team: "T" }), /no such folder/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack command: writes the zip, --dry-run writes nothing, invalid input exits 1", async () => {
  const { out, root, input } = await correctSubmission("cmrx-pack-out-");
  const log = console.log, error = console.error;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    assert.equal(await packCommand.run([out, "--team", "T", "--dry-run"]), 0);
    assert.deepEqual(await ls(out), ["Submission"]);
    assert.match(lines.join("\n"), /dry run: nothing written/);
    assert.equal(await packCommand.run([out, "--team", "T", "--input", input, "--level", "1"]), 0);
    assert.deepEqual(await ls(out), ["Submission", "Submission.zip"]);
    assert.match(lines.join("\n"), /wrote .*Submission\.zip/);
    await Deno.remove(`${root}/${SAX}`);
    assert.equal(
      await packCommand.run([out, "--team", "T", "--input", input, "--out", `${out}/b.zip`]),
      1,
    );
    assert.match(lines.join("\n"), /missing/);
    assert.deepEqual(await ls(out), ["Submission", "Submission.zip"]);
  } finally {
    console.log = log;
    console.error = error;
  }
  await assert.rejects(() => packCommand.run([out, "--level", "10"]), /0-9/);
  await assert.rejects(() => packCommand.run([]), /exactly one submission folder/);
  await Deno.remove(out, { recursive: true });
});

/** Name and entry time (`YYYY-MM-DD hh:mm:ss`, as stored) of every central directory record. */
function entryTimes(zip: Uint8Array): { name: string; time: string }[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.length - 22;
  assert.equal(v.getUint32(end, true), 0x06054b50, "end of central directory record");
  const out: { name: string; time: string }[] = [];
  let at = v.getUint32(end + 16, true);
  for (let i = 0; i < v.getUint16(end + 10, true); i++) {
    assert.equal(v.getUint32(at, true), 0x02014b50);
    const t = v.getUint16(at + 12, true), d = v.getUint16(at + 14, true);
    const n = v.getUint16(at + 28, true);
    const p2 = (x: number) => String(x).padStart(2, "0");
    out.push({
      name: new TextDecoder().decode(zip.subarray(at + 46, at + 46 + n)),
      time: `${(d >> 9) + 1980}-${p2((d >> 5) & 15)}-${p2(d & 31)} ` +
        `${p2(t >> 11)}:${p2((t >> 5) & 63)}:${p2((t & 31) * 2)}`,
    });
    at += 46 + n + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return out;
}

async function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T>) {
  const old = Deno.env.get(name);
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
  try {
    return await fn();
  } finally {
    if (old === undefined) Deno.env.delete(name);
    else Deno.env.set(name, old);
  }
}

Deno.test("pack: the same files packed twice give the same bytes, whatever their times", async () => {
  const { out, root } = await correctSubmission("cmrx-pack-out-");
  await withEnv("SOURCE_DATE_EPOCH", undefined, async () => {
    const a = await packSubmission(out, { team: "T", out: `${out}/a.zip` });
    await Deno.utime(`${root}/${SAX}`, new Date("2031-05-06T07:08:09Z"), new Date());
    await Deno.utime(`${root}/MultiCoil`, new Date(), new Date("2001-02-03T04:05:06Z"));
    await new Promise((r) => setTimeout(r, 2100)); // the readme's time would move on too
    const b = await packSubmission(out, { team: "T", out: `${out}/b.zip` });
    const bytes = await Deno.readFile(a.out);
    assert.deepEqual(await Deno.readFile(b.out), bytes);
    const times = entryTimes(bytes);
    assert.ok(times.every((e) => e.time === "1980-01-01 00:00:00"), JSON.stringify(times));
    // Entries in name order after the readme (folders before what they hold).
    const names = times.map((e) => e.name).filter((n) => n.endsWith(".mat"));
    assert.deepEqual(names, [...names].sort());
  });
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: SOURCE_DATE_EPOCH sets every entry's time (UTC)", async () => {
  const { out } = await correctSubmission("cmrx-pack-out-");
  const zip = await withEnv("SOURCE_DATE_EPOCH", "1700000000", async () => {
    const r = await packSubmission(out, { team: "T" });
    return await Deno.readFile(r.out);
  });
  const times = entryTimes(zip);
  assert.ok(times.length > 5);
  // 1700000000 = 2023-11-14 22:13:20 UTC.
  assert.ok(times.every((e) => e.time === "2023-11-14 22:13:20"), JSON.stringify(times));
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: readme.txt carries the team name and the contact e-mail", async () => {
  const { out, root } = await correctSubmission("cmrx-pack-out-");
  const readme = async (zip: string) =>
    new TextDecoder().decode(unzipSync(await Deno.readFile(zip))["Submission/readme.txt"]);
  const r = await packSubmission(out, { team: "Heart Hackers", email: " hh@example.org " });
  assert.equal(await readme(r.out), "Team name: Heart Hackers\nContact e-mail: hh@example.org\n");
  assert.equal(r.readme.email, "hh@example.org");
  // Without --email the plan says the readme has none (the command warns).
  assert.equal((await planPack(out, { team: "T" })).readme.email, undefined);
  // A readme.txt of the user's: the e-mail is added unless it is already there.
  await Deno.writeTextFile(`${root}/readme.txt`, "Team Existing");
  const f = await packSubmission(out, { email: "x@example.org" });
  assert.equal(await readme(f.out), "Team Existing\nContact e-mail: x@example.org\n");
  await Deno.writeTextFile(`${root}/readme.txt`, "Team Existing, <x@example.org>\n");
  assert.equal((await planPack(out)).readme.email, "x@example.org");
  assert.equal(
    (await planPack(out, { email: "x@example.org" })).readme.text,
    "Team Existing, <x@example.org>\n",
  );
  for (const bad of ["", "no-at-sign", "a@b", "a b@example.org", "a@example.org\nx"]) {
    await assert.rejects(() => planPack(out, { team: "T", email: bad }), (e: unknown) => {
      assert.ok(e instanceof PackError);
      assert.match(e.message, /invalid contact e-mail/);
      assert.match(e.message, /--email/);
      return true;
    });
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: layout root puts MultiCoil/ and readme.txt at the archive root", async () => {
  const { out, root } = await correctSubmission("cmrx-pack-out-");
  const r = await packSubmission(out, { team: "T", email: "t@example.org", layout: "root" });
  assert.equal(r.layout, "root");
  const bytes = await Deno.readFile(r.out);
  assert.equal(bytes.length, r.archiveBytes);
  const files = unzipSync(bytes);
  const names = Object.keys(files).sort();
  assert.ok(names.every((n) => n === "readme.txt" || n.startsWith("MultiCoil/")), names.join());
  assert.ok(names.includes("MultiCoil/"));
  assert.deepEqual(files[SAX], await Deno.readFile(`${root}/${SAX}`));
  assert.match(new TextDecoder().decode(files["readme.txt"]), /^Team name: T\n/);
  await assert.rejects(
    () => planPack(out, { team: "T", layout: "flat" as "root" }),
    /unknown archive layout 'flat'/,
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: a broken link, device or FIFO where a submission file belongs stops packing", async () => {
  const { out, root } = await correctSubmission("cmrx-pack-out-");
  const hasMkfifo = await new Deno.Command("mkfifo", { args: ["--version"], stdout: "null" })
    .output().then((o) => o.success, () => false);
  const kinds: [string, () => Promise<unknown>][] = [
    ["broken symbolic link", () => Deno.symlink(`${out}/nowhere.mat`, `${root}/${SAX}`)],
    ["not a regular file", () => Deno.symlink("/dev/zero", `${root}/${SAX}`)],
  ];
  if (hasMkfifo) kinds.push(["not a regular file", () => run("mkfifo", `${root}/${SAX}`)]);
  const original = await Deno.readFile(`${root}/${SAX}`);
  for (const [message, make] of kinds) {
    await Deno.remove(`${root}/${SAX}`, { recursive: true });
    await make();
    await assert.rejects(() => packSubmission(out, { team: "T" }), (e: unknown) => {
      assert.ok(e instanceof PackError);
      assert.match(e.message, new RegExp(`not valid.*${SAX}: ${message}`));
      assert.match(e.message, /deno task validate/);
      return true;
    });
    assert.deepEqual(await ls(out), ["Submission"]);
  }
  await Deno.remove(`${root}/${SAX}`, { recursive: true });
  await Deno.writeFile(`${root}/${SAX}`, original);
  // A broken link with a junk name is only left out.
  await Deno.symlink(`${out}/nowhere`, `${root}/MultiCoil/.DS_Store`);
  const r = await packSubmission(out, { team: "T" });
  assert.equal(r.files, 4);
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack command: task, split and edition come from the run manifest", async () => {
  const { out, root, input } = await correctSubmission("cmrx-pack-out-");
  const zipNames = async (zip: string) => Object.keys(unzipSync(await Deno.readFile(zip)));
  const log = console.log, error = console.error;
  const lines: string[] = [];
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    // A run of submit --task cine (the Mapping files are someone else's, not this run's).
    await Deno.writeTextFile(
      `${out}/cmrxkit-run.json`,
      JSON.stringify(runManifest({
        model: "zf",
        input: { path: input, files: 2, fingerprint: "x" },
        created: "2026-01-01T00:00:00Z",
        updated: "2026-01-01T00:00:00Z",
      })),
    );
    // Given the Submission folder itself: the manifest beside it is found.
    assert.equal(await packCommand.run([root, "--team", "T", "--input", input]), 0);
    const text = lines.join("\n");
    assert.match(text, /task cine, split validation, 2023 rules \(from the run manifest/);
    assert.match(text, /warning: readme\.txt has no contact e-mail.*--email ADDR/);
    const names = await zipNames(`${out}/Submission.zip`);
    assert.ok(names.some((n) => n.endsWith("cine_sax.mat")));
    assert.ok(!names.some((n) => n.includes("Mapping")));
    // Flags override the manifest; --layout official is the root layout.
    lines.length = 0;
    const args = ["--team", "T", "--email", "t@example.org", "--out", `${out}/o.zip`];
    assert.equal(
      await packCommand.run([out, ...args, "--task", "both", "--layout", "official"]),
      0,
    );
    assert.doesNotMatch(lines.join("\n"), /no contact e-mail/);
    const all = await zipNames(`${out}/o.zip`);
    assert.ok(all.includes("readme.txt") && all.includes("MultiCoil/Mapping/"), all.join());
  } finally {
    console.log = log;
    console.error = error;
  }
  await assert.rejects(() => packCommand.run([out, "--layout", "flat"]), /--layout must be/);
  await Deno.remove(out, { recursive: true });
});

Deno.test("pack: cleanup shared dataset", async () => {
  await removeDataset();
});
