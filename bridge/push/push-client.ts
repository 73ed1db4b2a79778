import { signPush } from './signer.js'

export interface PushClientOptions {
  url: string
  secret: string
  /** One POST's limit, connection and answer included. */
  timeoutMs: number
}

/** What became of one POST: delivered, worth retrying (5xx, 408, 429, timeout, no connection), or refused for good. */
export type PushOutcome = { kind: 'sent' } | { kind: 'retry'; reason: string } | { kind: 'refused'; reason: string }

/** Posts signed push bodies to the configured receiver. */
export function createPushClient(options: PushClientOptions) {
  return {
    /** `stop` ends the POST early (shutdown): it counts as not sent, so the entry stays pending. */
    async post(body: string, deliveryId: string, stop?: AbortSignal): Promise<PushOutcome> {
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'mqchat-push/1',
        'x-mqchat-delivery': deliveryId,
        // signed per attempt: the timestamp says when this POST was made
        'x-mqchat-signature': signPush(options.secret, body, Math.floor(Date.now() / 1000))
      }
      let response: Response
      try {
        const timeout = AbortSignal.timeout(options.timeoutMs)
        const signal = stop ? AbortSignal.any([stop, timeout]) : timeout
        response = await fetch(options.url, { method: 'POST', headers, body, signal })
      } catch (error) {
        return { kind: 'retry', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
      }
      // the answer's body is not used; reading it frees the connection for the next POST. An answer
      // cut off midway is retried: a duplicate is harmless (X-Mqchat-Delivery), a loss is not
      const cutOff = await response.arrayBuffer().then(
        () => null,
        (error: unknown) => error
      )
      if (cutOff) return { kind: 'retry', reason: `answer cut off: ${String(cutOff)}` }
      if (response.ok) return { kind: 'sent' }
      const reason = `HTTP ${response.status}`
      if (response.status >= 500 || response.status === 408 || response.status === 429) return { kind: 'retry', reason }
      return { kind: 'refused', reason }
    }
  }
}

export type PushClient = ReturnType<typeof createPushClient>
