import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { LevelAccountsStore } from './accounts/level-accounts-store.js'
import { LevelChatLog } from './chat-log/level-chat-log.js'
import { LevelHistoryStore } from './history/level-history-store.js'
import { openLevel } from './level.js'

export interface EmbeddedStorage {
  chatLog: LevelChatLog
  history: LevelHistoryStore
  accounts: LevelAccountsStore
  /** The LevelDB that `aedes-persistence-level` keeps MQTT sessions in. */
  sessions: ClassicLevel
  close(): Promise<void>
}

/** Opens every embedded store under one data directory, one LevelDB each. */
export async function openEmbeddedStorage(dataDir: string, options: { sync?: boolean } = {}): Promise<EmbeddedStorage> {
  await mkdir(dataDir, { recursive: true })
  const [logDb, historyDb, accountsDb] = await Promise.all(
    ['chat-log', 'history', 'accounts'].map((name) => openLevel(join(dataDir, name)))
  )
  const sessions = new ClassicLevel(join(dataDir, 'sessions'))
  await sessions.open()
  const chatLog = await LevelChatLog.open(logDb!, options)
  const history = new LevelHistoryStore(historyDb!)
  const accounts = new LevelAccountsStore(accountsDb!)
  return {
    chatLog,
    history,
    accounts,
    sessions,
    async close() {
      await Promise.all([chatLog.close(), history.close(), accounts.close()])
      await Promise.all([logDb!.close(), historyDb!.close(), accountsDb!.close(), sessions.close()])
    }
  }
}
