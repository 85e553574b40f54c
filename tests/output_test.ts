import assert from "node:assert/strict";
import { CmrxError } from "../src/errors.ts";
import { checkOutputDir, checkOutputFile, writeAtomic, writeTextAtomic } from "../src/output.ts";

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

Deno.test("writeAtomic: a failing writer leaves neither a temporary file nor a target", async () => {
  const out = await Deno.makeTempDir({ prefix: "cmrx-output-" });
  let seen = "";
  await assert.rejects(
    writeAtomic(`${out}/a.bin`, async (tmp) => {
      seen = tmp;
      await Deno.writeFile(tmp, new Uint8Array([1, 2, 3]), { createNew: true });
      throw new Error("writer failed");
    }),
    /writer failed/,
  );
  assert.match(seen, /^.+\/a\.bin\.tmp-\d+-[0-9a-f]{8}$/, "a temporary name beside the target");
  assert.deepEqual([...Deno.readDirSync(out)], []);
  // the same with sync (the temporary file is flushed before the rename)
  await assert.rejects(
    writeAtomic(`${out}/b.bin`, (tmp) =>
      Deno.writeTextFile(tmp, "x").then(() => {
        throw new Error("late failure");
      }), { sync: true }),
    /late failure/,
  );
  assert.deepEqual([...Deno.readDirSync(out)], []);
  await Deno.remove(out, { recursive: true });
});

Deno.test("writeAtomic: an existing target is replaced whole, or kept with replace: false", async () => {
  const out = await Deno.makeTempDir({ prefix: "cmrx-output-" });
  const path = `${out}/a.bin`;
  await Deno.writeFile(path, new Uint8Array(1000).fill(7));
  await writeAtomic(path, new Uint8Array([1, 2, 3]));
  assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
  await writeAtomic(path, "text", { sync: true });
  assert.equal(await Deno.readTextFile(path), "text");
  await writeAtomic(path, (tmp) => Deno.writeTextFile(tmp, "from a writer"), { sync: true });
  assert.equal(await Deno.readTextFile(path), "from a writer");
  // replace: false creates the target once; a second writer gets AlreadyExists, nothing changes
  await writeAtomic(`${out}/once.json`, "first", { replace: false });
  await assert.rejects(
    writeAtomic(`${out}/once.json`, "second", { replace: false }),
    Deno.errors.AlreadyExists,
  );
  assert.equal(await Deno.readTextFile(`${out}/once.json`), "first");
  await writeAtomic(`${out}/c.mat`, new Uint8Array([9]), { tempSuffix: ".h5" });
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).sort(), [
    "a.bin",
    "c.mat",
    "once.json",
  ]);
  // a missing folder fails unchanged and leaves nothing
  await assert.rejects(writeAtomic(`${out}/missing/a.bin`, "x"), Deno.errors.NotFound);
  await Deno.remove(out, { recursive: true });
});
