import { chmod, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Embedded storage holds password hashes and the token secret: nothing under the data directory
 * may be readable by other local users (issue 6, item 11). Directories are 0700 and files 0600
 * whatever the umask; a file LevelDB creates later (a new table after a compaction) may carry the
 * umask's bits, but it sits inside a 0700 directory that no one else can enter.
 */

/** Creates `dir` (and missing parents) as 0700; an existing `dir` is narrowed to 0700 too. */
export async function createPrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // mkdir's mode is filtered by the umask, and an existing directory keeps its mode
  await chmod(dir, 0o700)
}

/** Narrows everything under `dir`, down to `depth` levels of directories, to 0700 directories and 0600 files. */
export async function makeContentsPrivate(dir: string, depth = 1): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      await chmod(path, 0o700)
      if (depth > 1) await makeContentsPrivate(path, depth - 1)
    } else if (entry.isFile()) {
      await chmod(path, 0o600)
    }
  }
}
