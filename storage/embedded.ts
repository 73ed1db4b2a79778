import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { LevelAccountsStore } from './accounts/level-accounts-store.js'
import { LevelChatLog } from './chat-log/level-chat-log.js'
import { LevelHistoryStore } from './history/level-history-store.js'
import { openLevel } from './level.js'
import { LevelSessionCursors } from './session-cursors/level-session-cursors.js'

export interface EmbeddedStorage {
  chatLog: LevelChatLog
  history: LevelHistoryStore
  accounts: LevelAccountsStore
  cursors: LevelSessionCursors
  /** The LevelDB that `aedes-persistence-level` keeps MQTT sessions in. */
  sessions: ClassicLevel
  close(): Promise<void>
}

/** Opens every embedded store under one data directory, one LevelDB each. */
export async function openEmbeddedStorage(dataDir: string, options: { sync?: boolean } = {}): Promise<EmbeddedStorage> {
  await mkdir(dataDir, { recursive: true })
  const [logDb, historyDb, accountsDb, cursorsDb] = await Promise.all(
    ['chat-log', 'history', 'accounts', 'session-cursors'].map((name) => openLevel(join(dataDir, name)))
  )
  const sessions = new ClassicLevel(join(dataDir, 'sessions'))
  await sessions.open()
  const chatLog = await LevelChatLog.open(logDb!, options)
  const history = new LevelHistoryStore(historyDb!)
  const accounts = new LevelAccountsStore(accountsDb!)
  const cursors = new LevelSessionCursors(cursorsDb!)
  return {
    chatLog,
    history,
    accounts,
    cursors,
    sessions,
    async close() {
      await Promise.all([chatLog.close(), history.close(), accounts.close(), cursors.close()])
      await Promise.all([logDb!.close(), historyDb!.close(), accountsDb!.close(), cursorsDb!.close(), sessions.close()])
    }
  }
}
