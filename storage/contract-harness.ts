import { afterEach, beforeEach } from 'vitest'

/** Opens (and after a close, reopens) one store over the same underlying data, as after a restart. */
export interface StoreHarness<T> {
  open(): Promise<T>
  destroy(): Promise<void>
}

/** Gives every test of a contract suite a fresh store; `restart()` closes it and opens it again on the same data. */
export function useStore<T extends { close(): Promise<void> }>(makeHarness: () => Promise<StoreHarness<T>>) {
  let harness: StoreHarness<T>
  let store: T
  beforeEach(async () => {
    harness = await makeHarness()
    store = await harness.open()
  })
  afterEach(async () => {
    await store.close()
    await harness.destroy()
  })
  return {
    get store(): T {
      return store
    },
    async restart(): Promise<T> {
      await store.close()
      store = await harness.open()
      return store
    }
  }
}
