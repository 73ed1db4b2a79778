import { ClassicLevel } from 'classic-level'
import { createPrivateDir, makeContentsPrivate } from './private-files.js'

/** A LevelDB database of string keys and string values: each embedded store owns one. */
export type StringLevel = ClassicLevel<string, string>

/** Opens (or creates) the database at `location`, readable by this user only. */
export async function openLevel(location: string): Promise<StringLevel> {
  await createPrivateDir(location)
  const db = new ClassicLevel<string, string>(location, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  await db.open()
  await makeContentsPrivate(location)
  return db
}

/** Fixed-width decimal, so that keys sort by number. */
export function pad(n: number, width = 12): string {
  return String(n).padStart(width, '0')
}
