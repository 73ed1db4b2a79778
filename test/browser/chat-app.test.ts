import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { restClient } from '../helpers/rest.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'
import {
  createRoomInPage,
  expectShown,
  launchChromium,
  openPage,
  openRoomInPage,
  PASSWORD,
  registerInPage,
  screenshot,
  sendInPage,
  shownMessages
} from './chat-page.js'

describe('the chat app at / in a real chromium (issue 8, parts 2 and 4)', () => {
  let node: TestNode
  let browser: Browser
  let proxy: TcpProxy | undefined
  let run = 0

  beforeAll(async () => {
    node = await startTestNode({ MQCHAT_REGISTER_LIMIT_PER_ADDRESS: '1000' })
  })
  afterAll(async () => {
    await node?.destroy()
  })
  // a new browser per test: playwright gives each launch a fresh, empty --user-data-dir
  beforeEach(async () => {
    browser = await launchChromium()
    run += 1
  })
  afterEach(async () => {
    await browser?.close()
    await proxy?.close()
    proxy = undefined
  })

  it('two users register, open a room and chat both ways, with typing and presence; a reload shows the history; a direct room', async () => {
    const [alice, bob] = [`alice${run}`, `bob${run}`]
    const a = await openPage(await browser.newContext(), node.httpUrl)
    const b = await openPage(await browser.newContext(), node.httpUrl)
    await registerInPage(a.page, alice)
    await registerInPage(b.page, bob)

    await createRoomInPage(a.page, 'team', [bob])
    // bob's list picks the room up from his inbox's `invited` notice
    await openRoomInPage(b.page, 'team')
    await a.page.getByRole('img', { name: `${bob} is online` }).waitFor()

    await sendInPage(a.page, 'hello bob')
    await expectShown(b.page, 'hello bob')
    await b.page.getByRole('textbox', { name: 'Message team' }).pressSequentially('hi')
    await a.page.getByText(`${bob} is typing…`).waitFor()
    await sendInPage(b.page, 'hi alice, all good?')
    await expectShown(a.page, 'hi alice, all good?')
    await sendInPage(a.page, 'yes: the app works')
    await expectShown(b.page, 'yes: the app works')

    const expected = [
      { seq: 1, from: alice, body: 'hello bob' },
      { seq: 2, from: bob, body: 'hi alice, all good?' },
      { seq: 3, from: alice, body: 'yes: the app works' }
    ]
    expect(await shownMessages(a.page)).toEqual(expected)
    expect(await shownMessages(b.page)).toEqual(expected)
    await screenshot(a.page, 'chat.png')

    await b.page.reload()
    await openRoomInPage(b.page, 'team')
    await expectShown(b.page, 'yes: the app works')
    expect(await shownMessages(b.page)).toEqual(expected)

    // a direct room: titled with the other member, with their presence dot
    await a.page.getByLabel('Direct message (one member)').check()
    await a.page.getByLabel('Members (usernames, comma separated)').fill(bob)
    await a.page.getByRole('button', { name: 'Create room' }).click()
    await a.page.getByRole('heading', { name: bob, level: 2 }).waitFor()
    await sendInPage(a.page, 'just us')
    const direct = b.page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: alice })
    await direct.getByRole('img', { name: `${alice} is online` }).waitFor()
    await direct.click()
    await expectShown(b.page, 'just us')

    expect([...a.problems, ...b.problems]).toEqual([])
    expect([...a.offOrigin, ...b.offOrigin]).toEqual([])
  })

  it('a user whose network is cut sees, after reconnecting, all 20 messages sent meanwhile once and in order, and their own offline send goes out once', async () => {
    const [carol, dave] = [`carol${run}`, `dave${run}`]
    // dave reaches the node through a TCP proxy that can cut his connections (REST and /mqtt alike)
    proxy = await startTcpProxy({ host: '127.0.0.1', port: node.httpPort })
    const daveOrigin = `http://127.0.0.1:${proxy.port}`
    const c = await openPage(await browser.newContext(), node.httpUrl)
    const d = await openPage(await browser.newContext(), daveOrigin)
    await registerInPage(c.page, carol)
    await registerInPage(d.page, dave)
    await createRoomInPage(c.page, 'ops', [dave])
    await openRoomInPage(d.page, 'ops')
    await sendInPage(c.page, 'before the cut')
    await expectShown(d.page, 'before the cut')

    proxy.cut()
    await d.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor()
    await sendInPage(d.page, 'sent while offline')
    await d.page.locator('li[data-pending]', { hasText: 'sent while offline' }).getByText('Sending…').waitFor()
    for (let i = 1; i <= 20; i++) await sendInPage(c.page, `missed ${i}`)
    await expectShown(c.page, 'missed 20')

    proxy.resume()
    await expectShown(d.page, 'missed 20')
    await expectShown(d.page, 'sent while offline')
    await expectShown(c.page, 'sent while offline')
    await d.page.locator('[data-status="online"]').waitFor({ state: 'attached' })
    expect(await d.page.locator('li[data-pending]').count()).toBe(0)

    const bodies = ['before the cut', ...Array.from({ length: 20 }, (_, i) => `missed ${i + 1}`), 'sent while offline']
    for (const page of [c.page, d.page]) {
      const shown = await shownMessages(page)
      expect(shown.map((message) => message.body)).toEqual(bodies)
      expect(shown.map((message) => message.seq)).toEqual(bodies.map((_, i) => i + 1))
    }
    await screenshot(d.page, 'after-reconnect.png')
    expect(c.problems).toEqual([])
    // dave's console shows the refused connections while cut, and nothing else
    expect(d.problems.filter((text) => !/ERR_CONNECTION_(RESET|REFUSED)|WebSocket connection/.test(text))).toEqual([])
    expect([...c.offOrigin, ...d.offOrigin]).toEqual([])
  })

  it('on a phone-sized viewport, by keyboard: sign in, open a room, scroll back through 120 messages page by page', async () => {
    const [erin, frank] = [`erin${run}`, `frank${run}`]
    const rest = restClient(node.httpUrl)
    const { token } = await rest.register(erin, PASSWORD)
    await rest.register(frank, PASSWORD)
    const room = await rest.createRoom(token, 'long', [frank])
    for (let i = 1; i <= 120; i++) {
      const sent = await rest.call('POST', `/v1/rooms/${room.id}/messages`, { body: `line ${i}` }, token)
      expect(sent.status).toBe(201)
    }
    const { page, problems, offOrigin } = await openPage(await browser.newContext({ viewport: { width: 390, height: 844 } }), node.httpUrl)
    await page.getByLabel('Username').focus()
    await page.keyboard.type(erin)
    await page.keyboard.press('Tab')
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: 'long' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'long', level: 2 }).waitFor()
    // one pane at a time on a phone: the room list is hidden while a room is open
    expect(await page.getByRole('navigation', { name: 'Rooms' }).isHidden()).toBe(true)
    await expectShown(page, 'line 120')
    expect((await shownMessages(page)).map((message) => message.seq)).toEqual(range(71, 120))

    const log = page.getByRole('log')
    await log.evaluate((el) => {
      el.scrollTop = 0
    })
    await page.locator('li[data-seq="21"]').waitFor({ state: 'attached' })
    // the older page went in above: the view stayed where it was instead of jumping to the top
    expect(await log.evaluate((el) => el.scrollTop)).toBeGreaterThan(0)
    await log.evaluate((el) => {
      el.scrollTop = 0
    })
    await page.getByText('Beginning of the conversation').waitFor()
    expect((await shownMessages(page)).map((message) => message.seq)).toEqual(range(1, 120))
    await screenshot(page, 'phone.png')

    await page.getByRole('button', { name: 'Back to rooms' }).click()
    await page.getByRole('navigation', { name: 'Rooms' }).waitFor()
    expect(problems).toEqual([])
    expect(offOrigin).toEqual([])
  })

  it('a send the server rejects shows "Not sent" with the reason and Retry; a retry goes out with the same id, once', async () => {
    // its own node: one send per second per user, no burst, so a second send at once is rate_limited
    const strict = await startTestNode({ MQCHAT_RATE_LIMIT_PER_SECOND: '1', MQCHAT_RATE_LIMIT_BURST: '1' })
    try {
      const rest = restClient(strict.httpUrl)
      const { token } = await rest.register('gina', PASSWORD)
      const room = await rest.createRoom(token, 'quiet')
      const { page, problems, offOrigin } = await openPage(await browser.newContext(), strict.httpUrl)
      await page.evaluate((t) => localStorage.setItem('mqchat.login', JSON.stringify({ userId: 'gina', token: t })), token)
      await page.reload()
      await openRoomInPage(page, 'quiet')
      await sendInPage(page, 'first')
      await sendInPage(page, 'second')
      const failed = page.locator('li[data-pending]', { hasText: 'second' })
      await failed.getByText('Not sent (rate_limited)').waitFor()
      const id = await failed.getAttribute('data-pending')
      // Retry until the limiter lets it through (each failed retry shows Retry again)
      while ((await page.locator('li[data-pending]').count()) > 0) {
        await failed.getByRole('button', { name: 'Retry' }).click()
        await page.waitForFunction(
          () => !document.querySelector('li[data-pending]') || document.querySelector('li[data-pending] button') !== null
        )
      }
      expect((await shownMessages(page)).map((message) => message.body)).toEqual(['first', 'second'])
      const stored = await rest.history(token, room.id, '?after=0')
      expect(stored.map((message) => [message.seq, message.body])).toEqual([
        [1, 'first'],
        [2, 'second']
      ])
      expect(stored[1]?.id).toBe(id)
      expect(problems).toEqual([])
      expect(offOrigin).toEqual([])
    } finally {
      await strict.destroy()
    }
  })

  it('a token revoked while the page is open (logout elsewhere): on reconnect the page asks to sign in again instead of retrying forever', async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: node.httpPort })
    const origin = `http://127.0.0.1:${proxy.port}`
    const { page, offOrigin } = await openPage(await browser.newContext(), origin)
    await registerInPage(page, `kim${run}`)
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('mqchat.login') ?? '{}').token as string)
    const logout = await restClient(node.httpUrl).call('POST', '/v1/auth/logout', undefined, token)
    expect(logout.status).toBe(204)
    proxy.cut()
    proxy.resume()
    await page.getByRole('alert').filter({ hasText: 'Your sign-in has expired or was revoked.' }).waitFor()
    await page.getByRole('button', { name: 'Sign in again' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await page.evaluate(() => localStorage.getItem('mqchat.login'))).toBeNull()
    expect(offOrigin).toEqual([])
  })
})

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
