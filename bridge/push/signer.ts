import { createHmac } from 'node:crypto'

/**
 * `X-Mqchat-Signature` of a push: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The timestamp is inside the MAC so a receiver can refuse old replays.
 */
export function signPush(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')
  return `t=${unixSeconds},v1=${mac}`
}
