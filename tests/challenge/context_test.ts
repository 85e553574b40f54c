import assert from "node:assert/strict";
import { inferSubmissionContent } from "../../src/challenge/context.ts";

async function tree(files: string[]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "cmrx-context-" });
  for (const f of files) {
    const p = `${root}/${f}`;
    await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(p, new Uint8Array(0));
  }
  return root;
}

Deno.test("submission content: task, split and edition from the file names", async () => {
  const cine = await tree([
    "Submission/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat",
  ]);
  assert.deepEqual(await inferSubmissionContent(cine), {
    root: `${cine}/Submission`,
    task: "cine",
    split: "validation",
    evidence: { task: "Cine files only", split: "ValidationSet files" },
  });
  const both = await tree([
    "Submission/MultiCoil/Cine/TestSet/AccFactor04/P001/cine_sax.mat",
    "Submission/SingleCoil/Mapping/TestSet/AccFactor08/P001/T1map.mat",
  ]);
  const b = (await inferSubmissionContent(`${both}/Submission`))!;
  assert.equal(b.task, "both");
  assert.equal(b.split, "test");
  assert.equal(b.evidence.split, "TestSet files");
  const y2024 = await tree(["Submission/Mapping/ValidationSet/Task1/P001/T1map_kus_Uniform4.mat"]);
  const c = (await inferSubmissionContent(y2024))!;
  assert.equal(c.year, 2024);
  assert.equal(c.task, "mapping");
  // Nothing to go by: no field, or no submission at all.
  const empty = await tree(["Submission/readme.txt"]);
  assert.deepEqual(await inferSubmissionContent(empty), {
    root: `${empty}/Submission`,
    evidence: {},
  });
  const none = await tree(["notes.txt"]);
  assert.equal(await inferSubmissionContent(none), undefined);
  for (const d of [cine, both, y2024, empty, none]) await Deno.remove(d, { recursive: true });
});
