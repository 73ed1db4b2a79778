import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'

describe('/docs in a real browser (issue 8, part 3)', () => {
  let node: TestNode
  let browser: Browser

  beforeAll(async () => {
    node = await startTestNode()
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] })
  })
  afterAll(async () => {
    await browser?.close()
    await node?.destroy()
  })

  it('renders every operation of /v1/openapi.json under helmet’s CSP, loading nothing from another origin', async () => {
    const page = await browser.newPage()
    const problems: string[] = []
    const elsewhere: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text())
    })
    page.on('pageerror', (error) => problems.push(String(error)))
    page.on('request', (request) => {
      if (!request.url().startsWith(node.httpUrl)) elsewhere.push(request.url())
    })
    const response = await page.goto(`${node.httpUrl}/docs`)
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/)
    const doc = (await (await fetch(`${node.httpUrl}/v1/openapi.json`)).json()) as { paths: Record<string, object> }
    const operations = Object.values(doc.paths).reduce((sum, item) => sum + Object.keys(item).length, 0)
    await page.waitForFunction((count) => document.querySelectorAll('.opblock').length === count, operations)
    expect(await page.locator('.info .title').textContent()).toContain('mqchat REST API')
    expect(problems).toEqual([])
    expect(elsewhere).toEqual([])
    expect(await page.locator('.errors-wrapper').count()).toBe(0)
  })
})
