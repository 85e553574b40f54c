import assert from "node:assert/strict";
import {
  createRunManifest,
  inputIdentity,
  manifestDifferences,
  manifestText,
  mergeManifests,
  readRunManifest,
  reconcileRunManifest,
  RUN_MANIFEST,
  type RunManifest,
  writeRunManifest,
} from "../../src/pipeline/run_manifest.ts";
import { parseTempName, tempPathFor } from "../../src/tempname.ts";
import { runManifest } from "../challenge/run_manifest_fixture.ts";

const dir = await Deno.makeTempDir({ prefix: "cmrxkit-manifest-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

const m = (extra: Partial<RunManifest> = {}): RunManifest =>
  runManifest({
    acc: [4],
    model: "auto",
    models: [{ name: "crnn-mri", bytes: 100 }],
    input: { path: "/data", files: 3, fingerprint: "abc" },
    options: { maps: false },
    ...extra,
  });

Deno.test("manifestDifferences names each incompatible field, old vs new", () => {
  assert.deepEqual(manifestDifferences(m(), m()), []);
  assert.deepEqual(manifestDifferences(m(), m({ model: "lps", models: undefined })), [
    'model: "auto" vs "lps"',
    'models: "crnn-mri:100" vs (none)',
  ]);
  assert.deepEqual(manifestDifferences(m(), m({ models: [{ name: "crnn-mri", bytes: 101 }] })), [
    'models: "crnn-mri:100" vs "crnn-mri:101"',
  ]);
  assert.deepEqual(manifestDifferences(m(), m({ split: "test" })), [
    'split: "validation" vs "test"',
  ]);
  const input = manifestDifferences(m(), m({ input: { path: "/d2", files: 4, fingerprint: "x" } }));
  assert.equal(input.length, 1);
  assert.match(input[0], /input: 3 file\(s\) at \/data vs 4 file\(s\) at \/d2/);
  // Filters, the input's path and maps are not a mismatch.
  assert.deepEqual(
    manifestDifferences(
      m(),
      m({
        task: "mapping",
        acc: [8],
        coil: "multi",
        options: { maps: true },
        input: { path: "/input", files: 3, fingerprint: "abc" },
      }),
    ),
    [],
  );
  assert.deepEqual(manifestDifferences(m(), m({ options: { maps: false, other: 1 } })), [
    "option other: (none) vs 1",
  ]);
});

Deno.test("mergeManifests records the union of the cases asked for", () => {
  const u = mergeManifests(
    m({ task: "cine", acc: [8, 4], coil: "multi" }),
    m({
      task: "mapping",
      acc: [10, 4],
      coil: "single",
    }),
  );
  assert.equal(u.task, "both");
  assert.deepEqual(u.acc, [4, 8, 10]);
  assert.equal(u.coil, "both");
  assert.equal(mergeManifests(m({ acc: null }), m({ acc: [4] })).acc, null);
  assert.equal(mergeManifests(m({ coil: null }), m({ coil: "multi" })).coil, null);
  assert.equal(mergeManifests(m(), m()).task, "cine");
});

Deno.test("manifest files: deterministic bytes, created once by concurrent runs, read back", async () => {
  assert.equal(manifestText(m()), manifestText({ ...m(), options: { maps: false } }));
  assert.ok(!manifestText(m()).includes("created"));
  const d = `${dir}/concurrent`;
  await Deno.mkdir(d);
  const made = await Promise.all(
    Array.from({ length: 4 }, () => createRunManifest(d, m())),
  );
  assert.equal(made.filter((x) => x).length, 1);
  assert.deepEqual(await readRunManifest(d), m());
  await writeRunManifest(d, m({ task: "both" }));
  assert.equal((await readRunManifest(d))!.task, "both");
  assert.deepEqual([...Deno.readDirSync(d)].map((e) => e.name), [RUN_MANIFEST], "no temp left");
  await Deno.writeTextFile(`${d}/${RUN_MANIFEST}`, "{ not json");
  await assert.rejects(() => readRunManifest(d), /cmrxkit-run.json: is not valid JSON/);
  // --force replaces a damaged manifest.
  assert.deepEqual(await reconcileRunManifest(d, m(), true), m());
  assert.deepEqual(await readRunManifest(d), m());
});

Deno.test("inputIdentity: absolute path, file count, fingerprint of names, sizes and times", async () => {
  const d = `${dir}/input`;
  await Deno.mkdir(`${d}/a`, { recursive: true });
  await Deno.writeTextFile(`${d}/a/x.mat`, "1234");
  await Deno.writeTextFile(`${d}/a/y.mat`, "12");
  const one = await inputIdentity(d, [`${d}/a/x.mat`, `${d}/a/y.mat`]);
  assert.equal(one.path, d);
  assert.equal(one.files, 2);
  const same = await inputIdentity(`${d}/./a/..`, [`${d}/a/y.mat`, `${d}/a/x.mat`]);
  assert.equal(same.fingerprint, one.fingerprint);
  await Deno.writeTextFile(`${d}/a/y.mat`, "123");
  assert.notEqual(
    (await inputIdentity(d, [`${d}/a/x.mat`, `${d}/a/y.mat`])).fingerprint,
    one.fingerprint,
  );
});

Deno.test("temporary names carry the writer's pid; older names are recognised", () => {
  const t = tempPathFor("/o/Submission/x.mat");
  const name = t.split("/").pop()!;
  assert.deepEqual(parseTempName(name), { target: "x.mat", pid: Deno.pid });
  assert.deepEqual(parseTempName("x.mat.tmp-0123456789ab"), { target: "x.mat" });
  assert.deepEqual(parseTempName("x.mat.tmp-89abcdef.h5"), { target: "x.mat" });
  assert.equal(parseTempName("x.mat.tmp"), null);
  assert.equal(parseTempName("x.mat.tmp-mine"), null);
  assert.equal(parseTempName("x.mat"), null);
  // The number must be a real pid: a user's dated backup is not cmrxkit's.
  assert.equal(parseTempName("backup.tmp-20240101-cafebabe"), null);
  assert.equal(parseTempName("x.mat.tmp-0-0a1b2c3d"), null);
  assert.deepEqual(parseTempName("x.mat.tmp-4194303-0a1b2c3d"), { target: "x.mat", pid: 4194303 });
  assert.equal(parseTempName("x.mat.tmp-4194304-0a1b2c3d"), null);
});
