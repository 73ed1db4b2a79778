/**
 * mqchat SDK (SPEC §7): the one public entry, `mqchat/sdk`. Browser-safe: no Node-only imports.
 *
 *   const chat = await connect({ url: 'http://localhost:8080', token })
 *   chat.on('message', (m) => …)
 *   await chat.join(roomId, { after: 41 })
 *   const m = await chat.send(roomId, 'hello')
 */
export { Chat } from './chat.js'
export { type ConnectOptions, connect, login, register } from './connect.js'
export { ChatError } from './errors.js'
export { collectHistory, pagesAfter, pagesBefore } from './history-pages.js'
export { type AuthAnswer, createRestClient, type RestClient, type RestOptions } from './rest.js'
export type {
  ChatEvents,
  ConnectionStatus,
  Envelope,
  HistoryPage,
  HistoryQuery,
  Notice,
  OutgoingMessage,
  PresenceUpdate,
  ReceiptSignal,
  Room,
  RoomEvent,
  TypingSignal,
  User
} from './types.js'
export { mqttUrlFor } from './wire.js'
