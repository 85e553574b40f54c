import assert from "node:assert/strict";
import { Svt } from "../../src/linalg/svt.ts";

/** C = U diag(s) V^H with orthonormal U (npix x nt) and V (nt x nt), split complex. */
function knownMatrix(npix: number, s: number[]): { re: Float64Array; im: Float64Array } {
  const nt = s.length;
  const re = new Float64Array(npix * nt), im = new Float64Array(npix * nt);
  // U: column t is the unit vector e_t scaled by a phase; V: a 2 x 2 rotation block
  const c = Math.cos(0.3), sn = Math.sin(0.3);
  const v = [[c, -sn], [sn, c]]; // V[t][k], real orthogonal (nt = 2)
  for (let k = 0; k < nt; k++) {
    const ur = Math.cos(k + 1), ui = Math.sin(k + 1); // U[p = k][k] = e^{i(k+1)}
    for (let t = 0; t < nt; t++) {
      // C[k, t] = U[k, k] s_k conj(V[t, k])
      re[k + npix * t] = ur * s[k] * v[t][k];
      im[k + npix * t] = ui * s[k] * v[t][k];
    }
  }
  return { re, im };
}

Deno.test("Svt: the largest singular value, and thresholding shrinks each singular value by tau", () => {
  const npix = 5, s = [4, 1];
  const { re, im } = knownMatrix(npix, s);
  const svt = new Svt(2);
  assert.ok(Math.abs(svt.sigmaMax(re, im, npix) - 4) < 1e-10);

  // tau = 1.5: singular values (2.5, 0), rank 1, C scaled by 2.5 / 4 along the first pair
  const expect = knownMatrix(npix, [2.5, 0]);
  const rank = svt.threshold(re, im, npix, 1.5);
  assert.equal(rank, 1);
  for (let i = 0; i < re.length; i++) {
    assert.ok(Math.abs(re[i] - expect.re[i]) < 1e-10 && Math.abs(im[i] - expect.im[i]) < 1e-10);
  }
  assert.ok(Math.abs(svt.sigmaMax(re, im, npix) - 2.5) < 1e-10);

  // tau <= 0 leaves C unchanged and reports full rank
  const before = re.slice();
  assert.equal(svt.threshold(re, im, npix, 0), 2);
  assert.deepEqual(re, before);
});
