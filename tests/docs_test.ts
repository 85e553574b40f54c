import assert from "node:assert/strict";
import { REPO_ROOT } from "../src/repo_root.ts";

// The map of the code stays true: every repository path that docs/architecture.md and the
// README name in backticks exists, and no document points outside the repository.

/** Backticked tokens that name a repository path (src/, cli/, tests/, docs/, bench/, ...). */
function namedPaths(markdown: string): string[] {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/`([^`\s]+)`/g)) {
    const t = m[1].replace(/[),.:;]+$/, "");
    if (/^(src|cli|tests|docs|bench|train|models|docker)\/[\w./-]*$/.test(t) && !t.includes("*")) {
      out.add(t);
    }
  }
  return [...out].sort();
}

async function exists(rel: string): Promise<boolean> {
  try {
    await Deno.stat(`${REPO_ROOT}/${rel}`);
    return true;
  } catch {
    return false;
  }
}

for (const doc of ["docs/architecture.md", "README.md"]) {
  Deno.test(`docs: every path ${doc} names exists`, async () => {
    const text = await Deno.readTextFile(`${REPO_ROOT}/${doc}`);
    const paths = namedPaths(text);
    assert.ok(paths.length > (doc === "README.md" ? 3 : 20), `${doc} names ${paths.length} paths`);
    const missing: string[] = [];
    for (const p of paths) if (!(await exists(p))) missing.push(p);
    assert.deepEqual(missing, [], `${doc} names paths that do not exist`);
  });
}

Deno.test("docs: no document or source comment points outside the repository", async () => {
  const offenders: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${REPO_ROOT}/${rel}`)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (!["node_modules", ".git", "fixtures", ".cache"].includes(e.name)) await walk(p);
      } else if (/\.(md|ts|py)$/.test(e.name) && p !== "tests/docs_test.ts") {
        const text = await Deno.readTextFile(`${REPO_ROOT}/${p}`);
        if (
          /\.\.\/shared\b|\/work\/shared|reference\/(cmrxrecon-format|tooling-notes|peer-systems)\.md/
            .test(text)
        ) {
          offenders.push(p);
        }
      }
    }
  };
  await walk("");
  assert.deepEqual(offenders, [], "files citing documents that a clone does not have");
});

Deno.test("docs: the path finder reads backticked repository paths only", () => {
  assert.deepEqual(
    namedPaths("see `src/mat/read.ts`, `cli/` and `deno task submit` or `a/b.ts` `src/*.ts`"),
    ["cli/", "src/mat/read.ts"],
  );
});
