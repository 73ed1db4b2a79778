import type { StringLevel } from '../level.js'
import { DEFAULT_ROOM_SETTINGS, type RoomSettings, type RoomSettingsStore } from './room-settings-store.js'

/** Embedded room settings. Keys: `r!{room}!{user}` -> settings JSON (one range read per room). */
export class LevelRoomSettingsStore implements RoomSettingsStore {
  constructor(private readonly db: StringLevel) {}

  async get(userId: string, roomId: string): Promise<RoomSettings> {
    const stored = await this.db.get(`r!${roomId}!${userId}`)
    return stored === undefined
      ? { ...DEFAULT_ROOM_SETTINGS }
      : { ...DEFAULT_ROOM_SETTINGS, ...(JSON.parse(stored) as Partial<RoomSettings>) }
  }

  async set(userId: string, roomId: string, settings: RoomSettings): Promise<RoomSettings> {
    await this.db.put(`r!${roomId}!${userId}`, JSON.stringify(settings))
    return settings
  }

  async mutedIn(roomId: string): Promise<string[]> {
    const prefix = `r!${roomId}!`
    const rows = await this.db.iterator({ gt: prefix, lt: `${prefix}~` }).all()
    return rows.flatMap(([key, value]) => ((JSON.parse(value) as Partial<RoomSettings>).muted ? [key.slice(prefix.length)] : []))
  }

  async close(): Promise<void> {}
}
