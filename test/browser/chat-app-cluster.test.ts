import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestCluster, type TestCluster } from '../helpers/cluster.js'
import {
  createRoomInPage,
  expectShown,
  launchChromium,
  openPage,
  openRoomInPage,
  registerInPage,
  sendInPage,
  shownMessages
} from './chat-page.js'

describe('the chat app at / of `mqchat bridge` nodes in a cluster, in a real chromium (issue 8, part 2)', () => {
  let cluster: TestCluster
  let bridges: { httpUrl: string }[]
  let browser: Browser

  beforeAll(async () => {
    cluster = await startTestCluster()
    await cluster.start('broker')
    bridges = [await cluster.start('bridge'), await cluster.start('bridge')]
    browser = await launchChromium()
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await cluster?.stop()
  }, 60_000)

  it('two users on two bridges chat both ways; a message in another room shows as unread until opened; back after being away, the unread count from the server (after the read pointer the page moved) shows', async () => {
    const a = await openPage(await browser.newContext(), bridges[0]?.httpUrl as string)
    const b = await openPage(await browser.newContext(), bridges[1]?.httpUrl as string)
    await registerInPage(a.page, 'hana')
    await registerInPage(b.page, 'ivan')
    await createRoomInPage(a.page, 'north', ['ivan'])
    await openRoomInPage(b.page, 'north')
    await sendInPage(a.page, 'from bridge one')
    await expectShown(b.page, 'from bridge one')
    await sendInPage(b.page, 'and back from bridge two')
    await expectShown(a.page, 'and back from bridge two')
    expect((await shownMessages(a.page)).map((message) => [message.seq, message.from, message.body])).toEqual([
      [1, 'hana', 'from bridge one'],
      [2, 'ivan', 'and back from bridge two']
    ])

    await createRoomInPage(a.page, 'south', ['ivan'])
    const rooms = b.page.getByRole('navigation', { name: 'Rooms' })
    await rooms.getByRole('button', { name: 'south' }).waitFor()
    await sendInPage(a.page, 'over here')
    await rooms.getByRole('button', { name: 'south' }).getByLabel('1 unread').waitFor()
    await openRoomInPage(b.page, 'south')
    await expectShown(b.page, 'over here')
    expect(await rooms.getByLabel(/unread/).count()).toBe(0)

    // away and back: the page starts from the server's unread count (messages after ivan's read pointer)
    const ivanContext = b.page.context()
    await b.page.close()
    await openRoomInPage(a.page, 'north')
    await sendInPage(a.page, 'while you were away 1')
    await sendInPage(a.page, 'while you were away 2')
    await expectShown(a.page, 'while you were away 2')
    const back = await openPage(ivanContext, bridges[1]?.httpUrl as string)
    const north = back.page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: 'north' })
    await north.getByLabel('2 unread').waitFor()
    expect(
      await back.page
        .getByRole('navigation', { name: 'Rooms' })
        .getByLabel(/unread/)
        .count()
    ).toBe(1)
    b.problems.push(...back.problems)
    b.offOrigin.push(...back.offOrigin)
    expect([...a.problems, ...b.problems]).toEqual([])
    expect([...a.offOrigin, ...b.offOrigin]).toEqual([])
  })
})
