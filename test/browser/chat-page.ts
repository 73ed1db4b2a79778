import { mkdir } from 'node:fs/promises'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

export const PASSWORD = 'correct horse battery'

/** Debian's chromium, headless, with nothing that reaches out to the (closed) network; a fresh profile per launch. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  })
}

/** A page that records console errors, page errors and requests that leave `origin`. */
export async function openPage(context: BrowserContext, origin: string) {
  const page = await context.newPage()
  const problems: string[] = []
  const offOrigin: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(String(error)))
  page.on('request', (request) => {
    // blob:<origin>/… is the worker mqtt.js makes from its own code (same origin)
    if (
      !request
        .url()
        .replace(/^blob:/, '')
        .startsWith(origin)
    )
      offOrigin.push(request.url())
  })
  await page.goto(`${origin}/`)
  return { page, problems, offOrigin }
}

/** Creates an account through the page's own form; resolves once the chat shell shows. */
export async function registerInPage(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: 'New here? Create an account' }).click()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('navigation', { name: 'Rooms' }).waitFor()
}

export async function createRoomInPage(page: Page, name: string, members: string[]): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByLabel('Members (usernames, comma separated)').fill(members.join(', '))
  await page.getByRole('button', { name: 'Create room' }).click()
  await page.getByRole('heading', { name, level: 2 }).waitFor()
}

export async function openRoomInPage(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name }).click()
  await page.getByRole('heading', { name, level: 2 }).waitFor()
}

export async function sendInPage(page: Page, body: string): Promise<void> {
  await page.getByRole('textbox', { name: /^Message / }).fill(body)
  await page.getByRole('textbox', { name: /^Message / }).press('Enter')
}

/** The bodies of the sequenced messages on screen, top to bottom, and their seqs. */
export function shownMessages(page: Page): Promise<{ seq: number; from: string; body: string }[]> {
  return page.locator('.messages li[data-seq]').evaluateAll((items) =>
    items.map((item) => ({
      seq: Number(item.getAttribute('data-seq')),
      from: item.querySelector('.from')?.textContent ?? '',
      body: item.querySelector('.body')?.textContent ?? ''
    }))
  )
}

export async function expectShown(page: Page, body: string): Promise<void> {
  await page.getByRole('log').locator('li[data-seq]', { hasText: body }).first().waitFor()
}

export async function screenshot(page: Page, file: string): Promise<void> {
  await mkdir('test-artifacts', { recursive: true })
  await page.screenshot({ path: `test-artifacts/${file}` })
}
