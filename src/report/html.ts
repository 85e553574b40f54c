/**
 * Page assembly of the report: one static HTML file with inline CSS and no script or
 * external resource (it opens from disk, offline), image grids that reference the PNG files
 * beside it, and tables whose best values are highlighted.
 *
 * @module
 */

/** Escapes text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}

/** An image on the page: `src` relative to the HTML file; width/height in CSS pixels. */
export interface Img {
  /** Path of the PNG, relative to the HTML file (e.g. `img/cine_sax-gt.png`). */
  src: string;
  /** Displayed width in CSS pixels (rounded). */
  width: number;
  /** Displayed height in CSS pixels (rounded). */
  height: number;
  /** Alternative text. */
  alt: string;
  /** Tooltip, when given. */
  title?: string;
}

/** The `<img>` element (pixelated scaling: one image pixel is a sharp square). */
export function imgTag(i: Img): string {
  return `<img src="${esc(i.src)}" width="${Math.round(i.width)}" height="${
    Math.round(i.height)
  }" alt="${esc(i.alt)}"${i.title ? ` title="${esc(i.title)}"` : ""}>`;
}

/**
 * Indices of the best finite values (`max` or `min` is better); ties all win. Empty when
 * fewer than two values are finite (a single value is not a comparison).
 */
export function bestIndices(values: readonly number[], better: "max" | "min"): Set<number> {
  const finite = values.map((v, i) => [v, i] as const).filter(([v]) =>
    Number.isFinite(v) || v === (better === "max" ? Infinity : -Infinity)
  );
  if (finite.length < 2) return new Set();
  const target = better === "max"
    ? Math.max(...finite.map(([v]) => v))
    : Math.min(...finite.map(([v]) => v));
  return new Set(finite.filter(([v]) => v === target).map(([, i]) => i));
}

/** A table cell. */
export interface Cell {
  /** The cell's text (escaped when written). */
  text: string;
  /** Highlighted as the best of its comparison. */
  best?: boolean;
  /** Tooltip, when given. */
  title?: string;
}

/** A header cell spanning `span` columns. */
export interface HeadCell {
  /** The header's text (escaped when written). */
  text: string;
  /** Columns it spans (default 1). */
  span?: number;
}

/** A table: header rows (after the row-label column), labelled body rows. */
export interface TableSpec {
  /** Caption above the table, when given. */
  caption?: string;
  /** Label of the row-label column. */
  corner?: string;
  /** Header rows, each a list of cells after the row-label column. */
  head: HeadCell[][];
  /** Body rows: the row label, its cells, and `strong` for an aggregate row (bold). */
  rows: { label: string; cells: Cell[]; strong?: boolean }[];
}

/** The `<table>` of a {@link TableSpec}. */
export function table(t: TableSpec): string {
  const head = t.head.map((row, r) =>
    `<tr>${r === 0 ? `<th rowspan="${t.head.length}">${esc(t.corner ?? "")}</th>` : ""}${
      row.map((h) => `<th${h.span && h.span > 1 ? ` colspan="${h.span}"` : ""}>${esc(h.text)}</th>`)
        .join("")
    }</tr>`
  ).join("\n");
  const body = t.rows.map((r) =>
    `<tr${r.strong ? ' class="agg"' : ""}><th>${esc(r.label)}</th>${
      r.cells.map((c) =>
        `<td${c.best ? ' class="best"' : ""}${c.title ? ` title="${esc(c.title)}"` : ""}>${
          esc(c.text)
        }</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  return `<table>${t.caption ? `<caption>${esc(t.caption)}</caption>` : ""}
<thead>${head}</thead>
<tbody>${body}</tbody></table>`;
}

/** A grid of images: one column per source, one row per kind of picture. */
export interface FigureSpec {
  /** Bold title of the figure caption. */
  title: string;
  /** Column headers: the sources. */
  columns: string[];
  /** Rows: the label of the kind of picture and one image per column (null: empty cell). */
  rows: { label: string; cells: (Img | null)[] }[];
  /** Text after the title in the caption, when given. */
  caption?: string;
}

/** The `<figure>` of a {@link FigureSpec} (a missing image leaves its cell empty). */
export function figureGrid(f: FigureSpec): string {
  const head = `<tr><th></th>${f.columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
  const rows = f.rows.map((r) =>
    `<tr><th class="rowlabel">${esc(r.label)}</th>${
      r.cells.map((c) => `<td>${c ? imgTag(c) : ""}</td>`).join("")
    }</tr>`
  ).join("\n");
  return `<figure><figcaption><b>${esc(f.title)}</b>${
    f.caption ? ` ${esc(f.caption)}` : ""
  }</figcaption>
<table class="grid">${head}
${rows}</table></figure>`;
}

/** A colour scale: the bar image with its end values and unit. */
export function colourScale(bar: Img, lo: string, hi: string, label: string): string {
  return `<div class="scale"><span>${esc(lo)}</span>${imgTag(bar)}<span>${esc(hi)}</span> <span>${
    esc(label)
  }</span></div>`;
}

/** A section of the page; `body` is HTML. */
export interface Section {
  /** HTML id of the section, the target of its link in the page's navigation bar. */
  id: string;
  /** Heading of the section (and its link text). */
  title: string;
  /** The section's content, HTML (not escaped). */
  body: string;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d1e0}
nav{padding:8px 28px;background:#e6e9ef;font-size:13px}nav a{margin-right:14px;color:#1d4ed8}
main{padding:8px 28px 40px;max-width:1500px}
section{margin:18px 0 30px}h2{font-size:18px;border-bottom:2px solid #d0d5de;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
p.note{color:#4b5563;max-width:1000px}
table{border-collapse:collapse;margin:8px 0 16px;background:#fff;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #d0d5de;padding:3px 8px;text-align:right}
th{background:#eef1f5;font-weight:600}tbody th{text-align:left}
tr.agg th,tr.agg td{background:#f3f4f8;font-weight:600}
td.best{background:#d9f2dc;font-weight:700;color:#0b5d1e}
figure{margin:12px 0 24px;display:inline-block;vertical-align:top}
figcaption{margin-bottom:6px;max-width:1200px}
table.grid{background:#111;border:0}table.grid th{background:#1d2330;color:#fff;border:0;text-align:center;font-weight:500}
table.grid th.rowlabel{text-align:right;white-space:nowrap;font-size:12px}
table.grid td{border:0;padding:3px;text-align:center;vertical-align:middle}
img{image-rendering:pixelated;display:block;margin:auto}
.scale{display:flex;align-items:center;gap:6px;font-size:12px;margin:4px 0}.scale img{display:inline-block;margin:0}
.verdict-fits{color:#0b5d1e;font-weight:700}.verdict-tight{color:#a15c00;font-weight:700}.verdict-exceeds{color:#b91c1c;font-weight:700}
`;

/** The whole page. */
export function page(p: { title: string; subtitle: string; sections: Section[] }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(p.title)}</h1><p>${esc(p.subtitle)}</p></header>
<nav>${p.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join("")}</nav>
<main>
${
    p.sections.map((s) =>
      `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.body}\n</section>`
    ).join("\n")
  }
</main>
</body>
</html>
`;
}
