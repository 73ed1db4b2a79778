import { Command } from 'commander'
import { clientAction, optionsOf, withCommonOptions } from '../action.js'
import { describeRoom, formatRoomTable } from '../format.js'
import { type CliContext, type CommonOptions, openSession, printJson } from '../session.js'

interface CreateOptions extends CommonOptions {
  members?: string[]
}

const userList = (value: string): string[] =>
  value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0)

/** `mqchat rooms` lists your rooms; `rooms create`, `rooms direct` and `rooms add` change them. */
export function roomsCommand(ctx: CliContext): Command {
  const rooms = withCommonOptions(new Command('rooms'))
    .description('list your rooms (id, name, kind, members); create rooms and add members')
    .action(
      clientAction(ctx, async (_options: CommonOptions, command: Command) => {
        const options = optionsOf(command)
        const list = await (await openSession(ctx, options)).api.rooms()
        if (options.json) return printJson(ctx, { rooms: list })
        ctx.stdout.write(list.length === 0 ? 'no rooms yet: create one with `mqchat rooms create <name>`\n' : `${formatRoomTable(list)}\n`)
      })
    )

  rooms.addCommand(
    withCommonOptions(new Command('create'))
      .description('create a group room (you are a member)')
      .argument('<name>', 'the room name')
      .option('--members <ids>', 'comma-separated user ids to add, e.g. bob,carol', userList)
      .action(
        clientAction(ctx, async (name: string, _options: CreateOptions, command: Command) => {
          const options = optionsOf<CreateOptions>(command)
          const room = await (await openSession(ctx, options)).api.createRoom({ name, members: options.members ?? [], kind: 'group' })
          if (options.json) return printJson(ctx, room)
          ctx.stdout.write(`created ${describeRoom(room)}\n`)
        })
      )
  )

  rooms.addCommand(
    withCommonOptions(new Command('direct'))
      .description('open the direct room with another user (the same room from either side)')
      .argument('<userId>', 'the other user')
      .action(
        clientAction(ctx, async (userId: string, _options: CommonOptions, command: Command) => {
          const options = optionsOf(command)
          const room = await (await openSession(ctx, options)).api.createRoom({ members: [userId], kind: 'direct' })
          if (options.json) return printJson(ctx, room)
          ctx.stdout.write(`direct room with ${userId}: ${describeRoom(room)}\n`)
        })
      )
  )

  rooms.addCommand(
    withCommonOptions(new Command('add'))
      .description('add a member to a group room you are in')
      .argument('<roomId>', 'the room')
      .argument('<userId>', 'the user to add')
      .action(
        clientAction(ctx, async (roomId: string, userId: string, _options: CommonOptions, command: Command) => {
          const options = optionsOf(command)
          const room = await (await openSession(ctx, options)).api.addMember(roomId, userId)
          if (options.json) return printJson(ctx, room)
          ctx.stdout.write(`added ${userId} to ${describeRoom(room)}\n`)
        })
      )
  )

  return rooms
}
