/**
 * The input-tree readers of the editions whose data cmrxkit can discover, and the choice of
 * the reader for a split folder. Adding an edition's discovery means adding its reader here.
 *
 * @module
 */

import type { TreeReader } from "./tree.ts";
import { TREE_2023 } from "./tree2023.ts";
import { TREE_2024 } from "./tree2024.ts";
import { TREE_2025 } from "./tree2025.ts";

export type { SplitContext, TreeReader } from "./tree.ts";

/**
 * Every reader, the most specific claim first (2025's `UnderSample_TaskR1` before 2024's
 * `UnderSample_TaskN`, before 2023).
 */
export const TREES: readonly TreeReader[] = [TREE_2025, TREE_2024, TREE_2023];

/**
 * The reader of a split folder from the names of the folders below it: the first that
 * claims them, else 2023's (which lists what it does not know as ignored).
 */
export function treeFor(folders: readonly string[]): TreeReader {
  return TREES.find((t) => t.claims(folders)) ?? TREE_2023;
}
