/** A member's own settings for one room. */
export interface RoomSettings {
  /** No offline push for this room (the member still receives its messages). */
  muted: boolean
}

export const DEFAULT_ROOM_SETTINGS: RoomSettings = { muted: false }

/**
 * Per (user, room) settings, durable.
 *
 * Guarantees every implementation keeps (checked by `describeRoomSettingsContract`):
 * - `get` answers the defaults for a pair never set; `set` replaces the pair's settings and returns them.
 * - `mutedIn(room)` lists exactly the users whose settings for that room say `muted`.
 */
export interface RoomSettingsStore {
  get(userId: string, roomId: string): Promise<RoomSettings>
  set(userId: string, roomId: string, settings: RoomSettings): Promise<RoomSettings>
  /** Users who muted the room, in id order. */
  mutedIn(roomId: string): Promise<string[]>
  close(): Promise<void>
}
