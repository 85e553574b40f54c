/**
 * Reference images for scoring, made in worker threads: `challenge/score.ts` receives the
 * coil combination as a function ({@link ReferenceRss}) so that it never imports how images
 * are reconstructed; the pipeline, which knows both, hands it one backed by a
 * {@link SlicePool}.
 *
 * ```ts
 * using pool = new SlicePool();
 * const report = await scoreSubmission({ submission, truth, rss: pooledRss(pool) });
 * ```
 *
 * @module
 */

import type { ReferenceRss } from "../challenge/truth.ts";
import type { SlicePool } from "../recon/pool.ts";

/** IFFT + RSS of fully sampled slices on the pool's workers (the `zerofill` method). */
export function pooledRss(pool: SlicePool): ReferenceRss {
  return async (kspace, dims, task) => {
    const [nx, ny] = dims;
    const r = await pool.run("zerofill", {
      kspace,
      dims,
      mask: new Float32Array(nx * ny).fill(1),
      maskDims: [nx, ny],
      task,
    });
    return r.image;
  };
}
