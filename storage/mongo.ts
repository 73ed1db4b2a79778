import { type Collection, type IndexDescription, MongoBulkWriteError, MongoServerError } from 'mongodb'

const DUPLICATE_KEY = 11000

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY
}

/** True when every failed write of a bulk insert only hit a unique index (a harmless replay). */
export function onlyDuplicateKeys(error: unknown): boolean {
  if (!(error instanceof MongoBulkWriteError)) return isDuplicateKey(error)
  const failures = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors]
  return failures.length > 0 && failures.every((failure) => failure.code === DUPLICATE_KEY)
}

/**
 * Creates the indexes that do not exist yet. Asking again for an existing index is a no-op
 * on MongoDB but makes FerretDB 1.24 drop the connection, so compare names first; several
 * processes starting at once may still race, which is fine once the indexes exist.
 */
export async function ensureIndexes(collection: Collection<any>, indexes: IndexDescription[]): Promise<void> {
  const missing = async () => {
    const existing = new Set(
      await collection.indexes().then(
        (found) => found.map((index) => index.name),
        () => [] as string[]
      )
    )
    return indexes.filter((index) => !existing.has(index.name))
  }
  const wanted = await missing()
  if (wanted.length === 0) return
  try {
    await collection.createIndexes(wanted)
  } catch (error) {
    // another process created them at the same moment (on FerretDB the connection drops instead of a no-op)
    if ((await missing()).length > 0) throw error
  }
}
