import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { restClient } from '../helpers/rest.js'

/** One run of a Mosquitto command-line client, killed (SIGKILL) if it outlives `timeoutMs`. */
interface CliRun {
  lines: string[]
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or on timeout. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>
}

const children = new Set<ChildProcess>()

function run(command: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000): CliRun {
  // stdout is a pipe here, so stdio would hold the debug lines in its buffer; stdbuf (coreutils) makes it
  // line-buffered, and then execs the client in the same process
  const child = spawn('/usr/bin/stdbuf', ['-oL', `/usr/bin/${command}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      resolve({ code, signal })
    })
  })
  const lines: string[] = []
  const listeners = new Set<() => void>()
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    for (const listener of [...listeners]) listener()
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return {
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(pattern, waitMs = 5_000) {
      return new Promise((resolve, reject) => {
        const finish = (error: Error | null, line?: string) => {
          clearTimeout(waitTimer)
          listeners.delete(check)
          if (error) reject(error)
          else resolve(line as string)
        }
        const check = () => {
          const line = lines.find((l) => pattern.test(l))
          if (line !== undefined) finish(null, line)
        }
        const waitTimer = setTimeout(
          () => finish(new Error(`no line matching ${pattern} in ${waitMs} ms; stdout: ${lines.join('\n')}`)),
          waitMs
        )
        listeners.add(check)
        void exited.then(() => {
          check()
          if (listeners.has(check)) finish(new Error(`${command} exited before printing ${pattern}; stderr: ${stderr}`))
        })
        check()
      })
    }
  }
}

/** The JSON payload lines a `mosquitto_sub -d` printed (its debug lines are plain text). */
const payloads = (cli: CliRun) => cli.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
const SUBSCRIBED = /^Subscribed \(mid: \d+\): 1$/

describe('Debian mosquitto-clients against mqchat (MQTT 3.1.1)', () => {
  let node: TestNode
  let alice: { id: string; token: string }
  let bob: { id: string; token: string }
  let roomId: string
  let server: string[]

  beforeEach(async () => {
    node = await startTestNode()
    const rest = restClient(node.httpUrl)
    alice = await rest.register('alice')
    bob = await rest.register('bob')
    roomId = (await rest.createRoom(alice.token, 'mosquitto', ['bob'])).id
    // never the default port: a Mosquitto broker listens on 1883 on this machine
    server = ['-h', '127.0.0.1', '-p', String(node.mqttPort), '-V', 'mqttv311']
  })

  afterEach(async () => {
    await Promise.all(
      [...children].map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('close', () => resolve())
            child.kill('SIGKILL')
          })
      )
    )
    await node.destroy()
  })

  it('mosquitto_sub receives the enriched envelopes of two mosquitto_pub sends, seq 1 and 2', async () => {
    const topic = `rooms/${roomId}/messages`
    const sub = run('mosquitto_sub', [
      ...server,
      '-d',
      '-u',
      'alice',
      '-P',
      alice.token,
      '-t',
      topic,
      '-q',
      '1',
      '-C',
      '2',
      '-i',
      'alice-sub'
    ])
    await sub.waitForLine(SUBSCRIBED)

    for (const id of ['x1', 'x2']) {
      const pub = run('mosquitto_pub', [
        ...server,
        '-u',
        'bob',
        '-P',
        bob.token,
        '-t',
        topic,
        '-q',
        '1',
        '-m',
        JSON.stringify({ id, body: 'hello' })
      ])
      const exit = await pub.exited
      expect(exit, pub.stderr()).toEqual({ code: 0, signal: null })
    }

    expect(await sub.exited, sub.stderr()).toEqual({ code: 0, signal: null })
    const [first, second, ...rest] = payloads(sub)
    expect(rest).toEqual([])
    expect(first).toEqual({ id: 'x1', room: roomId, seq: 1, from: 'bob', ts: expect.any(Number), type: 'text', body: 'hello' })
    expect(second).toEqual({ id: 'x2', room: roomId, seq: 2, from: 'bob', ts: expect.any(Number), type: 'text', body: 'hello' })
  })

  it('mosquitto_sub with a wrong password is refused and exits non-zero', async () => {
    const sub = run('mosquitto_sub', [
      ...server,
      '-u',
      'alice',
      '-P',
      'not-a-token',
      '-t',
      `rooms/${roomId}/messages`,
      '-q',
      '1',
      '-i',
      'intruder'
    ])
    const exit = await sub.exited
    expect(exit.signal).toBeNull()
    expect(exit.code).not.toBe(0)
    expect(sub.stderr()).toMatch(/Connection Refused: bad user name or password/)
    expect(sub.lines).toEqual([])
  })

  it('mosquitto_pub with a payload that is not JSON is PUBACKed (exit 0) and the sender gets a rejection on its inbox', async () => {
    const inboxTopic = `users/${bob.id}/inbox`
    const inbox = run('mosquitto_sub', [
      ...server,
      '-d',
      '-u',
      'bob',
      '-P',
      bob.token,
      '-t',
      inboxTopic,
      '-q',
      '1',
      '-C',
      '1',
      '-i',
      'bob-inbox'
    ])
    await inbox.waitForLine(SUBSCRIBED)
    const room = run('mosquitto_sub', [
      ...server,
      '-d',
      '-u',
      'alice',
      '-P',
      alice.token,
      '-t',
      `rooms/${roomId}/messages`,
      '-q',
      '1',
      '-i',
      'alice-room'
    ])
    await room.waitForLine(SUBSCRIBED)

    const pub = run('mosquitto_pub', [
      ...server,
      '-d',
      '-u',
      'bob',
      '-P',
      bob.token,
      '-t',
      `rooms/${roomId}/messages`,
      '-q',
      '1',
      '-m',
      '{"id":"bad1","body":'
    ])
    expect(await pub.exited, pub.stderr()).toEqual({ code: 0, signal: null })
    expect(pub.lines.some((line) => /received PUBACK/.test(line))).toBe(true)

    expect(await inbox.exited, inbox.stderr()).toEqual({ code: 0, signal: null })
    expect(payloads(inbox)).toEqual([{ type: 'rejected', id: null, room: roomId, reason: 'invalid_json', message: expect.any(String) }])

    // nothing reached the room: a valid send afterwards is the first message it sees, at seq 1
    const good = run('mosquitto_pub', [
      ...server,
      '-u',
      'bob',
      '-P',
      bob.token,
      '-t',
      `rooms/${roomId}/messages`,
      '-q',
      '1',
      '-m',
      '{"id":"ok1","body":"fine"}'
    ])
    expect(await good.exited, good.stderr()).toEqual({ code: 0, signal: null })
    await room.waitForLine(/^\{/)
    expect(payloads(room)).toEqual([expect.objectContaining({ id: 'ok1', seq: 1, from: 'bob' })])
  })
})
