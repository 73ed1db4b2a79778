import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { findExecutable } from './proc.js'

const run = promisify(execFile)

/** `used_memory` of one Redis (INFO memory), in bytes; `where` is redis-cli's address options (`-s <socket>` or `-p <port>`). */
export async function usedMemoryBytes(where: string[]): Promise<number> {
  const cli = findExecutable('redis-cli')
  if (!cli) throw new Error('redis-cli is not installed')
  const { stdout } = await run(cli, [...where, 'info', 'memory'])
  const match = /^used_memory:(\d+)/m.exec(stdout)
  if (!match) throw new Error(`no used_memory in INFO memory of redis ${where.join(' ')}`)
  return Number(match[1])
}
