import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The directory of mqchat's package.json: one level up from this file in the sources, three from the
 * compiled copy (dist/server/core/, `npm run build`). Files that are read, not imported (package.json,
 * the web app's sources, the password worker) are found from here, so both layouts find the same ones.
 */
function findRoot(): URL {
  let dir = new URL('./', import.meta.url)
  for (;;) {
    if (existsSync(new URL('package.json', dir))) return dir
    const parent = new URL('../', dir)
    if (parent.href === dir.href) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

const root = findRoot()

/** An absolute path to `relative` (e.g. `clients/web/main.ts`) under the package root. */
export function sourcePath(relative: string): string {
  return fileURLToPath(new URL(relative, root))
}
