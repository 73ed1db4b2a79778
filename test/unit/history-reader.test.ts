import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readHistory } from '../../api/history-reader.js'
import type { Envelope } from '../../core/message.js'
import { LevelChatLog } from '../../storage/chat-log/level-chat-log.js'
import { LevelHistoryStore } from '../../storage/history/level-history-store.js'
import { openLevel, type StringLevel } from '../../storage/level.js'
import { makeTempDir } from '../helpers/temp-dir.js'

describe('readHistory: history plus what the persisters have not stored yet', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  let dbs: StringLevel[]
  let chatLog: LevelChatLog
  let history: LevelHistoryStore
  let sent: Envelope[]

  beforeEach(async () => {
    dir = await makeTempDir()
    dbs = [await openLevel(`${dir.path}/log`), await openLevel(`${dir.path}/history`)]
    chatLog = await LevelChatLog.open(dbs[0]!)
    history = new LevelHistoryStore(dbs[1]!)
    sent = []
    for (let i = 1; i <= 20; i++)
      sent.push((await chatLog.append({ room: 'r', id: `m${i}`, from: 'a', body: `${i}`, type: 'text' })).envelope)
    // stored out of order, as several persisters may: 1..8 and 12..15, not 9..11 and 16..20
    await history.insertMany([...sent.slice(0, 8), ...sent.slice(11, 15)])
  })
  afterEach(async () => {
    for (const db of dbs) await db.close()
    await dir.remove()
  })

  const seqs = (page: Envelope[]) => page.map((e) => e.seq)

  it('catches up after a seq with no hole where the persisters lag', async () => {
    expect(seqs(await readHistory(history, chatLog, 'r', { after: 5, limit: 10 }))).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    expect(seqs(await readHistory(history, chatLog, 'r', { after: 15, limit: 10 }))).toEqual([16, 17, 18, 19, 20])
    expect(seqs(await readHistory(history, chatLog, 'r', { after: 20, limit: 10 }))).toEqual([])
    expect(seqs(await readHistory(history, chatLog, 'r', { after: 0, before: 4, limit: 10 }))).toEqual([1, 2, 3])
  })

  it('pages newest first with no hole', async () => {
    expect(seqs(await readHistory(history, chatLog, 'r', { limit: 6 }))).toEqual([20, 19, 18, 17, 16, 15])
    expect(seqs(await readHistory(history, chatLog, 'r', { before: 13, limit: 5 }))).toEqual([12, 11, 10, 9, 8])
    expect(seqs(await readHistory(history, chatLog, 'r', { before: 3, limit: 5 }))).toEqual([2, 1])
    expect(await readHistory(history, chatLog, 'empty', { limit: 5 })).toEqual([])
  })

  it('returns the stored envelopes unchanged', async () => {
    expect(await readHistory(history, chatLog, 'r', { after: 0, limit: 20 })).toEqual(sent)
  })
})
