/**
 * The report's figures: pictures of one file's series turned into PNG images (through a
 * {@link PngCollector}) and laid out as HTML figure grids.
 *
 * - {@link caseFigure}: per source one frame, its |error|, the x-t profile and its |error|;
 * - {@link locatorFigure}: where the heart moves (dynamic region, temporal std, full x-t);
 * - {@link mapFigure}: T1/T2 maps per source and their |error| in the fitted pixels.
 *
 * Series have MATLAB dims `(x, y, slice, frame)`, column-major, real; a picture of `(h, w)`
 * values is shown `w` pixels wide and `h` high (x runs down the page), scaled by an integer
 * {@link zoom}. Image files are named `img/<patient>-<coil>-<file>-<AccFactorNN>-<what>.png`.
 *
 * @module
 */

import type { Year } from "../challenge/edition.ts";
import type { SubmissionPathInfo } from "../challenge/paths.ts";
import type { MapKind } from "../mapping/maps.ts";
import {
  applyColormap,
  colorbar,
  type Colormap,
  ERROR_MAP,
  GREY_MAP,
  RELAX_MAP,
} from "./colormap.ts";
import { normalizedSeries } from "./data.ts";
import { figureGrid, type FigureSpec, type Img } from "./html.ts";
import {
  absError,
  displayWindow,
  firstFrames,
  imageAt,
  locatorPicture,
  motionCentre,
  type Series,
  temporalStd,
  xtProfile,
} from "./panels.ts";
import { encodePng, type RasterImage } from "./png.ts";
import { accName, viewOf } from "./gather.ts";

/** One column of a figure: a labelled series (a run, the zero-filled input). */
export interface Source {
  label: string;
  series: Series;
}

/** What the figures show: which scored slice and frame, and the |error| saturation. */
export interface FigureView {
  /** Which scored slice (0-based among the ranking slices; default 0). */
  slice?: number;
  /** Which frame (default 0). */
  frame?: number;
  /** |error| maps saturate at this fraction of the display range (default 0.2). */
  errorScale?: number;
}

/** Encodes a picture as `img/<name>.png` and returns its place on the page (CSS size). */
export type AddPng = (name: string, img: RasterImage, w: number, h: number, alt: string) => Img;

/** The PNG files of a report, by path relative to the report folder, and how to add one. */
export interface PngCollector {
  images: Map<string, Uint8Array>;
  addPng: AddPng;
}

/** A new, empty {@link PngCollector}. */
export function pngCollector(): PngCollector {
  const images = new Map<string, Uint8Array>();
  const addPng: AddPng = (name, img, w, h, alt) => {
    const src = `img/${name}.png`;
    images.set(src, encodePng(img, { text: { Software: "cmrxkit report" } }));
    return { src, width: w, height: h, alt };
  };
  return { images, addPng };
}

/** Display ranges of maps and their errors, ms. */
export const MAP_WINDOWS: Record<MapKind, { map: [number, number]; error: number }> = {
  T1: { map: [0, 2000], error: 200 },
  T2: { map: [0, 150], error: 30 },
};

/** Maps of one file, fitted to the ground truth and to every source. */
export interface MapsOfFile {
  /** Maps per label ("ground truth" first), MATLAB dims (x, y, slice). */
  maps: Map<string, Float32Array>;
  /** Fitted pixels of the ground truth. */
  mask: Uint8Array;
}

function safe(s: string): string {
  return s.replace(/[^\w.-]+/g, "_");
}

/** A colour bar image (`img/scale-<name>.png`) shown 192 x 12. */
export function barImg(map: Colormap, addPng: AddPng, name: string): Img {
  return addPng(`scale-${name}`, colorbar(map, 256, 12), 192, 12, `${name} colour scale`);
}

/** Display size of an (nx, ny) picture: integer zoom of small images to about 160 px. */
function zoom(nx: number, ny: number): number {
  const m = Math.max(nx, ny);
  return m >= 160 ? 1 : Math.max(1, Math.floor(160 / m));
}

/**
 * The figure of one file: per source (the ground truth first when there is one) the chosen
 * frame and its |error|, and for cine the x-t profile through the heart and its |error|,
 * over the first `nC` frames, all normalised as the scorer does and in the ground truth's
 * window.
 */
export function caseFigure(
  gt: Series | undefined,
  sources: Source[],
  nC: number,
  info: SubmissionPathInfo,
  year: Year,
  opts: FigureView,
  addPng: AddPng,
): string {
  const all: Source[] = gt ? [{ label: "ground truth", series: gt }, ...sources] : sources;
  const ref = all[0].series;
  const [nx, ny, nz] = ref.dims;
  const k = Math.min(opts.slice ?? 0, nz - 1);
  const f = Math.min(opts.frame ?? 0, nC - 1);
  const norm = all.map((s) => normalizedSeries(firstFrames(s.series, nC), year));
  const win = displayWindow(imageAt(norm[0], k, f));
  const emax = (opts.errorScale ?? 0.2) * (win[1] - win[0]);
  const z = zoom(nx, ny);
  const col = gt ? motionCentre(temporalStd(gt, k), nx, ny).y : Math.floor(ny / 2);
  const base = safe(`${info.patient}-${info.coil}-${info.name}-${accName(info.acc)}`);
  const xtW = Math.max(nC * z, Math.round((ny * z * 0.6) / nC) * nC);
  const cine = info.task === "cine";
  const rows: FigureSpec["rows"] = [
    { label: cine ? `frame ${f + 1}` : `weighting ${f + 1}`, cells: [] },
    { label: "|error|", cells: [] },
    { label: `x-t (column ${col + 1})`, cells: [] },
    { label: "x-t |error|", cells: [] },
  ];
  /** One picture of `(h, w)` values (MATLAB dims), shown `cssW` wide. */
  const pic = (
    row: number,
    name: string,
    v: Float32Array,
    h: number,
    w: number,
    error: boolean,
    cssW: number,
    alt: string,
  ) =>
    rows[row].cells.push(
      addPng(
        `${base}-${name}`,
        error ? applyColormap(v, h, w, 0, emax, ERROR_MAP) : applyColormap(v, h, w, win[0], win[1]),
        cssW,
        nx * z,
        alt,
      ),
    );
  const gtImg = imageAt(norm[0], k, f), gtXt = cine ? xtProfile(norm[0], k, col, nC) : null;
  for (const [j, s] of norm.entries()) {
    const im = imageAt(s, k, f);
    const lab = all[j].label;
    const err = gt !== undefined && j > 0;
    pic(0, `img-${j}`, im, nx, ny, false, ny * z, `${lab} image`);
    if (err) pic(1, `err-${j}`, absError(im, gtImg), nx, ny, true, ny * z, `${lab} error`);
    else rows[1].cells.push(null);
    if (!cine) continue;
    const xt = xtProfile(s, k, col, nC);
    pic(2, `xt-${j}`, xt, nx, nC, false, xtW, `${lab} x-t profile`);
    if (err) pic(3, `xterr-${j}`, absError(xt, gtXt!), nx, nC, true, xtW, `${lab} x-t error`);
    else rows[3].cells.push(null);
  }
  return figureGrid({
    title: `${info.patient} ${viewOf(info.name)} ${accName(info.acc)}`,
    caption: cine
      ? `(slice ${k + 1}, x-t over ${nC} frame${nC > 1 ? "s" : ""})`
      : `(slice ${k + 1}, weighting ${f + 1})`,
    columns: all.map((s) => s.label),
    rows: rows.filter((_, i) => (gt || i % 2 === 0) && (cine || i < 2)),
  });
}

/**
 * Where the heart moves, from the ground truth of a cine file: its dynamic-region `mask`
 * tinted with the profile column in red, the temporal standard deviation, and the x-t
 * profile over all frames.
 */
export function locatorFigure(
  gt: Series,
  mask: Uint8Array,
  info: SubmissionPathInfo,
  year: Year,
  opts: FigureView,
  addPng: AddPng,
): string {
  const [nx, ny, nz, nt] = gt.dims;
  const k = Math.min(opts.slice ?? 0, nz - 1);
  const f = Math.min(opts.frame ?? 0, nt - 1);
  const norm = normalizedSeries(gt, year);
  const std = temporalStd(gt, k);
  const col = motionCentre(std, nx, ny).y;
  const win = displayWindow(imageAt(norm, k, f));
  const z = zoom(nx, ny);
  const base = safe(`${info.patient}-${info.coil}-${info.name}-truth`);
  const m = mask.subarray(nx * ny * k, nx * ny * (k + 1));
  let smax = 0;
  for (const v of std) if (v > smax) smax = v;
  const xtW = Math.max(nt * z, Math.round((ny * z) / nt) * nt);
  return figureGrid({
    title: `${info.patient} ${viewOf(info.name)}: where the heart moves`,
    caption: `(ground truth, scored slice ${k + 1}, all ${nt} frames)`,
    columns: ["dynamic region + profile line", "temporal std", `x-t, ${nt} frames`],
    rows: [{
      label: "",
      cells: [
        addPng(
          `${base}-locator`,
          locatorPicture(imageAt(norm, k, f), nx, ny, win, col, m),
          ny * z,
          nx * z,
          "dynamic region and profile line",
        ),
        addPng(
          `${base}-std`,
          applyColormap(std, nx, ny, 0, smax, ERROR_MAP),
          ny * z,
          nx * z,
          "temporal standard deviation",
        ),
        addPng(
          `${base}-xtfull`,
          applyColormap(xtProfile(norm, k, col), nx, nt, win[0], win[1], GREY_MAP),
          xtW,
          nx * z,
          "ground truth x-t profile, all frames",
        ),
      ],
    }],
  });
}

/**
 * The maps of one file on the chosen slice: the ground truth's and each source's in the
 * {@link MAP_WINDOWS} range, and each source's |error| drawn in the fitted pixels.
 */
export function mapFigure(
  kind: MapKind,
  gt: Series,
  sources: Source[],
  maps: MapsOfFile,
  info: SubmissionPathInfo,
  opts: FigureView,
  addPng: AddPng,
): string {
  const [nx, ny, nz] = gt.dims;
  const k = Math.min(opts.slice ?? 0, nz - 1);
  const npix = nx * ny;
  const z = zoom(nx, ny);
  const wnd = MAP_WINDOWS[kind];
  const labels = ["ground truth", ...sources.map((s) => s.label)];
  const base = safe(`${info.patient}-${info.coil}-${info.name}-${accName(info.acc)}-map`);
  const gtMap = maps.maps.get("ground truth")!.subarray(npix * k, npix * (k + 1));
  const mask = maps.mask.subarray(npix * k, npix * (k + 1));
  const rows: FigureSpec["rows"] = [
    { label: `${kind} (ms)`, cells: [] },
    { label: `|${kind} error|`, cells: [] },
  ];
  for (const [j, lab] of labels.entries()) {
    const m = maps.maps.get(lab)!.subarray(npix * k, npix * (k + 1));
    rows[0].cells.push(
      addPng(
        `${base}-${j}`,
        applyColormap(m, nx, ny, wnd.map[0], wnd.map[1], RELAX_MAP),
        ny * z,
        nx * z,
        `${lab} ${kind} map`,
      ),
    );
    if (j === 0) rows[1].cells.push(null);
    else {
      const e = absError(m, gtMap);
      for (let i = 0; i < e.length; i++) if (!mask[i]) e[i] = 0;
      rows[1].cells.push(
        addPng(
          `${base}-err-${j}`,
          applyColormap(e, nx, ny, 0, wnd.error, ERROR_MAP),
          ny * z,
          nx * z,
          `${lab} ${kind} error`,
        ),
      );
    }
  }
  return figureGrid({
    title: `${info.patient} ${kind} map ${accName(info.acc)}`,
    caption: `(slice ${k + 1}; |error| in fitted pixels)`,
    columns: labels,
    rows,
  });
}
