/**
 * Which keys may have a record: a Bloom filter of fixed size, so that a store can answer a key that
 * was never written without reading its database. `mayHave` is false only for keys never added;
 * it never forgets, so a deleted key stays a (harmless) false positive that costs the read it would
 * have cost anyway. 2^20 bits (128 KiB) and 7 hashes: about 1% false positives at 100,000 keys,
 * a third at 300,000 (never worse than no filter).
 */
export class KeyFilter {
  private readonly words: Uint32Array
  private readonly mask: number
  private filling: Promise<void> | null = null

  constructor(
    log2Bits = 20,
    private readonly hashes = 7
  ) {
    this.words = new Uint32Array(2 ** (log2Bits - 5))
    this.mask = 2 ** log2Bits - 1
  }

  /** Resolves once `fill` has added every key that has a record: run on the first call, again after it failed. */
  filled(fill: () => Promise<void>): Promise<void> {
    this.filling ??= fill().catch((error: unknown) => {
      this.filling = null
      throw error
    })
    return this.filling
  }

  add(key: string): void {
    let [h1, h2] = hashPair(key)
    for (let i = 0; i < this.hashes; i++, h1 = (h1 + h2) >>> 0) {
      const bit = h1 & this.mask
      this.words[bit >>> 5]! |= 1 << (bit & 31)
    }
  }

  mayHave(key: string): boolean {
    let [h1, h2] = hashPair(key)
    for (let i = 0; i < this.hashes; i++, h1 = (h1 + h2) >>> 0) {
      const bit = h1 & this.mask
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false
    }
    return true
  }
}

/** Two independent 32-bit FNV-1a hashes (double hashing derives the others from them). */
function hashPair(key: string): [number, number] {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
  }
  // odd, so that the derived positions cycle through every bit
  return [mix(h1), (mix(h2) | 1) >>> 0]
}

/** MurmurHash3's finalizer: every output bit depends on every input bit (FNV's low bits do not). */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
