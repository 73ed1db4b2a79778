import type { Command } from 'commander'
import { historyCommand } from './commands/history.js'
import { loginCommand } from './commands/login.js'
import { roomsCommand } from './commands/rooms.js'
import { sendCommand } from './commands/send.js'
import { tailCommand } from './commands/tail.js'
import type { CliContext } from './session.js'

/**
 * The client commands (SPEC §7): login, rooms, send, history, tail. They talk to a node over REST and
 * MQTT-over-WebSocket and import only core/ and clients/, never the server code.
 */
export function registerClientCommands(program: Command, ctx: CliContext): void {
  for (const command of [loginCommand, roomsCommand, sendCommand, historyCommand, tailCommand]) program.addCommand(command(ctx))
}
