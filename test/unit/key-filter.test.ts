import { describe, expect, it } from 'vitest'
import { KeyFilter } from '../../storage/key-filter.js'
import { LruMap } from '../../storage/lru-map.js'

describe('KeyFilter', () => {
  it('has every key added and few of those never added', () => {
    const filter = new KeyFilter()
    for (let i = 0; i < 20_000; i++) filter.add(`user-${i}`)
    for (let i = 0; i < 20_000; i++) expect(filter.mayHave(`user-${i}`)).toBe(true)
    let falsePositives = 0
    for (let i = 0; i < 20_000; i++) if (filter.mayHave(`other-${i}`)) falsePositives += 1
    expect(falsePositives).toBeLessThan(20)
  })

  it('has nothing when empty, in a small filter too', () => {
    const filter = new KeyFilter(6, 3)
    expect(filter.mayHave('')).toBe(false)
    expect(filter.mayHave('alice')).toBe(false)
    filter.add('')
    filter.add('alice')
    expect(filter.mayHave('')).toBe(true)
    expect(filter.mayHave('alice')).toBe(true)
  })

  it('fills once, and again after a fill failed', async () => {
    const filter = new KeyFilter()
    let fills = 0
    const failing = async () => {
      fills += 1
      throw new Error('read failed')
    }
    await expect(filter.filled(failing)).rejects.toThrow('read failed')
    const fill = async () => {
      fills += 1
      filter.add('alice')
    }
    await filter.filled(fill)
    await filter.filled(fill)
    expect(fills).toBe(2)
    expect(filter.mayHave('alice')).toBe(true)
  })
})

describe('LruMap', () => {
  it('drops the least recently used entry past its capacity', () => {
    const map = new LruMap<string, number>(2)
    map.set('a', 1)
    map.set('b', 2)
    expect(map.get('a')).toBe(1)
    map.set('c', 3)
    expect(map.get('b')).toBeUndefined()
    expect(map.get('a')).toBe(1)
    expect(map.get('c')).toBe(3)
    map.set('a', 4)
    map.set('d', 5)
    expect(map.get('c')).toBeUndefined()
    expect(map.get('a')).toBe(4)
    map.delete('a')
    expect(map.get('a')).toBeUndefined()
    expect(map.size).toBe(1)
  })
})
