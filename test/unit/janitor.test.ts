import { describe, expect, it } from 'vitest'
import { Janitor } from '../../bench/services/janitor.js'

describe('bench Janitor', () => {
  it('reports the failure of a step registered after clean-up began, with the others', async () => {
    const janitor = new Janitor()
    const ran: string[] = []
    janitor.defer('first', async () => {
      ran.push('first')
      throw new Error('first failed')
    })
    janitor.defer('starting', async () => {
      ran.push('starting')
      // something that was starting when the interrupt came registers its undo step now
      janitor.defer('late', async () => {
        ran.push('late')
        throw new Error('late failed')
      })
    })
    expect(await janitor.cleanUp()).toEqual(['first: first failed', 'late: late failed'])
    expect(ran).toEqual(['starting', 'late', 'first'])
  })
})
