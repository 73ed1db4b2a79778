import { Command } from 'commander'
import { collectHistory } from '../../sdk/index.js'
import { clientAction, nonNegativeInt, optionsOf, positiveInt, withCommonOptions } from '../action.js'
import { formatMessage } from '../format.js'
import { type CliContext, type CommonOptions, openSession, printJson } from '../session.js'

interface HistoryOptions extends CommonOptions {
  limit?: number
  before?: number
  after?: number
}

/** `mqchat history <roomId>`: a page of history, oldest to newest. */
export function historyCommand(ctx: CliContext): Command {
  return withCommonOptions(new Command('history'))
    .description('print messages of a room, oldest to newest: the newest ones, or those after --after')
    .argument('<roomId>', 'the room')
    .option('--limit <n>', 'how many messages (default 50)', positiveInt)
    .option('--before <seq>', 'only messages with a smaller seq', nonNegativeInt)
    .option('--after <seq>', 'the messages after this seq (what a reader who last saw it missed)', nonNegativeInt)
    .action(
      clientAction(ctx, async (roomId: string, _options: HistoryOptions, command: Command) => {
        const options = optionsOf<HistoryOptions>(command)
        const { api } = await openSession(ctx, options)
        const messages = await collectHistory(api, roomId, { limit: options.limit ?? 50, before: options.before, after: options.after })
        if (options.json) return printJson(ctx, { room: roomId, messages })
        if (messages.length === 0) return void ctx.stdout.write('no messages\n')
        for (const message of messages) ctx.stdout.write(`${formatMessage(message)}\n`)
      })
    )
}
