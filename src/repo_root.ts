/**
 * Where cmrxkit's own files are: the repository (or, in the evaluation image, the app folder)
 * that holds `deno.json`, found from this module's URL, so it does not depend on the folder a
 * command runs in.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root (where deno.json is); a file path, spaces and all (not URL-encoded). */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");
