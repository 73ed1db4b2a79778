import { mkdir, readFile, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Envelope } from '../../core/message.js'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { killAllLineProcesses, type LineProcess, spawnLines } from '../helpers/line-process.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

const REPO = resolve(import.meta.dirname, '../..')
const PASSWORD = 'correct horse battery'

interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

interface RunOptions {
  /** Whose config dir (MQCHAT_CONFIG_DIR) to use. */
  as?: string
  env?: Record<string, string>
  /** The child is killed (SIGKILL) if it outlives this. */
  timeoutMs?: number
}

describe('mqchat client commands (login, rooms, send, history, tail) against a real node', () => {
  let node: TestNode
  let config: { path: string; remove(): Promise<void> }
  let rest: ReturnType<typeof restClient>
  const tokens: Record<string, string> = {}

  /** `mqchat <args>` as a child process; `as` picks the user's own config dir (MQCHAT_CONFIG_DIR). */
  function start(args: string[], { as = 'nobody', env = {}, timeoutMs = 15_000 }: RunOptions = {}): LineProcess {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MQCHAT_')))
    return spawnLines(process.execPath, ['bin/mqchat.js', ...args], {
      cwd: REPO,
      env: { ...inherited, HOME: config.path, MQCHAT_CONFIG_DIR: join(config.path, as), MQCHAT_URL: node.httpUrl, ...env },
      timeoutMs,
      name: 'mqchat'
    })
  }

  /** Runs `mqchat <args>` to completion. */
  async function mqchat(args: string[], options: RunOptions = {}): Promise<CliResult> {
    const run = start(args, options)
    const { code, signal } = await run.exited
    return { code, signal, stdout: run.lines.map((line) => `${line}\n`).join(''), stderr: run.stderr() }
  }

  /** Runs `mqchat <args> --json` and returns the parsed document; fails on a non-zero exit. */
  async function json<T = any>(args: string[], as: string): Promise<T> {
    const result = await mqchat([...args, '--json'], { as })
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' })
    return JSON.parse(result.stdout) as T
  }

  const seqs = (lines: string[]) => lines.map((line) => (JSON.parse(line) as Envelope).seq)

  beforeAll(async () => {
    node = await startTestNode()
    config = await makeTempDir('mqchat-cli-')
    rest = restClient(node.httpUrl)
    for (const user of ['alice', 'bob', 'carol']) tokens[user] = (await rest.register(user, PASSWORD)).token
    // alice and bob are logged in through the CLI, each with their own config dir
    for (const user of ['alice', 'bob']) {
      const login = await mqchat(['login', user, '--password', PASSWORD], { as: user })
      expect(login, login.stderr).toMatchObject({ code: 0, stderr: '' })
    }
  })

  afterEach(() => killAllLineProcesses())

  afterAll(async () => {
    await node?.destroy()
    await config?.remove()
  })

  it('login --register creates the account and writes the credentials file (0600); a second user logs in with MQCHAT_PASSWORD', async () => {
    const registered = await mqchat(['login', 'dave', '--password', 'dave-secret', '--register'], { as: 'dave' })
    expect(registered).toMatchObject({ code: 0, stderr: '' })
    const file = join(config.path, 'dave', 'credentials.json')
    expect(registered.stdout).toBe(`registered and logged in to ${node.httpUrl} as dave; token saved in ${file}\n`)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(await readFile(file, 'utf8'))
    expect(stored).toEqual({ url: node.httpUrl, username: 'dave', token: expect.any(String) })
    expect((await rest.call('GET', '/v1/rooms', undefined, stored.token)).status).toBe(200)

    const second = await mqchat(['login', 'carol', '--json'], { as: 'carol', env: { MQCHAT_PASSWORD: PASSWORD } })
    expect(second).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(second.stdout)).toEqual({
      url: node.httpUrl,
      user: expect.objectContaining({ id: 'carol' }),
      token: expect.any(String),
      credentialsFile: join(config.path, 'carol', 'credentials.json')
    })
    const carolFile = join(config.path, 'carol', 'credentials.json')
    expect((await stat(carolFile)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(carolFile, 'utf8'))).toMatchObject({ username: 'carol' })

    const wrong = await mqchat(['login', 'carol', '--password', 'not the password'], { as: 'carol' })
    expect(wrong).toEqual({ code: 1, signal: null, stdout: '', stderr: 'mqchat: unauthenticated: wrong username or password\n' })
    const again = await mqchat(['login', 'dave', '--password', 'dave-secret', '--register'], { as: 'dave' })
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^mqchat: conflict: .+\n$/) })
    const noPassword = await mqchat(['login', 'dave'], { as: 'dave' })
    expect(noPassword).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'mqchat: no password: pass --password <password> or set MQCHAT_PASSWORD\n'
    })
  })

  it('rooms create, direct and add work and rooms lists them, as text and as --json', async () => {
    const created = await mqchat(['rooms', 'create', 'general', '--members', 'bob'], { as: 'alice' })
    expect(created).toMatchObject({ code: 0, stderr: '' })
    const match = /^created general \((r_[A-Za-z0-9_-]+), group\): alice, bob\n$/.exec(created.stdout)
    expect(match, created.stdout).not.toBeNull()
    const generalId = match![1]!

    const ops = await json(['rooms', 'create', 'ops'], 'alice')
    expect(ops).toMatchObject({ id: expect.stringMatching(/^r_/), name: 'ops', kind: 'group', members: ['alice'] })
    const added = await mqchat(['rooms', 'add', ops.id, 'carol'], { as: 'alice' })
    expect(added).toMatchObject({ code: 0, stderr: '', stdout: `added carol to ops (${ops.id}, group): alice, carol\n` })

    const direct = await json(['rooms', 'direct', 'bob'], 'alice')
    expect(direct).toMatchObject({ id: expect.stringMatching(/^dm_/), kind: 'direct', members: expect.arrayContaining(['alice', 'bob']) })
    // the same direct room from the other side
    expect((await json(['rooms', 'direct', 'alice'], 'bob')).id).toBe(direct.id)

    const { rooms } = await json<{ rooms: { id: string; name: string; kind: string; members: string[] }[] }>(['rooms'], 'alice')
    const byId = new Map(rooms.map((room) => [room.id, room]))
    expect(byId.get(generalId)).toMatchObject({ name: 'general', kind: 'group', members: ['alice', 'bob'] })
    expect(byId.get(ops.id)).toMatchObject({ name: 'ops', kind: 'group', members: ['alice', 'carol'] })
    expect(byId.get(direct.id)).toMatchObject({ kind: 'direct' })

    const table = await mqchat(['rooms'], { as: 'bob' })
    expect(table).toMatchObject({ code: 0, stderr: '' })
    const [header, ...rows] = table.stdout.trimEnd().split('\n')
    expect(header).toMatch(/^ID\s+NAME\s+KIND\s+MEMBERS$/)
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^${generalId}\\s+general\\s+group\\s+alice,bob$`)))
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^${direct.id}\\s+.+\\s+direct\\s+alice,bob$`)))
    expect(rows.some((row) => row.includes(ops.id))).toBe(false)

    const conflict = await mqchat(['rooms', 'add', direct.id, 'carol'], { as: 'alice' })
    expect(conflict).toEqual({ code: 1, signal: null, stdout: '', stderr: 'mqchat: conflict: a direct room keeps its two members\n' })
  })

  it('send prints the seq (the same one again for a repeated --id) and history prints the messages in order', async () => {
    const room = await rest.createRoom(tokens.alice!, 'sends', ['bob'])
    expect(await mqchat(['send', room.id, 'hello', 'world'], { as: 'alice' })).toMatchObject({ code: 0, stdout: 'sent #1\n', stderr: '' })
    const second = await json<Envelope>(['send', room.id, 'second one'], 'alice')
    expect(second).toMatchObject({ room: room.id, seq: 2, from: 'alice', body: 'second one', id: expect.any(String) })
    expect(await mqchat(['send', room.id, 'from bob', '--id', 'bob-1'], { as: 'bob' })).toMatchObject({ code: 0, stdout: 'sent #3\n' })
    // a retry with the same client-made id is idempotent: same seq, no second copy
    const retry = await mqchat(['send', room.id, 'from bob', '--id', 'bob-1'], { as: 'bob' })
    expect(retry).toMatchObject({ code: 0, stdout: 'already sent as #3 (id bob-1)\n', stderr: '' })
    // a plain resend makes a fresh id: a new message
    expect(await mqchat(['send', room.id, 'hello', 'world'], { as: 'alice' })).toMatchObject({ code: 0, stdout: 'sent #4\n' })

    const history = await mqchat(['history', room.id], { as: 'bob' })
    expect(history).toMatchObject({ code: 0, stderr: '' })
    const time = '\\[(?:\\d{4}-\\d{2}-\\d{2} )?\\d{2}:\\d{2}:\\d{2}\\]'
    expect(history.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^#1 ${time} alice: hello world$`)),
      expect.stringMatching(new RegExp(`^#2 ${time} alice: second one$`)),
      expect.stringMatching(new RegExp(`^#3 ${time} bob: from bob$`)),
      expect.stringMatching(new RegExp(`^#4 ${time} alice: hello world$`))
    ])
    const after = await json<{ room: string; messages: Envelope[] }>(['history', room.id, '--after', '1'], 'alice')
    expect(after.room).toBe(room.id)
    expect(after.messages.map((m) => [m.seq, m.from, m.body])).toEqual([
      [2, 'alice', 'second one'],
      [3, 'bob', 'from bob'],
      [4, 'alice', 'hello world']
    ])
    expect((await json(['history', room.id, '--limit', '2'], 'alice')).messages.map((m: Envelope) => m.seq)).toEqual([3, 4])
    expect((await json(['history', room.id, '--before', '3', '--limit', '1'], 'alice')).messages.map((m: Envelope) => m.seq)).toEqual([2])
    expect(await mqchat(['history', room.id, '--after', '4'], { as: 'alice' })).toMatchObject({ code: 0, stdout: 'no messages\n' })

    const outsider = await rest.createRoom(tokens.carol!, 'private')
    const refused = await mqchat(['send', outsider.id, 'let me in'], { as: 'bob' })
    expect(refused).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: `mqchat: unknown_room: room ${outsider.id} not found\n`
    })
  })

  it('tail --after N prints exactly the missed messages, then live ones, and exits 0 on SIGTERM', async () => {
    const room = await rest.createRoom(tokens.alice!, 'tailing', ['bob'])
    for (const body of ['one', 'two', 'three']) await rest.call('POST', `/v1/rooms/${room.id}/messages`, { body }, tokens.alice)

    const tail = start(['tail', room.id, '--after', '1', '--json'], { as: 'bob' })
    // history is read after the subscription is in place: seeing #3 means live messages will arrive
    await tail.waitForLines(/"seq":3\b/)
    const live = await rest.call('POST', `/v1/rooms/${room.id}/messages`, { id: 'live-1', body: 'live over REST' }, tokens.alice)
    expect(live.status).toBe(201)
    await tail.waitForLines(/"seq":4\b/)
    tail.child.kill('SIGTERM')
    expect(await tail.exited, tail.stderr()).toEqual({ code: 0, signal: null })
    expect(tail.lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ seq: 2, from: 'alice', body: 'two', room: room.id }),
      expect.objectContaining({ seq: 3, from: 'alice', body: 'three' }),
      expect.objectContaining({ seq: 4, from: 'alice', body: 'live over REST', id: 'live-1' })
    ])
    expect(tail.stderr()).toBe('')

    // as text, a live message sent with the CLI itself; SIGINT ends it with 0 too
    const human = start(['tail', room.id, '--after', '4'], { as: 'bob' })
    await human.waitForStderr(/^following \S+ live \(Ctrl-C to stop\)\n$/)
    expect(await mqchat(['send', room.id, 'live', 'from', 'the', 'CLI'], { as: 'alice' })).toMatchObject({ code: 0, stdout: 'sent #5\n' })
    await human.waitForLines(/^#5 /)
    human.child.kill('SIGINT')
    expect(await human.exited, human.stderr()).toEqual({ code: 0, signal: null })
    expect(human.lines).toEqual([expect.stringMatching(/^#5 \[[\d:\- ]+\] alice: live from the CLI$/)])
  })

  it('tail started while messages keep arriving prints each one exactly once, in seq order', async () => {
    const room = await rest.createRoom(tokens.alice!, 'busy', ['bob'])
    const total = 60
    const tail = start(['tail', room.id, '--after', '0', '--json'], { as: 'bob' })
    for (let i = 1; i <= total; i++) {
      const sent = await rest.call('POST', `/v1/rooms/${room.id}/messages`, { id: `busy-${i}`, body: `message ${i}` }, tokens.alice)
      expect(sent.status).toBe(201)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await tail.waitForLines(new RegExp(`"seq":${total}\\b`))
    tail.child.kill('SIGTERM')
    expect(await tail.exited, tail.stderr()).toEqual({ code: 0, signal: null })
    expect(seqs(tail.lines)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
  })

  it('without credentials every client command exits 1 with one line telling to run mqchat login', async () => {
    for (const args of [['rooms'], ['rooms', 'create', 'x'], ['send', 'r_x', 'hi'], ['history', 'r_x'], ['tail', 'r_x']]) {
      const result = await mqchat(args, { as: 'nobody' })
      expect(result, args.join(' ')).toEqual({
        code: 1,
        signal: null,
        stdout: '',
        stderr: 'mqchat: not logged in: run `mqchat login <username> --password <password>` first (or set MQCHAT_TOKEN)\n'
      })
    }
    // MQCHAT_TOKEN stands in for the credentials file; a rejected one adds the hint
    await mkdir(join(config.path, 'token-only'), { recursive: true })
    const withToken = await mqchat(['rooms', '--json'], { as: 'token-only', env: { MQCHAT_TOKEN: tokens.carol! } })
    expect(withToken).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(withToken.stdout)).toEqual({ rooms: expect.any(Array) })
    const badToken = await mqchat(['rooms'], { as: 'token-only', env: { MQCHAT_TOKEN: 'not-a-token' } })
    expect(badToken).toEqual({
      code: 1,
      signal: null,
      stdout: '',
      stderr: 'mqchat: unauthenticated: a valid Bearer token or API key is required (run `mqchat login`)\n'
    })
  })

  it('an unreachable server gives one line and exit 1', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const url = `http://127.0.0.1:${port}`
    const expected = { code: 1, signal: null, stdout: '', stderr: `mqchat: cannot reach ${url} (connection refused)\n` }

    for (const args of [['rooms'], ['send', 'r_x', 'hi'], ['history', 'r_x'], ['tail', 'r_x']]) {
      expect(await mqchat([...args, '--url', url], { as: 'alice' }), args.join(' ')).toEqual(expected)
    }
    expect(await mqchat(['login', 'alice', '--password', PASSWORD], { as: 'unreachable', env: { MQCHAT_URL: url } })).toEqual(expected)
  })
})
