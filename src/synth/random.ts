/**
 * Seeded pseudo-random numbers for the synthetic datasets: xoshiro128** seeded through
 * splitmix32, uniform and Gaussian (Box–Muller) draws, and `deriveSeed` to split one
 * dataset seed into independent streams per patient / file / slice.
 *
 * Everything here is deterministic across platforms (32-bit integer arithmetic only).
 *
 * @module
 */

/** splitmix32 step: returns the next state and a well-mixed 32-bit output. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z = (z ^ (z >>> 16)) >>> 0;
  return [s, z];
}

/** 32-bit avalanche mix (murmur3 finaliser). */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A new 32-bit seed for an independent stream, derived from `seed` and a path of labels,
 * e.g. `deriveSeed(seed, "P003", "cine_sax", "slice", 4)`. Numbers and strings are kept
 * distinct (`1` differs from `"1"`), and label order matters.
 * @param seed any number (its low 32 bits after `>>> 0` are used)
 * @param labels strings or integers naming the stream
 * @returns an unsigned 32-bit integer
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let h = mix32((seed >>> 0) ^ 0x243f6a88);
  for (const label of labels) {
    const text = typeof label === "number" ? `#${label}` : `$${label}`;
    for (let i = 0; i < text.length; i++) {
      h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0; // FNV-1a step
    }
    h = mix32((h + 0x9e3779b9) >>> 0);
  }
  return h;
}

/** A seeded xoshiro128** generator with uniform and Gaussian draws. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /**
   * A generator whose state is seeded through splitmix32.
   * @param seed any number; its low 32 bits are used
   */
  constructor(seed: number) {
    let s = seed >>> 0;
    let out: number;
    [s, out] = splitmix32(s);
    this.a = out;
    [s, out] = splitmix32(s);
    this.b = out;
    [s, out] = splitmix32(s);
    this.c = out;
    [s, out] = splitmix32(s);
    this.d = out;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next raw unsigned 32-bit integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform draw in `[lo, hi)` (default `[0, 1)`), 32-bit resolution, never exactly `hi`. */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * (this.nextUint32() / 4294967296);
  }

  /** Gaussian draw (Box–Muller, one spare value cached). */
  gaussian(mean = 0, sd = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + sd * z;
    }
    const u1 = (this.nextUint32() + 1) / 4294967297; // (0, 1], log is finite
    const u2 = this.nextUint32() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + sd * r * Math.cos(2 * Math.PI * u2);
  }

  /** Integer in `[lo, hi)`. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo));
  }

  /** Uniform draw around `centre` with relative spread: `centre * (1 + uniform(-rel, rel))`. */
  jitter(centre: number, rel: number): number {
    return centre * (1 + this.uniform(-rel, rel));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Shorthand: `new Rng(deriveSeed(seed, ...labels))`. */
export function rngFor(seed: number, ...labels: (string | number)[]): Rng {
  return new Rng(deriveSeed(seed, ...labels));
}
