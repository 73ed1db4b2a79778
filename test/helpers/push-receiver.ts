import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedPush {
  delivery: string
  body: { type: string; room: string; seq: number; from: string; preview: string; recipients: string[] }
}

/**
 * A loopback push webhook receiver that checks every signature the way a receiver would, with
 * its own HMAC (not mqchat's signer). It answers `status()` (200 by default) and can go away
 * (`stop`, connections refused) and come back on the same port (`start`).
 */
export interface PushReceiver {
  url: string
  /** Pushes with a valid signature, in arrival order (retries and redeliveries included). */
  pushes: ReceivedPush[]
  /** Requests whose signature, timestamp or headers were wrong. */
  rejected: string[]
  /** What the receiver answers next; a function of the request count lets a test fail the first few. */
  status: (request: number) => number
  requests: number
  /** While set, requests wait for it before they are answered (a slow receiver). */
  hold: Promise<void> | null
  /** Requests open now (arrived, not yet answered or abandoned), and the most at once so far. */
  open: number
  maxOpen: number
  stop(): Promise<void>
  start(): Promise<void>
}

/** `t=..,v1=..` checked against HMAC-SHA256(secret, "t.body") and a 5-minute window. */
function verify(secret: string, header: string | undefined, body: string): string | null {
  const parts = Object.fromEntries((header ?? '').split(',').map((part) => part.split('=', 2) as [string, string]))
  const t = Number(parts.t)
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return `bad timestamp in ${header}`
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest()
  const given = Buffer.from(parts.v1 ?? '', 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : `bad signature ${header}`
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startPushReceiver(secret: string): Promise<PushReceiver> {
  let server: Server | null = null
  let port = 0
  const receiver: PushReceiver = {
    url: '',
    pushes: [],
    rejected: [],
    status: () => 200,
    requests: 0,
    hold: null,
    open: 0,
    maxOpen: 0,
    async stop() {
      const closing = server
      server = null
      if (!closing) return
      await new Promise<void>((resolve, reject) => {
        closing.close((error) => (error ? reject(error) : resolve()))
        closing.closeAllConnections()
      })
    },
    async start() {
      const created = createServer((req, res) => {
        receiver.open += 1
        receiver.maxOpen = Math.max(receiver.maxOpen, receiver.open)
        res.once('close', () => {
          receiver.open -= 1
        })
        void readBody(req).then(async (body) => {
          await receiver.hold
          receiver.requests += 1
          const problem =
            req.method !== 'POST' || req.headers['content-type'] !== 'application/json'
              ? `bad request ${req.method} ${req.headers['content-type']}`
              : verify(secret, req.headers['x-mqchat-signature'] as string | undefined, body)
          if (problem) {
            receiver.rejected.push(problem)
            res.writeHead(401).end()
            return
          }
          const status = receiver.status(receiver.requests)
          // a sender that gave up waiting (timeout) never sees this answer: not a delivery
          if (req.socket.destroyed) return
          if (status < 300) receiver.pushes.push({ delivery: String(req.headers['x-mqchat-delivery']), body: JSON.parse(body) })
          res.writeHead(status).end()
        })
      })
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject)
        created.listen(port, '127.0.0.1', () => resolve())
      })
      port = (created.address() as AddressInfo).port
      receiver.url = `http://127.0.0.1:${port}/push`
      server = created
    }
  }
  await receiver.start()
  return receiver
}
