/**
 * What `submit` checks of its output folder before any work: the entries it writes (the
 * `Submission` folder, the run log) must be writable where they already exist.
 *
 * @module
 */

import { submissionFolder } from "../challenge/submission.ts";
import { CmrxError } from "../errors.ts";
import { describeKind, entryKind } from "../fsutil.ts";
import { checkOutputDir } from "../output.ts";

/**
 * What submit writes inside the output folder must be writable where it exists: the
 * `Submission` folder, the run log (`--log` anywhere: its folder is checked too).
 */
export async function checkOutputEntries(output: string, logPath: string, customLog: boolean) {
  const sub = await entryKind(submissionFolder(output));
  if (sub.kind !== "directory" && sub.kind !== "missing") {
    throw new CmrxError(`is ${describeKind(sub.kind, sub.detail)}, not a folder`, {
      file: submissionFolder(output),
      hint: "submit writes its files into this folder: move what is there away, or give " +
        "--output another folder",
    });
  }
  if (customLog) {
    const cut = logPath.lastIndexOf("/");
    try {
      await checkOutputDir(cut > 0 ? logPath.slice(0, cut) : cut === 0 ? "/" : ".", "--log");
    } catch (e) {
      if (!(e instanceof CmrxError)) throw e;
      throw new CmrxError(`cannot write the run log: ${e.message.split("\n")[0]}`, {
        file: logPath,
        hint: "give --log a file in a folder you can write to (missing folders are created)",
      });
    }
  }
  const log = await entryKind(logPath);
  if (log.kind !== "file" && log.kind !== "missing") {
    throw new CmrxError(`is ${describeKind(log.kind, log.detail)}, not a file`, {
      file: logPath,
      hint: "the run log is appended to this file: move what is there away" +
        (customLog ? ", or give --log another file" : ""),
    });
  }
}
