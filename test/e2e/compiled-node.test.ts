import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectClient } from '../helpers/mqtt.js'
import { killAllNodes, spawnNode } from '../helpers/node-process.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// inside the repository, as dist/server is: the compiled files resolve node_modules and package.json from there
const OUT = `dist/e2e-${randomBytes(6).toString('hex')}`

describe('the compiled server (npm run build, issue 11 item 5)', () => {
  let data: { path: string; remove(): Promise<void> }

  beforeAll(async () => {
    data = await makeTempDir()
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
    // type errors are the typecheck's to report; what matters here is that the emitted JavaScript serves chat
    const build = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', OUT], { cwd: ROOT }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' })
    )
    if (!existsSync(join(ROOT, OUT, 'server/cli.js'))) throw new Error(`tsc emitted no server/cli.js: ${build.stdout}`)
  }, 180_000)
  afterAll(async () => {
    await killAllNodes()
    await data?.remove()
    await rm(join(ROOT, OUT), { recursive: true, force: true })
  })

  it('runs `dev` from plain JavaScript (no TypeScript loader): REST, password worker, web app and chat over MQTT', async () => {
    const node = await spawnNode(data.path, {}, 30_000, `${OUT}/server/cli.js`)
    const rest = restClient(node.httpUrl)
    // registration hashes on the password worker, which the compiled server finds among the sources
    const alice = await rest.register('alice')
    const bob = await rest.register('bob')
    const room = await rest.createRoom(alice.token, 'compiled', [bob.id])
    const page = await fetch(`${node.httpUrl}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<html')

    const topic = `rooms/${room.id}/messages`
    const reader = await connectClient(node.mqttUrl, bob.token, { clientId: 'bob-compiled' })
    const writer = await connectClient(node.mqttUrl, alice.token, { clientId: 'alice-compiled' })
    await reader.client.subscribeAsync(topic, { qos: 1 })
    await writer.client.publishAsync(topic, JSON.stringify({ id: 'c1', body: 'from compiled code' }), { qos: 1 })
    const [message] = await reader.waitFor(topic, 1, 10_000)
    expect(message).toMatchObject({ seq: 1, id: 'c1', body: 'from compiled code', from: alice.id })
    await reader.end()
    await writer.end()
    expect(await node.stop()).toEqual({ code: 0, signal: null })
  }, 60_000)
})
