import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { LevelAccountsStore } from './accounts/level-accounts-store.js'
import { LevelChatLog } from './chat-log/level-chat-log.js'
import { LevelClientOwners } from './client-owners/level-client-owners.js'
import { LevelCredentialsStore } from './credentials/level-credentials-store.js'
import { LevelHistoryStore } from './history/level-history-store.js'
import { openLevel } from './level.js'
import { createPrivateDir, makeContentsPrivate } from './private-files.js'
import { LevelReadStateStore } from './read-pointers/level-read-state-store.js'
import { LevelRoomSettingsStore } from './room-settings/level-room-settings-store.js'
import { LevelSessionActivity } from './session-activity/level-session-activity.js'
import { LevelSessionCursors } from './session-cursors/level-session-cursors.js'

export interface EmbeddedStorage {
  chatLog: LevelChatLog
  history: LevelHistoryStore
  accounts: LevelAccountsStore
  cursors: LevelSessionCursors
  sessionActivity: LevelSessionActivity
  clientOwners: LevelClientOwners
  credentials: LevelCredentialsStore
  roomSettings: LevelRoomSettingsStore
  readState: LevelReadStateStore
  /** The LevelDB that `aedes-persistence-level` keeps MQTT sessions in. */
  sessions: ClassicLevel
  close(): Promise<void>
}

/** Opens every embedded store under one data directory, one LevelDB each. */
export async function openEmbeddedStorage(
  dataDir: string,
  options: { sync?: boolean; clientIdTtlSeconds?: number } = {}
): Promise<EmbeddedStorage> {
  await createPrivateDir(dataDir)
  const [logDb, historyDb, accountsDb, cursorsDb, credentialsDb, settingsDb, readStateDb] = await Promise.all(
    ['chat-log', 'history', 'accounts', 'session-cursors', 'credentials', 'room-settings', 'read-state'].map((name) =>
      openLevel(join(dataDir, name))
    )
  )
  await createPrivateDir(join(dataDir, 'sessions'))
  const sessions = new ClassicLevel(join(dataDir, 'sessions'))
  await sessions.open()
  // also what an older version created 0755/0644: the jwt-secret beside the databases, their files
  await makeContentsPrivate(dataDir, 2)
  const chatLog = await LevelChatLog.open(logDb!, options)
  const history = new LevelHistoryStore(historyDb!)
  const accounts = new LevelAccountsStore(accountsDb!)
  const cursors = new LevelSessionCursors(cursorsDb!)
  const credentials = new LevelCredentialsStore(credentialsDb!)
  const roomSettings = new LevelRoomSettingsStore(settingsDb!)
  const readState = new LevelReadStateStore(readStateDb!)
  // client ids are session state: their owners live beside the sessions' cursors
  const clientOwners = new LevelClientOwners(cursorsDb!, options.clientIdTtlSeconds ?? 30 * 86_400)
  const sessionActivity = new LevelSessionActivity(cursorsDb!)
  return {
    chatLog,
    history,
    accounts,
    cursors,
    sessionActivity,
    clientOwners,
    credentials,
    roomSettings,
    readState,
    sessions,
    async close() {
      await Promise.all([
        chatLog.close(),
        history.close(),
        accounts.close(),
        cursors.close(),
        sessionActivity.close(),
        clientOwners.close(),
        credentials.close(),
        roomSettings.close(),
        readState.close()
      ])
      await Promise.all(
        [logDb, historyDb, accountsDb, cursorsDb, credentialsDb, settingsDb, readStateDb].map((db) => db!.close()).concat(sessions.close())
      )
    }
  }
}
