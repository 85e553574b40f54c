/**
 * The interface every edition's input-tree reader implements: below a split folder
 * (`.../Cine/ValidationSet/`), which folders it recognises and the cases it finds in them.
 * `layout.ts` walks the part all editions share (coil, modality and split folders) and hands
 * each split folder to the reader that claims it (`mod.ts`).
 *
 * @module
 */

import type { Case, DiscoverOptions, Discovery } from "../case.ts";
import type { Year } from "../edition.ts";
import type { Entry } from "./walk.ts";

/** What a reader knows of the split folder it reads. */
export type SplitContext = Pick<Case, "root" | "coil" | "modality" | "task" | "split">;

/** One edition's reader of the folders below a split folder. */
export interface TreeReader {
  /** The edition whose input tree this reads. */
  readonly year: Year;
  /** An input path of this edition, for the message when a tree matches no edition. */
  readonly expects: string;
  /**
   * Folders above the coil level that hold more of this edition's tree (2025: `TaskR1/`
   * holding `MultiCoil/`), searched beside the coil folders found; absent: none.
   */
  readonly topFolder?: RegExp;
  /**
   * Whether the folders below a split folder (their names) are this edition's tree:
   * `UnderSample_Task1` (2024) or `AccFactor04` (2023).
   */
  claims(folders: readonly string[]): boolean;
  /**
   * Reads the cases of one split folder into `found`: its folders (already listed, links
   * followed) filtered by `opts`; entries that cannot be used become problems, unknown ones
   * are listed as ignored.
   */
  collectSplit(
    found: Discovery,
    ctx: SplitContext,
    folders: readonly Entry[],
    opts: DiscoverOptions,
  ): Promise<void>;
  /**
   * The acceleration an entry below a split folder stands for, from the folder below the
   * split (`AccFactor08`, `UnderSample_Task1`, `Mask_Task1`) and the file name; undefined
   * when they say none. Used to narrow problems to `--acc`.
   */
  accOf(accFolder: string, file?: string): number | undefined;
}
