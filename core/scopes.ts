/**
 * What a service API key may do (SPEC §5):
 * - `history:read`: read any room's history (`GET /v1/rooms/{id}/messages`), never send;
 * - `messages:write`: send into any room as the service (`POST /v1/rooms/{id}/messages`, `from: "svc_<name>"`);
 * - `rooms:admin`: the room endpoints of the admin API (delete a room, add or remove members);
 * - `admin`: the whole admin API, the others included.
 */
export const SCOPES = ['history:read', 'messages:write', 'rooms:admin', 'admin'] as const

export type Scope = (typeof SCOPES)[number]

/** `admin` implies every other scope. */
export function hasScope(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes(needed) || granted.includes('admin')
}

/** A service's identity in `from` and in the accounts store: a valid id (SPEC §3) no registration can take. */
export const SERVICE_ID_PREFIX = 'svc_'
export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,59}$/
