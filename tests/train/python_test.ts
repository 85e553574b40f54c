import assert from "node:assert/strict";
import { hasTorch, python } from "./python.ts";

Deno.test({
  name: "train/: the Python unit tests of cmrxtrain pass",
  ignore: !hasTorch,
  async fn() {
    const r = await python(
      ["-m", "unittest", "discover", "-s", "train/tests", "-t", "train/tests"],
      {
        check: false,
      },
    );
    const tail = r.stderr.split("\n").slice(-40).join("\n");
    assert.equal(r.code, 0, tail);
    assert.match(r.stderr, /\nOK/, tail);
    // the run really ran tests
    const ran = Number(/Ran (\d+) tests?/.exec(r.stderr)?.[1] ?? 0);
    assert.ok(ran > 20, `only ${ran} tests ran`);
  },
});
