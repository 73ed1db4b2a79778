import { execFile } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const run = promisify(execFile)
const REPO = resolve(import.meta.dirname, '../..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** What a developer outside the repo writes: plain JavaScript, no tsx, no TypeScript. */
const CONSUMER = `
import { connect } from 'mqchat/sdk'

const chat = await connect({ url: process.env.URL, token: process.env.TOKEN })
const seen = []
chat.on('message', (m) => seen.push(m.seq))
await chat.join(process.env.ROOM, { after: 0 })
const sent = await chat.send(process.env.ROOM, 'hello from the tarball')
while (!seen.includes(sent.seq)) await new Promise((r) => setTimeout(r, 20))
const failure = await chat.send('not-my-room', 'x').catch((error) => error.code)
await chat.close()
console.log(JSON.stringify({ sent, seen, failure, resolved: import.meta.resolve('mqchat/sdk') }))
`

describe('the SDK shipped as JavaScript: npm pack, installed outside the repo', () => {
  let node: TestNode
  let work: Awaited<ReturnType<typeof makeTempDir>>

  beforeAll(async () => {
    node = await startTestNode()
    work = await makeTempDir('mqchat-sdk-consumer-')
  })
  afterAll(async () => {
    await node?.destroy()
    await work?.remove()
  })

  it('a plain Node ESM script imports mqchat/sdk from the packed tarball and chats with a live node', async () => {
    // `npm pack` runs the `prepack` build (compiled ESM, .d.ts, browser bundle)
    await run(npm, ['pack', '--pack-destination', work.path], { cwd: REPO })
    const [tarball] = (await readdir(work.path)).filter((name) => name.endsWith('.tgz'))
    expect(tarball).toBeDefined()
    const project = join(work.path, 'app')
    await mkdir(project)
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    // dependencies come from npm's cache, filled by the repo's own install (the registry is asked only for what is missing)
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work.path, tarball!)], { cwd: project })
    await writeFile(join(project, 'chat.mjs'), CONSUMER)

    const rest = restClient(node.httpUrl)
    const alice = await rest.register('alice')
    const room = await rest.createRoom(alice.token, 'packaged')
    await rest.call('POST', `/v1/rooms/${room.id}/messages`, { body: 'already there' }, alice.token)

    const { stdout } = await run(process.execPath, ['chat.mjs'], {
      cwd: project,
      env: { PATH: process.env.PATH, URL: node.httpUrl, TOKEN: alice.token, ROOM: room.id },
      timeout: 30_000
    })
    const result = JSON.parse(stdout.trim()) as {
      sent: { seq: number; body: string; from: string }
      seen: number[]
      failure: string
      resolved: string
    }
    expect(result.sent).toMatchObject({ seq: 2, body: 'hello from the tarball', from: 'alice' })
    expect(result.seen).toEqual([1, 2])
    expect(result.failure).toBe('unknown_room')
    // the installed copy, compiled JavaScript, not the repo's TypeScript
    expect(result.resolved).toBe(`file://${join(project, 'node_modules/mqchat/dist/sdk/clients/sdk/index.js')}`)
    expect((await rest.history(alice.token, room.id, '?after=0')).map((m) => m.body)).toEqual(['already there', 'hello from the tarball'])
  }, 180_000)
})
