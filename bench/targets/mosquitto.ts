import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MOSQUITTO_PATH, type MosquittoServer, startMosquitto } from '../services/mosquitto-server.js'
import type { BenchTarget, Login, RunningTarget } from './target.js'

/**
 * The reference: Mosquitto anonymous, no persistence, and no cap on queued QoS 1 messages so that a
 * slow subscriber delays deliveries instead of losing them (mqchat drops none either).
 */
export function mosquittoTarget(path = MOSQUITTO_PATH): BenchTarget {
  return {
    name: 'mosquitto',
    async unavailable() {
      return access(path).then(
        () => null,
        () => `${path} is not installed; the Mosquitto reference is skipped`
      )
    },
    async start(janitor) {
      const dir = await mkdtemp(join(tmpdir(), 'mqchat-bench-mosquitto-'))
      janitor.defer(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }))
      const settings = ['allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 20']
      return running(await startMosquitto(dir, janitor, settings, path))
    }
  }
}

function running(server: MosquittoServer): RunningTarget {
  let rooms = 0
  const logins = async (count: number, prefix: string): Promise<Login[]> =>
    Array.from({ length: count }, (_, index) => ({ clientId: `${prefix}-${index}` }))
  return {
    name: 'mosquitto',
    mqttUrls: [`mqtt://127.0.0.1:${server.port}`],
    pids: [server.pid],
    redisPids: [],
    persisterPids: [],
    users: logins,
    idleLogins: logins,
    // the same payload size on a plain topic: Mosquitto has no rooms
    room: async () => ({ topic: `bench/room-${Date.now().toString(36)}-${rooms++}/messages` }),
    stop: server.stop
  }
}
