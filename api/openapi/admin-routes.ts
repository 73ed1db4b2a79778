import { newUserSchema } from '../new-user.js'
import { createKeySchema } from '../routes/admin-keys.js'
import { addMemberSchema } from '../routes/admin-rooms.js'
import { listQuerySchema } from '../routes/admin-users.js'
import {
  adminUserDetailSchema,
  adminUserPageSchema,
  adminUserSchema,
  apiKeyListSchema,
  connectionsAnswerSchema,
  createdApiKeySchema,
  createdUserSchema,
  roomSchema
} from './answer-schemas.js'
import type { RouteDoc } from './route-doc.js'

const noContent = { description: 'done; no body' }

/** /v1/admin: users, service API keys (scope `admin`) and rooms (scope `rooms:admin`). */
export const adminRouteDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/admin/users',
    tag: 'admin',
    summary: 'List users in id order, optionally those whose id starts with `prefix`',
    access: 'admin',
    query: listQuerySchema,
    answers: { 200: { description: 'one page of users', schema: adminUserPageSchema } },
    errors: []
  },
  {
    method: 'post',
    path: '/v1/admin/users',
    tag: 'admin',
    summary: 'Create a user (also while registration is closed)',
    access: 'admin',
    body: newUserSchema,
    answers: { 201: { description: 'the new user', schema: createdUserSchema } },
    errors: ['conflict']
  },
  {
    method: 'get',
    path: '/v1/admin/users/{userId}',
    tag: 'admin',
    summary: 'A user and their live MQTT connections on every node',
    access: 'admin',
    answers: { 200: { description: 'the user', schema: adminUserDetailSchema } },
    errors: ['not_found']
  },
  {
    method: 'get',
    path: '/v1/admin/users/{userId}/connections',
    tag: 'admin',
    summary: 'A user’s live MQTT connections on every node',
    access: 'admin',
    answers: { 200: { description: 'the connections', schema: connectionsAnswerSchema } },
    errors: ['not_found']
  },
  {
    method: 'post',
    path: '/v1/admin/users/{userId}/ban',
    tag: 'admin',
    summary: 'Ban: every token revoked, new ones refused, open connections closed on every node',
    access: 'admin',
    answers: { 200: { description: 'the user', schema: adminUserSchema } },
    errors: ['not_found', 'conflict']
  },
  {
    method: 'delete',
    path: '/v1/admin/users/{userId}/ban',
    tag: 'admin',
    summary: 'Lift a ban',
    access: 'admin',
    answers: { 200: { description: 'the user', schema: adminUserSchema } },
    errors: ['not_found']
  },
  {
    method: 'post',
    path: '/v1/admin/keys',
    tag: 'admin',
    summary: 'Create a service API key (its text is in this answer only)',
    access: 'admin',
    body: createKeySchema,
    answers: { 201: { description: 'the key', schema: createdApiKeySchema } },
    errors: ['conflict']
  },
  {
    method: 'get',
    path: '/v1/admin/keys',
    tag: 'admin',
    summary: 'List service API keys (never their text)',
    access: 'admin',
    answers: { 200: { description: 'the keys', schema: apiKeyListSchema } },
    errors: []
  },
  {
    method: 'delete',
    path: '/v1/admin/keys/{keyId}',
    tag: 'admin',
    summary: 'Revoke a service API key',
    access: 'admin',
    answers: { 204: noContent },
    errors: ['not_found']
  },
  {
    method: 'get',
    path: '/v1/admin/rooms/{roomId}',
    tag: 'admin',
    summary: 'Any room',
    access: 'rooms:admin',
    answers: { 200: { description: 'the room', schema: roomSchema } },
    errors: ['not_found']
  },
  {
    method: 'delete',
    path: '/v1/admin/rooms/{roomId}',
    tag: 'admin',
    summary: 'Delete a room: its members are removed first; its history stays stored',
    access: 'rooms:admin',
    answers: { 204: noContent },
    errors: ['not_found']
  },
  {
    method: 'post',
    path: '/v1/admin/rooms/{roomId}/members',
    tag: 'admin',
    summary: 'Add a member to any group room',
    access: 'rooms:admin',
    body: addMemberSchema,
    answers: { 200: { description: 'the room', schema: roomSchema } },
    errors: ['not_found', 'conflict']
  },
  {
    method: 'delete',
    path: '/v1/admin/rooms/{roomId}/members/{userId}',
    tag: 'admin',
    summary: 'Remove a member from any room',
    access: 'rooms:admin',
    answers: { 204: noContent },
    errors: ['not_found']
  }
]
