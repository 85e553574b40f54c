import assert from "node:assert/strict";
import { CmrxError } from "../src/errors.ts";
import { checkOutputDir, checkOutputFile, writeTextAtomic } from "../src/output.ts";

Deno.test("checkOutputFile: folders, files under files, read-only places and FIFOs fail by name", async () => {
  const out = await Deno.makeTempDir({ prefix: "cmrx-output-" });
  const input = `${out}/input.mat`;
  await Deno.writeTextFile(input, "k-space");
  const fails = async (path: string, file: string, re: RegExp, inputs?: string[]) => {
    await assert.rejects(checkOutputFile(path, { inputs }), (e: Error) => {
      assert.ok(e instanceof CmrxError, `${path}: ${e.stack}`);
      assert.equal(e.file, file);
      assert.match(e.message, re);
      assert.ok(e.hint);
      return true;
    });
  };
  await fails(out, out, /names a folder/);
  await fails(`${out}/`, `${out}/`, /names a folder/);
  await Deno.writeTextFile(`${out}/plain`, "x");
  await fails(`${out}/plain/r.mat`, `${out}/plain`, /is a file/); // ENOTDIR
  await fails(`${out}/plain/a/r.mat`, `${out}/plain/a`, /is a file \(or lies under one\)/);
  await fails("/proc/cmrxkit-out.mat", "/proc", /cannot write in the folder/); // read-only for root too
  await fails("/proc/cmrxkit/out.mat", "/proc/cmrxkit", /cannot create the folder/);
  await fails(input, input, /is the input file/, [input]);
  await new Deno.Command("mkfifo", { args: [`${out}/fifo`] }).output();
  await fails(`${out}/fifo`, `${out}/fifo`, /named pipe/);
  await Deno.symlink(`${out}/gone`, `${out}/dangling`);
  await fails(`${out}/dangling`, `${out}/dangling`, /link/);
  // a missing folder is created (mkdir -p) and says so; nothing else is left behind
  assert.deepEqual(await checkOutputFile(`${out}/new/deep/r.mat`), {
    createdFolder: `${out}/new/deep`,
  });
  assert.deepEqual(await checkOutputFile(`${out}/new/deep/r.mat`), {});
  assert.deepEqual([...Deno.readDirSync(`${out}/new/deep`)], []);
  assert.deepEqual(await checkOutputFile(`${out}/plain`), {}); // an existing file is replaced
  await Deno.remove(out, { recursive: true });
});

Deno.test("checkOutputDir: a writable folder, or one creatable under it; nothing is created", async () => {
  const out = await Deno.makeTempDir({ prefix: "cmrx-outdir-" });
  assert.deepEqual(await checkOutputDir(out), { exists: true, base: out });
  assert.deepEqual(await checkOutputDir(`${out}/a/b/`), { exists: false, base: out });
  assert.deepEqual([...Deno.readDirSync(out)], []); // the probe is gone, a/b not made
  await Deno.writeTextFile(`${out}/plain`, "x");
  for (
    const [path, re] of [
      [`${out}/plain`, /plain: is a regular file, not a folder/],
      [`${out}/plain/sub`, /cannot create the folder: .*plain is a regular file/],
      ["/proc/cmrxkit-out", /cannot be created: \/proc /],
    ] as const
  ) {
    await assert.rejects(checkOutputDir(path, "--output"), (e: Error) => {
      assert.ok(e instanceof CmrxError, e.stack);
      assert.match(e.message, re);
      assert.match(e.message, /fix: .*--output/);
      return true;
    });
  }
  await Deno.remove(out, { recursive: true });
});

Deno.test("writeTextAtomic: replaces the file whole and leaves no temporary file", async () => {
  const out = await Deno.makeTempDir({ prefix: "cmrx-atomic-" });
  await writeTextAtomic(`${out}/a.json`, "one");
  await writeTextAtomic(`${out}/a.json`, "two");
  assert.equal(await Deno.readTextFile(`${out}/a.json`), "two");
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["a.json"]);
  await assert.rejects(writeTextAtomic(`${out}/missing/a.json`, "x"));
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["a.json"]);
  await Deno.remove(out, { recursive: true });
});
