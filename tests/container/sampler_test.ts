import assert from "node:assert/strict";
import {
  NVIDIA_SMI_ARGS,
  parseNvidiaSmiCsv,
  parseStatsLine,
  samplesCsv,
  summarizeSamples,
} from "../../src/container/sampler.ts";

const MIB = 1024 * 1024;

Deno.test("nvidia-smi CSV: noheader,nounits lines, one per GPU", () => {
  // `nvidia-smi --query-gpu=index,memory.used,memory.total,utilization.gpu
  //  --format=csv,noheader,nounits` on a two-GPU machine.
  const text = "0, 20480, 24576, 97\n1, 3, 24576, 0\n";
  assert.deepEqual(NVIDIA_SMI_ARGS, [
    "--query-gpu=index,memory.used,memory.total,utilization.gpu",
    "--format=csv,noheader,nounits",
  ]);
  assert.deepEqual(parseNvidiaSmiCsv(text), [
    { index: 0, memoryUsed: 20480 * MIB, memoryTotal: 24576 * MIB, utilization: 97 },
    { index: 1, memoryUsed: 3 * MIB, memoryTotal: 24576 * MIB, utilization: 0 },
  ]);
});

Deno.test("nvidia-smi CSV: header and units, [N/A] and blank lines", () => {
  const text = [
    "index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]",
    "0, 1234 MiB, 49140 MiB, 37 %",
    "",
    "1, 512 MiB, 49140 MiB, [N/A]",
    "2, [Not Supported], 49140 MiB, 5 %",
  ].join("\r\n");
  const r = parseNvidiaSmiCsv(text);
  assert.equal(r.length, 3);
  assert.deepEqual(r[0], {
    index: 0,
    memoryUsed: 1234 * MIB,
    memoryTotal: 49140 * MIB,
    utilization: 37,
  });
  assert.ok(Number.isNaN(r[1].utilization));
  assert.equal(r[1].memoryUsed, 512 * MIB);
  assert.ok(Number.isNaN(r[2].memoryUsed));
  assert.deepEqual(parseNvidiaSmiCsv("No devices were found\n"), []);
});

Deno.test("engine stats lines: docker (binary units) and podman (decimal units)", () => {
  assert.deepEqual(parseStatsLine("153.27%|1.208GiB / 23.47GiB"), {
    cpuPercent: 153.27,
    memoryUsed: Math.round(1.208 * 1024 ** 3),
    memoryLimit: Math.round(23.47 * 1024 ** 3),
  });
  assert.deepEqual(parseStatsLine("0.00%|0B / 0B"), {
    cpuPercent: 0,
    memoryUsed: 0,
    memoryLimit: 0,
  });
  assert.deepEqual(parseStatsLine("12.5%|350.2MB / 25GB\n"), {
    cpuPercent: 12.5,
    memoryUsed: 350_200_000,
    memoryLimit: 25e9,
  });
  assert.equal(parseStatsLine("--|-- / --"), undefined);
  assert.equal(parseStatsLine(""), undefined);
  assert.equal(parseStatsLine("12%|lots / more"), undefined);
});

Deno.test("sample summary: peaks, means, missing fields; CSV", () => {
  const samples = [
    { t: 0, cpuPercent: 100, memoryUsed: 1e9 },
    { t: 5, cpuPercent: 300, memoryUsed: 3e9, gpuMemoryUsed: 2e9, gpuUtilization: 50 },
    { t: 10, cpuPercent: 200, memoryUsed: 2e9, gpuMemoryUsed: 5e9, gpuUtilization: NaN },
  ];
  const s = summarizeSamples(samples);
  assert.deepEqual(s, {
    samples: 3,
    peakMemory: 3e9,
    meanCpuPercent: 200,
    peakCpuPercent: 300,
    peakGpuMemory: 5e9,
    meanGpuUtilization: 50,
  });
  const none = summarizeSamples([]);
  assert.equal(none.samples, 0);
  assert.equal(none.peakMemory, undefined);
  assert.equal(none.peakGpuMemory, undefined);
  const csv = samplesCsv(samples).trim().split("\n");
  assert.equal(csv[0], "t_s,cpu_percent,memory_bytes,gpu_memory_bytes,gpu_util_percent");
  assert.equal(csv[1], "0.0,100.0,1000000000,,");
  assert.equal(csv[3], "10.0,200.0,2000000000,5000000000,");
});
