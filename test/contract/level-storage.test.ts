import { describeAccountsContract } from '../../storage/accounts/accounts.contract.js'
import { LevelAccountsStore } from '../../storage/accounts/level-accounts-store.js'
import { CLAIM_IDLE_MS, describeChatLogContract } from '../../storage/chat-log/chat-log.contract.js'
import { LevelChatLog } from '../../storage/chat-log/level-chat-log.js'
import { CLIENT_OWNER_TTL_SECONDS, describeClientOwnersContract } from '../../storage/client-owners/client-owners.contract.js'
import { LevelClientOwners } from '../../storage/client-owners/level-client-owners.js'
import { describeHistoryContract } from '../../storage/history/history.contract.js'
import { LevelHistoryStore } from '../../storage/history/level-history-store.js'
import { LevelReadStateStore } from '../../storage/read-pointers/level-read-state-store.js'
import { describeReadStateContract } from '../../storage/read-pointers/read-state.contract.js'
import { LevelRoomSettingsStore } from '../../storage/room-settings/level-room-settings-store.js'
import { describeRoomSettingsContract } from '../../storage/room-settings/room-settings.contract.js'
import { LevelSessionCursors } from '../../storage/session-cursors/level-session-cursors.js'
import { describeSessionCursorsContract } from '../../storage/session-cursors/session-cursors.contract.js'
import { levelHarness } from '../helpers/level-harness.js'

describeChatLogContract('LevelChatLog', () => levelHarness((db) => LevelChatLog.open(db, { claimIdleMs: CLAIM_IDLE_MS })))
describeHistoryContract('LevelHistoryStore', () => levelHarness((db) => new LevelHistoryStore(db)))
describeAccountsContract('LevelAccountsStore', () => levelHarness((db) => new LevelAccountsStore(db)))
describeSessionCursorsContract('LevelSessionCursors', () => levelHarness((db) => new LevelSessionCursors(db)))
describeClientOwnersContract('LevelClientOwners', () => levelHarness((db) => new LevelClientOwners(db, CLIENT_OWNER_TTL_SECONDS)))
describeRoomSettingsContract('LevelRoomSettingsStore', () => levelHarness((db) => new LevelRoomSettingsStore(db)))
describeReadStateContract('LevelReadStateStore', () => levelHarness((db) => new LevelReadStateStore(db)))
