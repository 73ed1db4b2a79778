/**
 * Every failure the SDK reports. `code` is the server's reason where there is one (docs/protocol.md,
 * "Rejection reasons and REST error codes": `unknown_room`, `rate_limited`, `invalid_message`, `id_taken`, …),
 * else one of the SDK's own: `unreachable` (no answer from the server), `bad_answer` (not an mqchat
 * answer), `closed` (the chat was closed before the call finished), `mqtt` (the MQTT connection failed).
 */
export class ChatError extends Error {
  override readonly name = 'ChatError'

  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status of a REST failure. */
    readonly status?: number
  ) {
    super(message)
  }
}
