/** The MongoDB driver is loaded only when MONGODB_URL is set: most runs use a private FerretDB. */
const mongodb = () => import('mongodb')

/** `url` (MONGODB_URL) when it is set and a server there answers a ping within 2 s; null otherwise. */
export async function reachableMongodbUrl(url = process.env.MONGODB_URL): Promise<string | null> {
  if (!url) return null
  const { MongoClient } = await mongodb()
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000 })
  try {
    await client.connect()
    await client.db('admin').command({ ping: 1 })
    return url
  } catch {
    return null
  } finally {
    // a probe: closing a client that never connected (or already answered) has nothing to report
    await client.close().catch(() => undefined)
  }
}

/** Drops the bench's own database from a server it did not start. */
export async function dropDatabase(url: string, database: string): Promise<void> {
  const { MongoClient } = await mongodb()
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 })
  try {
    await client.connect()
    await client.db(database).dropDatabase()
  } finally {
    // the drop's own failure is what propagates; closing after it is best effort
    await client.close().catch(() => undefined)
  }
}
