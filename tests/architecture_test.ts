import assert from "node:assert/strict";
import {
  cycles,
  edgeViolation,
  groupOf,
  importGraph,
  importsOf,
  layerOf,
  sourceFiles,
} from "./layers.ts";

// The layering written in docs/architecture.md, checked on the real import graph.

Deno.test("architecture: every import of src/ and cli/ points down a layer; no cycles", () => {
  const edges = importGraph();
  assert.ok(edges.length > 200, `read ${edges.length} imports`);
  const bad = edges.map(edgeViolation).filter((v): v is string => !!v);
  assert.deepEqual(bad, [], `upward or sideways imports:\n${bad.join("\n")}`);
  const loops = cycles(edges).map((c) => c.join(" -> "));
  assert.deepEqual(loops, [], `import cycles:\n${loops.join("\n")}`);
});

Deno.test("architecture: every source file is in a layer", () => {
  for (const f of sourceFiles()) layerOf(groupOf(f)); // throws for a group in no layer
});

Deno.test("architecture: the checker reports upward, sideways and command-to-command imports, and cycles", () => {
  // challenge is above recon, yet may not import it (scoring gets the coil combination as a
  // function); the reverse is upward.
  assert.match(
    edgeViolation({ from: "src/challenge/score.ts", to: "src/recon/pool.ts" })!,
    /may not import recon/,
  );
  assert.equal(
    edgeViolation({ from: "src/challenge/truth.ts", to: "src/kspace/zerofill.ts" }),
    undefined,
  );
  assert.equal(
    edgeViolation({ from: "src/pipeline/submit.ts", to: "src/recon/run.ts" }),
    undefined,
  );
  assert.match(
    edgeViolation({ from: "src/recon/pool.ts", to: "src/challenge/score.ts" })!,
    /higher layer/,
  );
  assert.match(
    edgeViolation({ from: "src/models/registry.ts", to: "src/recon/registry.ts" })!,
    /peers/,
  );
  assert.match(edgeViolation({ from: "src/mat/read.ts", to: "src/kspace/fft.ts" })!, /higher/);
  assert.match(edgeViolation({ from: "cli/submit.ts", to: "cli/score.ts" })!, /a command imports/);
  assert.equal(edgeViolation({ from: "cli/submit.ts", to: "cli/flags.ts" }), undefined);
  assert.equal(edgeViolation({ from: "cli/main.ts", to: "cli/submit.ts" }), undefined);
  assert.deepEqual(
    cycles([
      { from: "src/a.ts", to: "src/b.ts" },
      { from: "src/b.ts", to: "src/c.ts" },
      { from: "src/c.ts", to: "src/a.ts" },
    ]),
    [["src/a.ts", "src/b.ts", "src/c.ts", "src/a.ts"]],
  );
});

Deno.test("architecture: imports are read in every form", () => {
  const text = [
    'import { a } from "../kspace/fft.ts";',
    'import type { B } from "./b.ts";',
    'export { c } from "../mat/read.ts";',
    'export * from "./d.ts";',
    'const m = await import("../engine/session.ts");',
    'import "./side.ts";',
    'import {\n  e,\n  f,\n} from "../linalg/cg.ts";',
  ].join("\n");
  assert.deepEqual(importsOf("src/recon/x.ts", text).map((e) => e.to), [
    "src/kspace/fft.ts",
    "src/recon/b.ts",
    "src/mat/read.ts",
    "src/recon/d.ts",
    "src/engine/session.ts",
    "src/recon/side.ts",
    "src/linalg/cg.ts",
  ]);
});
