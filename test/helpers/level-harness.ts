import { openLevel, type StringLevel } from '../../storage/level.js'
import { makeTempDir } from './temp-dir.js'

/** Each open() gets a fresh LevelDB handle on the same directory, as after a process restart. */
export async function levelHarness<T extends { close(): Promise<void> }>(make: (db: StringLevel) => Promise<T> | T) {
  const dir = await makeTempDir()
  let db: StringLevel | undefined
  return {
    async open(): Promise<T> {
      await db?.close()
      db = await openLevel(dir.path)
      const store = await make(db)
      const handle = db
      const closeStore = store.close.bind(store)
      return Object.assign(store, {
        close: async () => {
          await closeStore()
          await handle.close()
        }
      })
    },
    async destroy() {
      await db?.close()
      await dir.remove()
    }
  }
}
