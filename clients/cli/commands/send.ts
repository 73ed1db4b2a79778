import { randomUUID } from 'node:crypto'
import { Command, InvalidArgumentError } from 'commander'
import { isId } from '../../../core/ids.js'
import { clientAction, optionsOf, withCommonOptions } from '../action.js'
import { type CliContext, type CommonOptions, openSession, printJson } from '../session.js'

interface SendOptions extends CommonOptions {
  id?: string
}

function messageId(value: string): string {
  if (!isId(value)) throw new InvalidArgumentError('expected [A-Za-z0-9_-]{1,64}')
  return value
}

/** `mqchat send <roomId> <text...>`: one message through REST, printed with its seq. */
export function sendCommand(ctx: CliContext): Command {
  return withCommonOptions(new Command('send'))
    .description('send a message to a room and print its seq')
    .argument('<roomId>', 'the room')
    .argument('<text...>', 'the message (words are joined with spaces)')
    .option('--id <id>', 'message id (default: a fresh UUID); sending the same id again yields the same seq, no second copy', messageId)
    .action(
      clientAction(ctx, async (roomId: string, words: string[], _options: SendOptions, command: Command) => {
        const options = optionsOf<SendOptions>(command)
        const { api } = await openSession(ctx, options)
        const { envelope, duplicate } = await api.sendMessage(roomId, { id: options.id ?? randomUUID(), body: words.join(' ') })
        if (options.json) return printJson(ctx, envelope)
        ctx.stdout.write(duplicate ? `already sent as #${envelope.seq} (id ${envelope.id})\n` : `sent #${envelope.seq}\n`)
      })
    )
}
