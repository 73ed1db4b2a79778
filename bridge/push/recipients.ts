import type { ConnectionCounter } from '../../broker/connection-counters/connection-counter.js'
import type { Envelope } from '../../core/message.js'
import type { AccountsStore } from '../../storage/accounts/accounts-store.js'
import type { RoomSettingsStore } from '../../storage/room-settings/room-settings-store.js'

export interface RecipientSources {
  accounts: AccountsStore
  roomSettings: RoomSettingsStore
  connectionCounter: ConnectionCounter
}

/**
 * Who gets an offline push for this message: the room's members now, minus the sender, minus
 * those who muted the room, minus everyone with a live connection on any node (those receive
 * it over MQTT). Empty for a room that no longer exists.
 */
export async function pushRecipients(sources: RecipientSources, envelope: Envelope): Promise<string[]> {
  const room = await sources.accounts.getRoom(envelope.room)
  if (!room) return []
  const muted = new Set(await sources.roomSettings.mutedIn(room.id))
  const candidates = room.members.filter((member) => member !== envelope.from && !muted.has(member))
  const online = new Set(await sources.connectionCounter.online(candidates))
  return candidates.filter((member) => !online.has(member))
}
