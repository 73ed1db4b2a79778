import mqemitter from 'mqemitter'
import { describe, expect, it } from 'vitest'
import { DISCARD_TOPIC } from '../../broker/context.js'
import { type EmittedPacket, type Emitter, SplitEmitter } from '../../broker/split-emitter.js'

/** Every topic each emitter carried, through a `#` listener on each. */
function recording() {
  const local = mqemitter() as unknown as Emitter
  const cluster = mqemitter() as unknown as Emitter
  const seen = { local: [] as string[], cluster: [] as string[] }
  local.on('#', (packet: EmittedPacket, done) => {
    seen.local.push(packet.topic)
    done()
  })
  cluster.on('#', (packet: EmittedPacket, done) => {
    seen.cluster.push(packet.topic)
    done()
  })
  return { split: new SplitEmitter(local, cluster), seen }
}

const emit = (split: SplitEmitter, topic: string) =>
  new Promise<void>((resolve, reject) => split.emit({ topic }, (e) => (e ? reject(e) : resolve())))

describe('SplitEmitter', () => {
  it('sends chat messages to the local emitter and everything else to the cluster', async () => {
    const { split, seen } = recording()
    await emit(split, 'rooms/r1/messages')
    await emit(split, 'users/u1/inbox')
    await emit(split, 'rooms/r1/typing')
    expect(seen).toEqual({ local: ['rooms/r1/messages'], cluster: ['users/u1/inbox', 'rooms/r1/typing'] })
  })

  it('emits a discarded publish nowhere, and still completes it', async () => {
    const { split, seen } = recording()
    await emit(split, DISCARD_TOPIC)
    expect(seen).toEqual({ local: [], cluster: [] })
  })
})
