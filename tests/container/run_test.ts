import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { childArgs } from "../../cli/container/entrypoint.ts";
import { normalizeGpuFlag } from "../../cli/container/flags.ts";
import {
  buildArgs,
  type BuildInfo,
  CONTEXT_MARKER,
  type ContextPlan,
  depsConfig,
  isLinuxX64Elf,
  pickModels,
  planContext,
  REPO_ROOT,
  writeContext,
} from "../../src/container/context.ts";
import { ContainerError, detectRuntime, runtimeKind } from "../../src/container/runtime.ts";
import {
  describeCases,
  detectSplit,
  entrypointExitCode,
  flagValue,
  mountOptions,
  preflight,
  submitDefaultsFor,
} from "../../src/container/entrypoint.ts";
import { evaluationOk, type EvaluationResult } from "../../src/container/evaluate.ts";
import { defaultUser, parseTimeLimit, runArgs } from "../../src/container/run.ts";
import { GraphBuilder } from "../../src/engine/onnx/mod.ts";
import { LayoutError, UsageError } from "../../src/errors.ts";
import type { ModelEntry } from "../../src/models/registry.ts";

Deno.test("runArgs: the organisers' configuration (no network, read-only input, shm, GPU, user)", () => {
  const a = runArgs({
    runtime: "docker",
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
    runtime: "podman",
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
  const n = runArgs({ runtime: "docker", image: "i", input: "/a", output: "/b" });
  assert.ok(!n.includes("--gpus") && !n.includes("--user"));
  assert.equal(n.at(-1), "i");
});

Deno.test("runArgs: refuses paths and values a volume spec or the engine would misread", () => {
  const base = { runtime: "docker" as const, image: "i", input: "/a", output: "/b" };
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
  assert.deepEqual(submitDefaultsFor({}, "test"), {
    input: "/input",
    output: "/output",
    task: "both",
    split: "test",
  });
  const u = submitDefaultsFor({ split: "validation", input: "/d" }, "test");
  assert.deepEqual(u, { input: "/d", output: "/output", task: "both", split: "validation" });
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

Deno.test("entrypoint and harness: input entries that cannot be read are errors, never success", async () => {
  // A TestSet with one readable k-space file and a named pipe at another k-space position.
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-broken-input-" });
  const input = `${tmp}/in`, p = `${input}/MultiCoil/Cine/TestSet/AccFactor04/P001`;
  await Deno.mkdir(p, { recursive: true });
  await Deno.writeFile(`${p}/cine_sax.mat`, new Uint8Array(256));
  const mk = await new Deno.Command("mkfifo", { args: [`${p}/cine_lax.mat`] }).output();
  assert.ok(mk.success, "mkfifo");
  const pf = await preflight(input, `${tmp}/out`);
  assert.equal(pf.split, "test");
  assert.equal(pf.cases.length, 1);
  assert.deepEqual(pf.problems.map((x) => x.path), [`${p}/cine_lax.mat`]);
  assert.equal(pf.errors.length, 1);
  assert.match(pf.errors[0], /cine_lax\.mat .*named pipe.*MultiCoil\/Cine\/TestSet\/.*fix: /);
  assert.match(pf.lines[0], /1 TestSet file\(s\) and 1 entry that cannot be read/);
  // submit succeeding on the rest does not make the run a success.
  assert.equal(entrypointExitCode(0, pf), 1);
  assert.equal(entrypointExitCode(3, pf), 3);
  assert.equal(entrypointExitCode(0, { problems: [] }), 0);
  // Only broken entries: the split is still the test split (not the validation data).
  await Deno.remove(`${p}/cine_sax.mat`);
  await Deno.mkdir(`${input}/MultiCoil/Cine/ValidationSet/AccFactor04/P001`, { recursive: true });
  await Deno.writeFile(
    `${input}/MultiCoil/Cine/ValidationSet/AccFactor04/P001/cine_sax.mat`,
    new Uint8Array(256),
  );
  const only = await preflight(input, `${tmp}/out`);
  assert.equal(only.split, "test");
  assert.equal(only.problems.length, 1);
  // The validation split does not carry the TestSet's broken entry.
  const val = await preflight(input, `${tmp}/out`, "validation");
  assert.deepEqual(val.problems, []);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("entrypoint cmrxkit: the child finds the project from any folder, spaces and all", async () => {
  // The project in a folder whose name has a space (URL paths would say %20).
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-space-" });
  const proj = `${tmp}/my project`;
  await Deno.mkdir(proj);
  for (const d of ["cli", "src", "deno.json", "deno.lock"]) {
    const cp = await new Deno.Command("cp", { args: ["-r", `${REPO_ROOT}/${d}`, `${proj}/`] })
      .output();
    assert.ok(cp.success, d);
  }
  await Deno.symlink(`${REPO_ROOT}/node_modules`, `${proj}/node_modules`);
  const ctx = await import(pathToFileURL(`${proj}/src/container/context.ts`).href);
  assert.equal(ctx.REPO_ROOT, proj);
  const cli = await import(pathToFileURL(`${proj}/cli/container/entrypoint.ts`).href);
  const a: string[] = cli.childArgs(["help", "validate"]);
  assert.deepEqual(a.slice(-4), [`${proj}/deno.json`, `${proj}/cli/main.ts`, "help", "validate"]);
  assert.deepEqual(childArgs([]).slice(-2), [`${REPO_ROOT}/deno.json`, `${REPO_ROOT}/cli/main.ts`]);
  // Run from another folder, as the image's 'cmrxkit COMMAND' does.
  const elsewhere = `${tmp}/elsewhere`;
  await Deno.mkdir(elsewhere);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${proj}/cli/main.ts`,
      "container",
      "entrypoint",
      "cmrxkit",
      "help",
      "validate",
    ],
    cwd: elsewhere,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /Usage: deno task validate/);
  await Deno.remove(tmp, { recursive: true });
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
        "app/cli/container/mod.ts",
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
    // an external-process model cannot go into the evaluation image: refused, named
    await Deno.writeTextFile(
      `${models}/team.json`,
      JSON.stringify({
        ...JSON.parse(await Deno.readTextFile(`${models}/beta.json`)),
        name: "team",
        file: undefined,
        process: { command: ["python3", "team.py"] },
      }),
    );
    await assert.rejects(
      () => planContext({ models: ["team"], modelsDir: models }),
      /model team is an external-process model \(python3 team\.py\); the evaluation image holds ONNX graphs only/,
    );
    const onnxOnly = await planContext({ models: ["beta"], modelsDir: models });
    assert.deepEqual(onnxOnly.info.models, ["beta"]);
    await Deno.remove(`${models}/team.json`);
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

Deno.test("build context: a rebuild replaces only what cmrxkit wrote; a user's files stay", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "cmrxkit-ctxw-" });
  const ctx = `${tmp}/ctx`;
  const plan = (files: Record<string, string>): ContextPlan => ({
    entries: Object.entries(files).map(([to, text]) => ({ to, text, mode: 0o644 })),
    info: {} as BuildInfo,
    bytes: 0,
  });
  const read = (rel: string) => Deno.readTextFile(`${ctx}/${rel}`);
  const there = (rel: string) => Deno.lstat(`${ctx}/${rel}`).then(() => true, () => false);
  const first = await writeContext(
    ctx,
    plan({ Dockerfile: "FROM a\n", "app/src/a.ts": "a", "app/models/old.onnx": "m" }),
  );
  assert.deepEqual(first.kept, []);
  assert.equal(first.reused, false);
  // The user adds files, and replaces one of cmrxkit's by a link to a file outside.
  await Deno.writeTextFile(`${ctx}/notes.txt`, "mine");
  await Deno.mkdir(`${ctx}/app/src/extra`);
  await Deno.writeTextFile(`${ctx}/app/src/extra/x.ts`, "mine too");
  await Deno.writeTextFile(`${tmp}/outside.txt`, "outside");
  await Deno.remove(`${ctx}/app/src/a.ts`);
  await Deno.symlink(`${tmp}/outside.txt`, `${ctx}/app/src/a.ts`);
  const second = await writeContext(ctx, plan({ Dockerfile: "FROM b\n", "app/src/a.ts": "a2" }));
  assert.equal(second.reused, true);
  assert.equal(await read("notes.txt"), "mine");
  assert.equal(await read("app/src/extra/x.ts"), "mine too");
  assert.equal(await Deno.readTextFile(`${tmp}/outside.txt`), "outside", "never written through");
  assert.equal(await read("Dockerfile"), "FROM b\n");
  assert.equal(await read("app/src/a.ts"), "a2");
  // The earlier context's file the new plan lacks is removed, and its folder, left empty.
  assert.deepEqual(second.removed, ["app/models/old.onnx"]);
  assert.equal(await there("app/models"), false);
  assert.deepEqual(second.kept, ["app/src/extra/", "notes.txt"]);
  assert.match(await read(CONTEXT_MARKER), /\nDockerfile\napp\/src\/a\.ts\n$/);
  // A file at a path cmrxkit would write, which it did not write: refused, nothing changed.
  await Deno.writeTextFile(`${ctx}/build-info.json`, "mine");
  await assert.rejects(
    () => writeContext(ctx, plan({ Dockerfile: "FROM c\n", "build-info.json": "{}" })),
    (e) =>
      e instanceof UsageError && /build-info\.json, which cmrxkit did not write/.test(e.message),
  );
  assert.equal(await read("build-info.json"), "mine");
  assert.equal(await read("Dockerfile"), "FROM b\n");
  // A context of an older cmrxkit (marker without a list): only overwritten, nothing removed.
  await Deno.writeTextFile(`${ctx}/${CONTEXT_MARKER}`, "build context made by cmrxkit\n");
  const legacy = await writeContext(ctx, plan({ Dockerfile: "FROM d\n" }));
  assert.deepEqual(legacy.removed, []);
  assert.equal(await read("app/src/a.ts"), "a2");
  assert.equal(await read("build-info.json"), "mine");
  // A folder that is not a context is refused, its files untouched.
  const busy = `${tmp}/busy`;
  await Deno.mkdir(busy);
  await Deno.writeTextFile(`${busy}/data.txt`, "x");
  await assert.rejects(() => writeContext(busy, plan({ Dockerfile: "" })), UsageError);
  assert.deepEqual([...Deno.readDirSync(busy)].map((e) => e.name), ["data.txt"]);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("runtime detection: unknown or missing engines give a clear error", async () => {
  assert.equal(runtimeKind("/usr/bin/podman"), "podman");
  assert.equal(runtimeKind("docker"), "docker");
  assert.equal(runtimeKind("nerdctl"), undefined);
  await assert.rejects(() => detectRuntime("nerdctl"), /unknown container engine/);
  const e = await detectRuntime("/nonexistent/docker").catch((x) => x);
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
  // An input entry that cannot be read: its case is missing, so the run does not pass.
  const broken = {
    path: "/in/MultiCoil/Cine/TestSet/AccFactor04/P001/cine_lax.mat",
    kind: "fifo" as const,
    reason: "is a named pipe (FIFO), not a k-space file",
    fix: "put the k-space file itself there",
  };
  assert.equal(evaluationOk({ ...ok, inputProblems: [] }), true);
  assert.equal(evaluationOk({ ...ok, inputProblems: [broken] }), false);
});
