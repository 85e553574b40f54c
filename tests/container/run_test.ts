import assert from "node:assert/strict";
import { normalizeGpuFlag } from "../../cli/container.ts";
import {
  buildArgs,
  depsConfig,
  isLinuxX64Elf,
  pickModels,
  planContext,
  REPO_ROOT,
} from "../../src/container/context.ts";
import { ContainerError, detectEngine, engineKind } from "../../src/container/engine.ts";
import {
  describeCases,
  detectSplit,
  flagValue,
  mountOptions,
  submitArgsFor,
} from "../../src/container/entrypoint.ts";
import { evaluationOk, type EvaluationResult } from "../../src/container/evaluate.ts";
import { defaultUser, parseTimeLimit, runArgs } from "../../src/container/run.ts";
import { GraphBuilder } from "../../src/engine/onnx.ts";
import { LayoutError, UsageError } from "../../src/errors.ts";
import type { ModelEntry } from "../../src/models/registry.ts";

Deno.test("runArgs: the organisers' configuration (no network, read-only input, shm, GPU, user)", () => {
  const a = runArgs({
    engine: "docker",
    image: "team:v1",
    input: "/data/in",
    output: "/data/out",
    gpu: 2,
    user: "1000:1000",
    name: "cmrxkit-eval-x",
    args: ["--shard", "1/2"],
  });
  assert.deepEqual(a, [
    "run",
    "--rm",
    "--name",
    "cmrxkit-eval-x",
    "--network",
    "none",
    "-v",
    "/data/in:/input:ro",
    "-v",
    "/data/out:/output",
    "--shm-size",
    "32g",
    "--user",
    "1000:1000",
    "--gpus",
    "device=2",
    "team:v1",
    "--shard",
    "1/2",
  ]);
  // podman: CDI device; no GPU: no GPU flag; strict: read-only root with a tmpfs /tmp.
  const p = runArgs({
    engine: "podman",
    image: "i",
    input: "/a",
    output: "/b",
    gpu: 0,
    shmSize: "8g",
    readOnlyRoot: true,
    keep: true,
  });
  assert.ok(!p.includes("--rm"));
  assert.deepEqual(p.slice(p.indexOf("--device"), p.indexOf("--device") + 2), [
    "--device",
    "nvidia.com/gpu=0",
  ]);
  assert.equal(p[p.indexOf("--shm-size") + 1], "8g");
  assert.ok(p.includes("--read-only") && p.includes("/tmp:rw,exec,size=1g"));
  const n = runArgs({ engine: "docker", image: "i", input: "/a", output: "/b" });
  assert.ok(!n.includes("--gpus") && !n.includes("--user"));
  assert.equal(n.at(-1), "i");
});

Deno.test("runArgs: refuses paths and values a volume spec or the engine would misread", () => {
  const base = { engine: "docker" as const, image: "i", input: "/a", output: "/b" };
  assert.throws(() => runArgs({ ...base, input: "data" }), /absolute/);
  assert.throws(() => runArgs({ ...base, output: "/x:y" }), UsageError);
  assert.throws(() => runArgs({ ...base, user: "cmrx" }), /uid/);
  assert.throws(() => runArgs({ ...base, gpu: -1 }), /GPU index/);
});

Deno.test("time limits, users and the --gpu shorthand", () => {
  assert.equal(parseTimeLimit("4h"), 14400);
  assert.equal(parseTimeLimit("1h30m"), 5400);
  assert.equal(parseTimeLimit("90m"), 5400);
  assert.equal(parseTimeLimit("40h"), 144000);
  assert.equal(parseTimeLimit("3600"), 3600);
  assert.throws(() => parseTimeLimit("0"), /positive/);
  assert.throws(() => parseTimeLimit("four hours"), UsageError);
  assert.equal(defaultUser(0, 0), "1000:1000");
  assert.equal(defaultUser(null, null), "1000:1000");
  assert.equal(defaultUser(1234, 100), "1234:100");
  assert.deepEqual(normalizeGpuFlag(["--gpu"]), ["--gpu", "0"]);
  assert.deepEqual(normalizeGpuFlag(["--gpu", "3", "--x"]), ["--gpu", "3", "--x"]);
  assert.deepEqual(normalizeGpuFlag(["--gpu", "--input", "d"]), ["--gpu", "0", "--input", "d"]);
  assert.deepEqual(normalizeGpuFlag(["--", "--gpu"]), ["--", "--gpu"]);
});

Deno.test("entrypoint: split detection and the submit arguments it builds", () => {
  assert.equal(detectSplit([{ split: "TrainingSet" }, { split: "TestSet" }]), "test");
  assert.equal(detectSplit([{ split: "ValidationSet" }]), "validation");
  assert.equal(detectSplit([{ split: "ValidationSet" }, { split: "TestSet" }]), "test");
  assert.throws(() => detectSplit([{ split: "TrainingSet" }]), LayoutError);
  assert.deepEqual(submitArgsFor([], "test"), [
    "--input",
    "/input",
    "--output",
    "/output",
    "--task",
    "both",
    "--split",
    "test",
  ]);
  const u = submitArgsFor(["--shard", "2/4", "--split=validation", "--input", "/d"], "test");
  assert.deepEqual(u, [
    "--shard",
    "2/4",
    "--split=validation",
    "--input",
    "/d",
    "--output",
    "/output",
    "--task",
    "both",
  ]);
  assert.equal(flagValue(["--a", "1", "--b=2"], "b"), "2");
  assert.equal(flagValue(["--a", "1"], "c"), undefined);
  const lines = describeCases([
    { task: "cine", view: "sax", acc: 4, coil: "MultiCoil" },
    { task: "cine", view: "lax", acc: 10, coil: "MultiCoil" },
    { task: "mapping", view: "T1", acc: 8, coil: "MultiCoil" },
  ]);
  assert.deepEqual(lines, [
    "Cine: 2 file(s), views lax sax, accelerations 4 10, MultiCoil",
    "Mapping: 1 file(s), views T1, accelerations 8, MultiCoil",
  ]);
});

Deno.test("entrypoint: mount options of /input from mountinfo (read-only or not)", () => {
  // Shape of /proc/self/mountinfo inside `docker run -v DIR:/input:ro -v OUT:/output`.
  const mi = [
    "612 540 0:52 / / rw,relatime master:300 - overlay overlay rw,lowerdir=/l,upperdir=/u",
    "617 612 254:0 /tmp/ci/data /input ro,relatime - ext4 /dev/vda rw",
    "618 612 254:0 /tmp/ci/out /output rw,relatime - ext4 /dev/vda rw",
    "619 612 254:0 /tmp/my\\040dir /with\\040space rw,relatime - ext4 /dev/vda rw",
  ].join("\n");
  assert.deepEqual(mountOptions(mi, "/input"), ["ro", "relatime"]);
  assert.deepEqual(mountOptions(mi, "/output"), ["rw", "relatime"]);
  assert.deepEqual(mountOptions(mi, "/with space"), ["rw", "relatime"]);
  assert.equal(mountOptions(mi, "/nothing"), undefined);
  // A later mount on the same point shadows the earlier one.
  const shadow = mi + "\n700 612 0:60 / /input rw,nosuid - tmpfs tmpfs rw";
  assert.deepEqual(mountOptions(shadow, "/input"), ["rw", "nosuid"]);
});

Deno.test("build context: only what the image needs; ELF check; build arguments", async () => {
  const self = new Uint8Array(20);
  {
    using f = await Deno.open(Deno.execPath());
    await f.read(self);
  }
  assert.equal(isLinuxX64Elf(self), Deno.build.os === "linux" && Deno.build.arch === "x86_64");
  const arm = self.slice();
  arm[18] = 0xb7; // EM_AARCH64
  arm[19] = 0;
  assert.equal(isLinuxX64Elf(arm), false);
  assert.equal(isLinuxX64Elf(new TextEncoder().encode("#!/bin/sh\necho not an elf\n")), false);

  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-ctx-" });
  await Deno.writeTextFile(`${tmp}/fake-deno`, "#!/bin/sh\n".padEnd(64, "x"));
  await assert.rejects(() => planContext({ deno: `${tmp}/fake-deno` }), /linux x86_64/);

  // A models folder with two valid models; pick one.
  const models = `${tmp}/models`;
  await Deno.mkdir(models);
  for (const name of ["alpha", "beta"]) {
    const g = new GraphBuilder(name).input("zf", "float32", [1, 4, 4, 2])
      .output("y", "float32", [1, 4, 4, 2]).node("Identity", ["zf"], ["y"]).toModel({ opset: 17 });
    await Deno.writeFile(`${models}/${name}.onnx`, g);
    await Deno.writeTextFile(
      `${models}/${name}.json`,
      JSON.stringify({
        format: 1,
        name,
        file: `${models}/${name}.onnx`, // absolute: the context must rewrite it
        inputs: [{ name: "zf", role: "zerofilled", layout: "T,Y,X,2" }],
        output: { name: "y", role: "image", layout: "T,Y,X,2" },
        feeder: { kind: "sequence" },
        normalization: { kind: "none" },
        serves: { tasks: ["cine"], views: ["sax"] },
      }),
    );
  }
  if (isLinuxX64Elf(self)) {
    const plan = await planContext({ models: ["beta"], modelsDir: models, ort: "skip" });
    const to = plan.entries.map((e) => e.to);
    for (
      const must of [
        "Dockerfile",
        "bin/deno",
        "deps/deno.json",
        "deps/deno.lock",
        "app/deno.json",
        "app/cli/main.ts",
        "app/cli/container.ts",
        "app/src/recon/worker.ts",
        "app/docker/entrypoint.sh",
        "app/models/beta.json",
        "app/models/beta.onnx",
        "build-info.json",
      ]
    ) assert.ok(to.includes(must), `context lacks ${must}`);
    for (const t of to) {
      assert.ok(
        !/^app\/(tests|bench|docs|train|node_modules|\.cache|models\/alpha)/.test(t),
        `context should not hold ${t}`,
      );
    }
    const manifest = JSON.parse(plan.entries.find((e) => e.to === "app/models/beta.json")!.text!);
    assert.equal(manifest.file, "beta.onnx");
    assert.deepEqual(plan.info.models, ["beta"]);
    assert.equal(plan.info.ort, "skip");
    assert.equal(plan.entries.find((e) => e.to === "bin/deno")!.mode, 0o755);
    const all = await planContext({ modelsDir: models });
    assert.deepEqual(all.info.models, ["alpha", "beta"]);
    const none = await planContext({ models: [], modelsDir: models });
    assert.ok(!none.entries.some((e) => e.to.startsWith("app/models/")));
    await assert.rejects(
      () => planContext({ models: ["gamma"], modelsDir: models }),
      /no model named 'gamma'.*\n.*alpha, beta/,
    );
  }
  const deps = JSON.parse(
    depsConfig(JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`))),
  );
  assert.deepEqual(Object.keys(deps), ["nodeModulesDir", "imports"]);
  assert.ok(deps.imports["onnxruntime-node"]);
  assert.throws(() => pickModels([] as ModelEntry[], ["x"]), /no models are installed/);

  assert.deepEqual(
    buildArgs({ context: "/c", tag: "t:1", base: "b:2", ort: "skip", network: "host" }),
    [
      "build",
      "--tag",
      "t:1",
      "--build-arg",
      "BASE_IMAGE=b:2",
      "--build-arg",
      "ORT_INSTALL=skip",
      "--network",
      "host",
      "--file",
      "/c/Dockerfile",
      "/c",
    ],
  );
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("engine detection: unknown or missing engines give a clear error", async () => {
  assert.equal(engineKind("/usr/bin/podman"), "podman");
  assert.equal(engineKind("docker"), "docker");
  assert.equal(engineKind("nerdctl"), undefined);
  await assert.rejects(() => detectEngine("nerdctl"), /unknown container engine/);
  const e = await detectEngine("/nonexistent/docker").catch((x) => x);
  assert.ok(e instanceof ContainerError);
  assert.match(e.message, /no usable container engine \(\/nonexistent\/docker: not installed\)/);
  assert.match(e.message, /fix: install one/);
});

Deno.test("evaluationOk: exit code, time limit, VRAM, validation and score all count", () => {
  const ok = {
    exitCode: 0,
    timedOut: false,
    vramExceeded: null,
    validation: { ok: true },
    score: {},
  } as unknown as EvaluationResult;
  assert.equal(evaluationOk(ok), true);
  assert.equal(evaluationOk({ ...ok, exitCode: 1 }), false);
  assert.equal(evaluationOk({ ...ok, timedOut: true }), false);
  assert.equal(evaluationOk({ ...ok, vramExceeded: true }), false);
  assert.equal(evaluationOk({ ...ok, vramExceeded: false }), true);
  assert.equal(evaluationOk({ ...ok, validation: null }), false);
  assert.equal(evaluationOk({ ...ok, score: null }), false);
});
