import { describe, expect, it } from 'vitest'
import { escapeControls, formatMessage, formatRoomTable } from '../../clients/cli/format.js'
import type { Envelope } from '../../core/message.js'

const envelope = (body: string): Envelope =>
  ({ id: 'm1', room: 'r1', seq: 7, from: 'mallory', ts: Date.now(), type: 'text', body }) as Envelope

describe('the CLI prints other users text with control characters escaped', () => {
  it('escapes terminal escape sequences, carriage returns, newlines, NUL and C1 controls', () => {
    expect(escapeControls('red \u001b[31malert\u001b[0m')).toBe('red \\x1b[31malert\\x1b[0m')
    expect(escapeControls('ok\rforged\nline\ttab\u0000\u009b')).toBe('ok\\rforged\\nline\\ttab\\x00\\x9b')
  })

  it('escapes bidi overrides and isolates', () => {
    expect(escapeControls('abc\u202Edcba\u2066x\u2069\u200F')).toBe('abc\\u202edcba\\u2066x\\u2069\\u200f')
  })

  it('leaves ordinary text alone, emoji and other scripts included', () => {
    expect(escapeControls('héllo – 你好 👋 "quoted" \\ back')).toBe('héllo – 你好 👋 "quoted" \\ back')
  })

  it('applies to message bodies and room names', () => {
    const line = formatMessage(envelope('hi\u001b[2J\u001b[Hyou have been logged out'))
    expect(line).toMatch(/^#7 \[[0-9:]+\] mallory: hi\\x1b\[2J\\x1b\[Hyou have been logged out$/)
    expect(line.includes('\u001b')).toBe(false)
    const table = formatRoomTable([{ id: 'r1', name: 'evil\u001b]0;title\u0007', kind: 'group', members: ['a'] } as never])
    expect(table).toContain('evil\\x1b]0;title\\x07')
    expect(table.includes('\u001b') || table.includes('\u0007')).toBe(false)
  })
})
