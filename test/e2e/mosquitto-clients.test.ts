import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startTestNode, type TestNode } from '../helpers/dev-node.js'
import { killAllLineProcesses, type LineProcess, spawnLines } from '../helpers/line-process.js'
import { restClient } from '../helpers/rest.js'

/** One run of a Mosquitto command-line client, killed (SIGKILL) if it outlives `timeoutMs`. */
function run(command: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000): LineProcess {
  // stdout is a pipe here, so stdio would hold the debug lines in its buffer; stdbuf (coreutils) makes it
  // line-buffered, and then execs the client in the same process
  return spawnLines('/usr/bin/stdbuf', ['-oL', `/usr/bin/${command}`, ...args], { timeoutMs, waitMs: 5_000, name: command })
}

/** The JSON payload lines a `mosquitto_sub -d` printed (its debug lines are plain text). */
const payloads = (cli: LineProcess) => cli.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
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
    await killAllLineProcesses()
    await node.destroy()
  })

  /** `mosquitto_sub` to `topic` at QoS 1 as `user` with client id `clientId`; `debug` adds -d, `count` is -C (exit after that many messages). */
  const subscribe = (
    user: string,
    token: string,
    topic: string,
    clientId: string,
    { debug = false, count }: { debug?: boolean; count?: number } = {}
  ) =>
    run('mosquitto_sub', [
      ...server,
      ...(debug ? ['-d'] : []),
      '-u',
      user,
      '-P',
      token,
      '-t',
      topic,
      '-q',
      '1',
      ...(count === undefined ? [] : ['-C', String(count)]),
      '-i',
      clientId
    ])

  /** `mosquitto_pub` of `payload` to the room's messages topic at QoS 1 as `user`; `extraArgs` come right after the server's. */
  const publish = (user: string, token: string, payload: string, extraArgs: string[] = []) =>
    run('mosquitto_pub', [...server, ...extraArgs, '-u', user, '-P', token, '-t', `rooms/${roomId}/messages`, '-q', '1', '-m', payload])

  it('mosquitto_sub receives the enriched envelopes of two mosquitto_pub sends, seq 1 and 2', async () => {
    const topic = `rooms/${roomId}/messages`
    const sub = subscribe('alice', alice.token, topic, 'alice-sub', { debug: true, count: 2 })
    await sub.waitForLine(SUBSCRIBED)

    for (const id of ['x1', 'x2']) {
      const pub = publish('bob', bob.token, JSON.stringify({ id, body: 'hello' }))
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
    const sub = subscribe('alice', 'not-a-token', `rooms/${roomId}/messages`, 'intruder')
    const exit = await sub.exited
    expect(exit.signal).toBeNull()
    expect(exit.code).not.toBe(0)
    expect(sub.stderr()).toMatch(/Connection Refused: bad user name or password/)
    expect(sub.lines).toEqual([])
  })

  it('mosquitto_pub with a payload that is not JSON is PUBACKed (exit 0) and the sender gets a rejection on its inbox', async () => {
    const inboxTopic = `users/${bob.id}/inbox`
    const inbox = subscribe('bob', bob.token, inboxTopic, 'bob-inbox', { debug: true, count: 1 })
    await inbox.waitForLine(SUBSCRIBED)
    const room = subscribe('alice', alice.token, `rooms/${roomId}/messages`, 'alice-room', { debug: true })
    await room.waitForLine(SUBSCRIBED)

    const pub = publish('bob', bob.token, '{"id":"bad1","body":', ['-d'])
    expect(await pub.exited, pub.stderr()).toEqual({ code: 0, signal: null })
    expect(pub.lines.some((line) => /received PUBACK/.test(line))).toBe(true)

    expect(await inbox.exited, inbox.stderr()).toEqual({ code: 0, signal: null })
    expect(payloads(inbox)).toEqual([{ type: 'rejected', id: null, room: roomId, reason: 'invalid_json', message: expect.any(String) }])

    // nothing reached the room: a valid send afterwards is the first message it sees, at seq 1
    const good = publish('bob', bob.token, '{"id":"ok1","body":"fine"}')
    expect(await good.exited, good.stderr()).toEqual({ code: 0, signal: null })
    await room.waitForLine(/^\{/)
    expect(payloads(room)).toEqual([expect.objectContaining({ id: 'ok1', seq: 1, from: 'bob' })])
  })
})
