/**
 * The phantom's public types and constants: views, label values, tissues and their
 * relaxation properties, a patient's parameters, and the rendered results. Images are MATLAB
 * dims `(nx, ny)` (x fastest), complex data interleaved `(re, im)`.
 *
 * @module
 */

/** Cine views: short axis and the three long-axis views (the 3 "slices" of cine_lax). */
export type CineView = "sax" | "2ch" | "3ch" | "4ch";

/** Long-axis views in the order they are stored as slices of `cine_lax` (kz = 0, 1, 2). */
export const LAX_VIEWS: readonly CineView[] = ["2ch", "3ch", "4ch"];

/** Label values of the phantom's segmentation (see the module table). */
export const LABEL = {
  BACKGROUND: 0,
  LV_BLOOD: 1,
  MYOCARDIUM: 2,
  RV_BLOOD: 3,
  OTHER: 4,
  FAT: 5,
  LUNG: 6,
  LIVER: 7,
  ATRIAL_BLOOD: 8,
  VESSEL_BLOOD: 9,
  BONE: 10,
} as const;

/** Tissue classes the phantom is built from. */
export type Tissue =
  | "air"
  | "fat"
  | "muscle"
  | "lung"
  | "liver"
  | "myocardium"
  | "blood"
  | "marrow"
  | "cortical"
  | "csf"
  | "soft";

/** Relaxation and proton density of a tissue at 3 T. */
export interface TissueProps {
  /** longitudinal relaxation time, ms */
  t1: number;
  /** transverse relaxation time, ms */
  t2: number;
  /** relative proton density (water = 1) */
  pd: number;
}

/** Random but plausible anatomy and physiology of one synthetic patient (mm, rad, ms). */
export interface PhantomParams {
  /** seed the parameters came from; also seeds the per-view/per-slice details */
  seed: number;
  /** body outline: centre offset from the image centre, semi-axes, layer thicknesses (mm) */
  body: { cx: number; cy: number; a: number; b: number; fat: number; muscle: number };
  /** heart placement and size */
  heart: {
    /** LV centre at mid-ventricle in SAX, mm from the image centre */
    cx: number;
    cy: number;
    /** in-plane rotation of the SAX anatomy, rad */
    angle: number;
    /** end-diastolic LV endocardial radius at mid-ventricle, mm */
    lvRadius: number;
    /** end-diastolic LV wall thickness, mm */
    wall: number;
    /** RV size relative to normal */
    rvSize: number;
    /** end-diastolic LV cavity length base to apex (long-axis views), mm */
    lvLength: number;
    /** direction base -> apex in the long-axis views, rad from +x (negative = up-right) */
    laxAngle: number;
    /** centre of the long-axis heart (midway LA to apex), mm from the image centre */
    laxCx: number;
    laxCy: number;
    /** atrial size relative to normal */
    atrialSize: number;
    /** epicardial fat thickness, mm */
    epiFat: number;
  };
  /** cardiac motion */
  motion: {
    /** phase of frame 0 in cycles (small: frame 0 is near end-diastole) */
    phaseOffset: number;
    /** fraction of the cycle spent in systole */
    systole: number;
    /** fractional shrink of the LV endocardial radius at end-systole */
    contraction: number;
    /** fractional shrink of the RV at end-systole */
    rvContraction: number;
    /** fractional long-axis shortening at end-systole */
    shortening: number;
  };
  /** tissue relaxation properties */
  tissues: Record<Tissue, TissueProps>;
  /** multiplicative cine brightness jitter per tissue (inflow, flow voids, coil loading) */
  brightness: Record<Tissue, number>;
  /** optional myocardial lesion (oedema-like raised T1/T2 in a sector), or null */
  lesion: null | {
    /** sector centre angle relative to the LV centre, rad */
    angle: number;
    /** sector half-width, rad */
    width: number;
    /** SAX slice positions (0 base .. 1 apex) covered */
    zFrom: number;
    zTo: number;
    /** multiplicative raise of T1 and T2 inside the lesion */
    t1Scale: number;
    t2Scale: number;
  };
}

/** A rendered cine frame. */
export interface CineFrame {
  /** complex interleaved image, MATLAB dims `(nx, ny)` (x fastest), blood magnitude ~1 */
  image: Float32Array;
  /** labels, dims `(nx, ny)`, values as in {@link LABEL} */
  label: Uint8Array;
}

/** A rendered mapping series with ground truth. */
export interface MappingImages {
  /** complex interleaved images, MATLAB dims `(nx, ny, ntimes)` */
  images: Float32Array;
  /** labels, dims `(nx, ny)` */
  label: Uint8Array;
  /** ground-truth T1, ms, dims `(nx, ny)`; 0 in air */
  t1: Float32Array;
  /** ground-truth T2, ms, dims `(nx, ny)`; 0 in air */
  t2: Float32Array;
}

/** MOLLI apparent-recovery ratio B/A used by the signal model. */
export const MOLLI_B_OVER_A = 2.2;
