import assert from "node:assert/strict";
import { EDITION_2023 } from "../../src/challenge/editions/mod.ts";
import { discover, fullSamplePath } from "../../src/challenge/layout.ts";
import { accFolderName } from "../../src/challenge/paths.ts";
import { LayoutError } from "../../src/errors.ts";

async function tree(files: string[]): Promise<string> {
  const root = await Deno.makeTempDir();
  for (const f of files) {
    const p = `${root}/${f}`;
    await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(p, new Uint8Array(0));
  }
  return root;
}

const CINE = "MultiCoil/Cine";
const MAP = "MultiCoil/Mapping";

Deno.test("layout 2023: validation cases with masks, csv and submission paths", async () => {
  const root = await tree([
    `${CINE}/ValidationSet/AccFactor04/P001/cine_sax.mat`,
    `${CINE}/ValidationSet/AccFactor04/P001/cine_sax_mask.mat`,
    `${CINE}/ValidationSet/AccFactor04/P001/cine_lax.mat`,
    `${CINE}/ValidationSet/AccFactor04/P001/cine_lax_mask.mat`,
    `${CINE}/ValidationSet/AccFactor10/P002/cine_sax.mat`,
    `${CINE}/ValidationSet/AccFactor10/P002/cine_sax_mask.mat`,
    `${MAP}/ValidationSet/AccFactor08/P001/T1map.mat`,
    `${MAP}/ValidationSet/AccFactor08/P001/T1map_mask.mat`,
    `${MAP}/ValidationSet/AccFactor08/P001/T1map.csv`,
    `${CINE}/TrainingSet/FullSample/P001/cine_sax.mat`,
    `${CINE}/ValidationSet/AccFactor04/.DS_Store`,
    `${CINE}/ValidationSet/AccFactor04/P001/notes.txt`,
  ]);
  const { cases, ignored } = await discover(root, { split: "validation" });
  assert.equal(cases.length, 4);
  const sax = cases.find((c) => c.name === "cine_sax" && c.acc === 4)!;
  assert.equal(sax.variable, "kspace_sub04");
  assert.equal(sax.maskVariable, "mask04");
  assert.equal(sax.maskFile, `${root}/${CINE}/ValidationSet/AccFactor04/P001/cine_sax_mask.mat`);
  assert.equal(sax.view, "sax");
  assert.equal(sax.task, "cine");
  assert.equal(sax.submissionPath, "MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat");
  const t1 = cases.find((c) => c.name === "T1map")!;
  assert.equal(t1.task, "mapping");
  assert.equal(t1.view, "T1");
  assert.equal(t1.variable, "kspace_sub08");
  assert.equal(t1.csvFile, `${root}/${MAP}/ValidationSet/AccFactor08/P001/T1map.csv`);
  assert.deepEqual(ignored, [`${root}/${CINE}/ValidationSet/AccFactor04/P001/notes.txt`]);
  assert.equal(
    fullSamplePath(sax, `${root}/GroundTruth`),
    `${root}/GroundTruth/MultiCoil/Cine/ValidationSet/FullSample/P001/cine_sax.mat`,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("layout 2023: filters by task, acceleration and coil; FullSample only on request", async () => {
  const root = await tree([
    `${CINE}/TrainingSet/FullSample/P001/cine_sax.mat`,
    `${CINE}/TrainingSet/AccFactor04/P001/cine_sax.mat`,
    `${CINE}/TrainingSet/AccFactor08/P001/cine_sax.mat`,
    `${MAP}/TrainingSet/AccFactor08/P001/T2map.mat`,
    `SingleCoil/Cine/TrainingSet/AccFactor08/P001/cine_sax.mat`,
  ]);
  assert.equal((await discover(root)).cases.length, 4);
  assert.equal((await discover(root, { fullSample: true })).cases.length, 5);
  const acc8 = await discover(root, { acc: [8], task: "cine" });
  assert.deepEqual(acc8.cases.map((c) => c.coil).sort(), ["MultiCoil", "SingleCoil"]);
  const single = acc8.cases.find((c) => c.coil === "SingleCoil")!;
  assert.equal(single.variable, "kspace_single_sub08");
  const multi = await discover(root, { coil: "multi", task: "mapping" });
  assert.deepEqual(multi.cases.map((c) => c.name), ["T2map"]);
  const full = (await discover(root, { fullSample: true, acc: [] })).cases;
  assert.deepEqual(full.map((c) => [c.accFolder, c.acc, c.variable]), [
    ["FullSample", null, "kspace_full"],
  ]);
  // The dataset may be given as a parent folder (e.g. ChallengeData) or as the coil folder.
  const parent = root.slice(0, root.lastIndexOf("/"));
  assert.ok((await discover(`${root}/MultiCoil`)).cases.every((c) => c.coil === "MultiCoil"));
  void parent;
  await Deno.remove(root, { recursive: true });
});

Deno.test("layout 2024: UnderSample_TaskN with kus files, Mask_TaskN masks", async () => {
  const root = await tree([
    `ChallengeData/MultiCoil/Cine/ValidationSet/UnderSample_Task1/P003/cine_sax_kus_Uniform8.mat`,
    `ChallengeData/MultiCoil/Cine/ValidationSet/Mask_Task1/P003/cine_sax_mask_Uniform8.mat`,
    `ChallengeData/MultiCoil/Cine/ValidationSet/UnderSample_Task2/P003/cine_lax_kus_ktGaussian16.mat`,
    `ChallengeData/MultiCoil/Mapping/ValidationSet/UnderSample_Task2/P003/T1map_kus_ktRadial24.mat`,
    `ChallengeData/MultiCoil/Aorta/ValidationSet/UnderSample_Task1/P009/aorta_sag_kus_Uniform4.mat`,
  ]);
  const { cases } = await discover(root, { split: "validation" });
  assert.equal(cases.length, 4);
  const sax = cases.find((c) => c.name === "cine_sax")!;
  assert.equal(sax.year, 2024);
  assert.equal(sax.acc, 8);
  assert.equal(sax.pattern, "Uniform");
  assert.equal(sax.variable, "kus");
  assert.equal(sax.maskVariable, "mask");
  assert.ok(sax.maskFile!.endsWith("Mask_Task1/P003/cine_sax_mask_Uniform8.mat"));
  assert.equal(sax.submissionPath, "Cine/ValidationSet/Task1/P003/cine_sax_kus_Uniform8.mat");
  const lax = cases.find((c) => c.name === "cine_lax")!;
  assert.equal(lax.pattern, "ktGaussian");
  assert.equal(lax.acc, 16);
  assert.equal(lax.maskFile, undefined);
  assert.equal(cases.find((c) => c.name === "T1map")!.task, "mapping");
  assert.equal(cases.find((c) => c.name === "aorta_sag")!.modality, "Aorta");
  assert.deepEqual((await discover(root, { acc: [24] })).cases.map((c) => c.name), ["T1map"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("layout: unexpected trees get a LayoutError saying what was expected and found", async () => {
  const root = await tree(["data/readme.txt", "images/a.png"]);
  await assert.rejects(discover(root), (e: Error) => {
    assert.ok(e instanceof LayoutError);
    assert.match(
      e.message,
      /no MultiCoil\/ or SingleCoil\/ folder found \(found: data\/, images\/\)/,
    );
    assert.match(e.message, /expected <root>\/\{MultiCoil\|SingleCoil\}/);
    return true;
  });
  const root2 = await tree([`${CINE}/TrainingSet/AccFactor04/P001/cine_sax.mat`]);
  await assert.rejects(discover(root2, { split: "validation" }), (e: Error) => {
    assert.match(e.message, /no k-space files found for split validation \(ValidationSet\)/);
    assert.match(e.message, /present: MultiCoil\/Cine\/TrainingSet/);
    return true;
  });
  await assert.rejects(discover(`${root}/nope`), /nope: no such folder/);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(root2, { recursive: true });
});

Deno.test("layout: symbolic links to files and folders count as what they point to", async () => {
  const real = await tree([`${CINE}/ValidationSet/AccFactor04/P001/cine_sax.mat`]);
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/${CINE}/ValidationSet/AccFactor04/P002`, { recursive: true });
  await Deno.symlink(
    `${real}/${CINE}/ValidationSet/AccFactor04/P001/cine_sax.mat`,
    `${root}/${CINE}/ValidationSet/AccFactor04/P002/cine_sax.mat`,
  );
  await Deno.symlink(
    `${real}/${CINE}/ValidationSet/AccFactor04/P001`,
    `${root}/${CINE}/ValidationSet/AccFactor04/P001`,
  );
  const { cases } = await discover(root);
  assert.deepEqual(cases.map((c) => c.patient), ["P001", "P002"]);
  await Deno.remove(root, { recursive: true });
  await Deno.remove(real, { recursive: true });
});

Deno.test("layout helpers: folder and variable names", () => {
  assert.equal(accFolderName(4), "AccFactor04");
  assert.equal(accFolderName(10), "AccFactor10");
  assert.equal(EDITION_2023.kspaceVariable("MultiCoil", 4), "kspace_sub04");
  assert.equal(EDITION_2023.kspaceVariable("MultiCoil", null), "kspace_full");
  assert.equal(EDITION_2023.kspaceVariable("SingleCoil", 10), "kspace_single_sub10");
  assert.equal(EDITION_2023.kspaceVariable("SingleCoil", null), "kspace_single_full");
});

/** Makes a named pipe (FIFO) with mkfifo. */
async function mkfifo(path: string): Promise<void> {
  const r = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

Deno.test("layout: unusable entries at layout positions are problems naming them, never dropped", async () => {
  const acc4 = `${CINE}/ValidationSet/AccFactor04`;
  const root = await tree([
    `${acc4}/P001/cine_sax.mat`,
    `${acc4}/P001/cine_lax.mat`,
    `${CINE}/ValidationSet/AccFactor08/P001/cine_sax.mat`,
    `${MAP}/ValidationSet/AccFactor04/P001/T1map.mat`,
  ]);
  const p2 = `${root}/${acc4}/P002`;
  await Deno.mkdir(p2);
  await Deno.symlink(`${root}/nowhere.mat`, `${p2}/cine_sax.mat`); // dangling
  await Deno.symlink(`${p2}/cine_lax.mat`, `${p2}/cine_lax.mat`); // loop
  await Deno.mkdir(`${root}/${acc4}/P003/cine_sax.mat`, { recursive: true }); // folder
  await Deno.mkdir(`${root}/${acc4}/P004`);
  await mkfifo(`${root}/${acc4}/P004/cine_sax.mat`); // named pipe
  await Deno.mkdir(`${root}/${acc4}/P005`);
  await Deno.symlink("/dev/zero", `${root}/${acc4}/P005/cine_sax.mat`); // device
  await Deno.symlink(`${root}/gone`, `${root}/${acc4}/P006`); // dangling patient folder
  await Deno.symlink(`${root}/gone.mat`, `${root}/${acc4}/P001/cine_sax_mask.mat`); // mask
  const map = `${root}/${MAP}/ValidationSet/AccFactor04/P001`;
  await mkfifo(`${map}/T1map.csv`);

  const { cases, problems } = await discover(root, { split: "validation" });
  assert.deepEqual(
    cases.map((c) => `${c.accFolder}/${c.patient}/${c.name}`),
    [
      "AccFactor04/P001/cine_lax",
      "AccFactor04/P001/cine_sax",
      "AccFactor08/P001/cine_sax",
      "AccFactor04/P001/T1map",
    ],
  );
  const byPath = new Map(problems.map((p) => [p.path.slice(root.length + 1), p]));
  const kinds = Object.fromEntries([...byPath].map(([p, x]) => [p, x.kind]));
  assert.deepEqual(kinds, {
    [`${acc4}/P001/cine_sax_mask.mat`]: "dangling-link",
    [`${acc4}/P002/cine_lax.mat`]: "link-loop",
    [`${acc4}/P002/cine_sax.mat`]: "dangling-link",
    [`${acc4}/P003/cine_sax.mat`]: "directory",
    [`${acc4}/P004/cine_sax.mat`]: "fifo",
    [`${acc4}/P005/cine_sax.mat`]: "char-device",
    [`${acc4}/P006`]: "dangling-link",
    [`${MAP}/ValidationSet/AccFactor04/P001/T1map.csv`]: "fifo",
  });
  const pipe = byPath.get(`${acc4}/P004/cine_sax.mat`)!;
  assert.equal(pipe.reason, "is a named pipe (FIFO), not a k-space file");
  assert.match(pipe.fix, /regular files only/);
  assert.equal(pipe.submissionPath, `${acc4}/P004/cine_sax.mat`);
  assert.match(byPath.get(`${acc4}/P002/cine_sax.mat`)!.fix, /repair the link/);
  assert.match(byPath.get(`${acc4}/P006`)!.reason, /not a patient folder/);
  assert.match(byPath.get(`${acc4}/P001/cine_sax_mask.mat`)!.reason, /not a mask file/);
  // Filters keep their meaning: entries outside them are not looked at.
  assert.deepEqual((await discover(root, { acc: [8] })).problems, []);
  assert.deepEqual((await discover(root, { task: "mapping" })).problems.length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("layout: a dataset whose only k-space entry is unusable names it in the LayoutError", async () => {
  const root = await Deno.makeTempDir();
  const p = `${root}/${CINE}/ValidationSet/AccFactor04/P001`;
  await Deno.mkdir(p, { recursive: true });
  await Deno.symlink(`${root}/nowhere.mat`, `${p}/cine_sax.mat`);
  await assert.rejects(discover(root), (e: Error) => {
    assert.ok(e instanceof LayoutError);
    assert.match(e.message, /no k-space files found/);
    assert.match(e.message, /P001\/cine_sax\.mat is a symbolic link whose target does not exist/);
    assert.match(e.message, /fix: repair the link/);
    return true;
  });
  const empty = await discover(root, { allowEmpty: true });
  assert.deepEqual(empty.cases, []);
  assert.equal(empty.problems.length, 1);
  await Deno.remove(root, { recursive: true });
});
