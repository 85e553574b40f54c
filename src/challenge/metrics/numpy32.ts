/**
 * numpy's float32 reductions, bit for bit: pairwise summation with float32 accumulators in
 * blocks of numpy's 8192-element buffer (`mean`, `std`), and `percentile` of `|x|` with
 * linear interpolation. The scorers' normalisations rest on them (`metrics/mod.ts`).
 *
 * A scratch buffer is kept between calls (no allocation per image once warm); not
 * reentrant, which is fine in single-threaded JavaScript.
 *
 * @module
 */

const fr = Math.fround;

let scratchSel = new Float32Array(0);

/**
 * numpy's float32 pairwise summation (`pairwise_sum` in numpy's `loops_utils.h.src`): blocks
 * of at most 128 with 8 float32 accumulators, split in halves (multiple of 8) above that.
 */
function pairwiseSum32(a: Float32Array, off: number, n: number): number {
  if (n < 8) {
    let r = 0;
    for (let i = 0; i < n; i++) r = fr(r + a[off + i]);
    return r;
  }
  if (n <= 128) {
    let r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
    let r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
    const end = n - (n % 8);
    let i = 8;
    for (; i < end; i += 8) {
      const p = off + i;
      r0 = fr(r0 + a[p]);
      r1 = fr(r1 + a[p + 1]);
      r2 = fr(r2 + a[p + 2]);
      r3 = fr(r3 + a[p + 3]);
      r4 = fr(r4 + a[p + 4]);
      r5 = fr(r5 + a[p + 5]);
      r6 = fr(r6 + a[p + 6]);
      r7 = fr(r7 + a[p + 7]);
    }
    let res = fr(fr(fr(r0 + r1) + fr(r2 + r3)) + fr(fr(r4 + r5) + fr(r6 + r7)));
    for (; i < n; i++) res = fr(res + a[off + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return fr(pairwiseSum32(a, off, n2) + pairwiseSum32(a, off + n2, n - n2));
}

/**
 * `np.add.reduce` of a contiguous float32 array as numpy 1.x runs it: the reduction loop
 * sees blocks of the 8192-element buffer size, each summed pairwise, accumulated in float32.
 */
function sum32(a: Float32Array, n: number): number {
  let s = 0;
  for (let off = 0; off < n; off += 8192) {
    s = fr(s + pairwiseSum32(a, off, Math.min(8192, n - off)));
  }
  return s;
}

/**
 * `np.mean(x)` and `np.std(x)` (population) of a float32 image, with numpy's float32
 * pairwise sums in memory order (column-major, as loadmat's Fortran arrays).
 *
 * @param x float32 values, MATLAB dims (nx, ny), column-major
 * @returns `[mean, std]`, both float32 values
 */
export function meanStd32(x: Float32Array): [number, number] {
  const n = x.length;
  const mean = fr(sum32(x, n) / n);
  if (scratchSel.length < n) scratchSel = new Float32Array(n);
  const sq = scratchSel;
  for (let i = 0; i < n; i++) {
    const d = fr(x[i] - mean);
    sq[i] = d * d; // stored as float32: numpy squares in place in float32
  }
  const v = fr(sum32(sq, n) / n);
  return [mean, fr(Math.sqrt(v))];
}

/** Index of the k-th smallest (0-based) after partially ordering `a[0..n)` in place. */
function selectKth(a: Float32Array, n: number, k: number): number {
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three as pivot
    let p = a[mid];
    const l = a[lo], r = a[hi];
    if ((l <= p && p <= r) || (r <= p && p <= l)) { /* p is the median */ }
    else if ((p <= l && l <= r) || (r <= l && l <= p)) p = l;
    else p = r;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * `np.percentile(|x|, q)` with numpy's default `linear` method, as numpy 1.x computes it:
 * virtual index `(n−1)·q/100`, `d = b − a` in float32, then `a + d·γ` (γ < 0.5) or
 * `b − d·(1−γ)` in float64. NaN when any value is NaN.
 *
 * @param x float32 values (any dims; the magnitude is taken)
 * @param q percentile in [0, 100]
 * @returns the percentile as a float64 number
 */
export function percentileAbs(x: Float32Array, q: number): number {
  const n = x.length;
  if (n === 0) return NaN;
  if (scratchSel.length < n) scratchSel = new Float32Array(n);
  const s = scratchSel;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]);
    if (v !== v) return NaN;
    s[i] = v;
  }
  const virt = (n - 1) * (q / 100);
  if (virt >= n - 1) {
    let m = s[0];
    for (let i = 1; i < n; i++) if (s[i] > m) m = s[i];
    return m;
  }
  const k = Math.floor(virt);
  const a = selectKth(s, n, k);
  // after selection every element above index k is >= a; the next order statistic is
  // their minimum
  let b = Infinity;
  for (let i = k + 1; i < n; i++) if (s[i] < b) b = s[i];
  const gamma = virt - k;
  const d = fr(b - a);
  return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma;
}
