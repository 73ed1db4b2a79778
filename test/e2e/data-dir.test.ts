import { chmod, mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAllNodes, runMqchat, spawnNode } from '../helpers/node-process.js'
import { restClient } from '../helpers/rest.js'
import { makeTempDir } from '../helpers/temp-dir.js'

/** Every path under `dir` (itself included) with its permission bits, e.g. ['.', 0o700]. */
async function modes(dir: string): Promise<[string, number][]> {
  const found: [string, number][] = [['.', (await stat(dir)).mode & 0o777]]
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    found.push([path.slice(dir.length + 1), (await stat(path)).mode & 0o777])
  }
  return found
}

async function expectPrivate(dir: string): Promise<void> {
  const all = await modes(dir)
  const directories = new Set(['.', 'chat-log', 'history', 'accounts', 'session-cursors', 'sessions'])
  for (const name of directories) expect(all.map(([path]) => path)).toContain(name)
  expect(all.map(([path]) => path)).toContain('jwt-secret')
  expect(all.filter(([path]) => path.startsWith('accounts/')).length).toBeGreaterThan(0)
  for (const [path, mode] of all) {
    const isDir = (await stat(join(dir, path))).isDirectory()
    expect([path, mode.toString(8)]).toEqual([path, isDir ? '700' : '600'])
  }
}

describe('the data directory is readable by its owner only (issue 6, item 11)', () => {
  let umask: number
  let tmp: { path: string; remove(): Promise<void> }

  beforeAll(async () => {
    // the usual umask: without the fix, mqchat created 0755 directories and 0644 files under it
    umask = process.umask(0o022)
    tmp = await makeTempDir()
  })
  afterAll(async () => {
    process.umask(umask)
    await killAllNodes()
    await tmp.remove()
  })

  it('mqchat dev creates the data directory 0700 and its files 0600 (password hashes, token secret)', async () => {
    const dataDir = join(tmp.path, 'fresh', 'data')
    const node = await spawnNode(dataDir)
    const rest = restClient(node.httpUrl)
    await rest.register('alice')
    await rest.createRoom((await rest.register('bob')).token, 'room', ['alice'])
    await expectPrivate(dataDir)
    expect(await node.stop()).toEqual({ code: 0, signal: null })
  })

  it('narrows a data directory an older version left 0755 with a 0644 jwt-secret', async () => {
    const dataDir = join(tmp.path, 'older')
    await mkdir(dataDir, { mode: 0o755 })
    await chmod(dataDir, 0o755)
    await writeFile(join(dataDir, 'jwt-secret'), 'an-older-secret-that-is-long-enough-to-use', { mode: 0o644 })
    await chmod(join(dataDir, 'jwt-secret'), 0o644)
    const node = await spawnNode(dataDir)
    await restClient(node.httpUrl).register('alice')
    await expectPrivate(dataDir)
    expect(await node.stop()).toEqual({ code: 0, signal: null })
  })

  it('an empty jwt-secret file: one line on stderr, exit 1, nothing started', async () => {
    for (const content of ['', '\n', 'too-short']) {
      const dataDir = join(tmp.path, `bad-secret-${content.length}`)
      await mkdir(dataDir, { mode: 0o700 })
      await writeFile(join(dataDir, 'jwt-secret'), content, { mode: 0o600 })
      const result = await runMqchat('dev', { MQCHAT_DATA_DIR: dataDir })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^mqchat: invalid configuration: .*jwt-secret (is empty|holds fewer than 32 characters): .*\n$/)
      expect(result.stderr.split('\n')).toHaveLength(2)
      expect(result.stdout).not.toMatch(/listening/)
      // refused before any store was opened
      expect((await readdir(dataDir)).sort()).toEqual(['jwt-secret'])
    }
  })
})
