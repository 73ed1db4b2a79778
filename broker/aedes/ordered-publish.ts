import type { Aedes, Client, PublishPacket } from 'aedes'

/** Aedes 1.2's publish with the publishing client (aedes.js `publish(packet, client, done)`); its types omit `client`. */
type PublishAs = (packet: PublishPacket, client: Client, done: (error?: Error) => void) => void

/**
 * Publishes what a client sends to the topics Aedes routes itself (generic topics) one after the
 * other, each stored and forwarded before the next starts and before its PUBACK goes out.
 *
 * Aedes 1.2 writes a QoS 1 PUBACK before it publishes the message (lib/handlers/publish.js
 * enqueuePublish; upstream main still does), and reads a connection's next packets while one is
 * being published (lib/client.js: 'readable' calls nextBatch). So a publisher awaiting each PUBACK
 * still had two of its messages queued for an offline session concurrently: on a Redis Cluster the
 * stored packet and the session's list live in two slots, and c2 was appended to the list before
 * c1 (then delivered in that order on return), or a message still being published when the
 * session came back reached it twice, live and from the queue. A server keeps each topic ordered:
 * messages from one client reach a subscriber in the order received [MQTT-4.6.0-6], and a PUBACK
 * means the server owns the message [MQTT-4.3.2-2].
 *
 * `publish` runs Aedes's own publish of a copy (retained store, offline queues, emitter, the
 * `published` hook) in the client's order and resolves when it completes; the hook then discards
 * the original, so Aedes's publish after the PUBACK reaches no one. For QoS 0 and 1 only: Aedes
 * publishes a QoS 2 message before its PUBREC, after its duplicate check by packet id, which a
 * publish from the hook would come before.
 */
export class OrderedPublish {
  /** Per connection: the end of its last publish (never rejects; each caller gets its own outcome). */
  private readonly tails = new WeakMap<Client, Promise<void>>()

  constructor(private readonly aedes: Aedes) {}

  publish(client: Client, packet: PublishPacket): Promise<void> {
    const copy: PublishPacket = { ...packet }
    const run = () =>
      new Promise<void>((resolve, reject) =>
        (this.aedes.publish as unknown as PublishAs).call(this.aedes, copy, client, (error) => (error ? reject(error) : resolve()))
      )
    // after a failed publish the connection closes (the hook rejects); the ones behind it still run in order
    const previous = this.tails.get(client)
    const published = previous ? previous.then(run) : run()
    // the failure reaches the caller through `published`; the tail only orders what follows
    this.tails.set(
      client,
      published.then(
        () => undefined,
        () => undefined
      )
    )
    return published
  }
}
