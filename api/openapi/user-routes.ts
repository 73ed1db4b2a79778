import { newUserSchema } from '../new-user.js'
import { passwordChangeSchema } from '../routes/account.js'
import { loginSchema } from '../routes/auth.js'
import { roomSettingsSchema } from '../routes/room-settings.js'
import { addMemberSchema, createRoomSchema, listRoomsSchema } from '../routes/rooms.js'
import {
  authAnswerSchema,
  livenessSchema,
  readinessSchema,
  roomPageSchema,
  roomSchema,
  roomSettingsAnswerSchema,
  tokenAnswerSchema
} from './answer-schemas.js'
import type { RouteDoc } from './route-doc.js'

const noContent = { description: 'done; no body' }

/** Registration, login, rooms, health and the documents themselves. */
export const userRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/auth/register',
    tag: 'auth',
    summary: 'Register a user',
    description: 'Throttled per client address. A username taken in any letter case: 409. `MQCHAT_REGISTRATION=closed`: 403.',
    access: 'public',
    body: newUserSchema,
    answers: { 201: { description: 'the new user and a token', schema: authAnswerSchema } },
    errors: ['conflict', 'forbidden', 'rate_limited']
  },
  {
    method: 'post',
    path: '/v1/auth/login',
    tag: 'auth',
    summary: 'Log in (the username in any letter case)',
    access: 'public',
    body: loginSchema,
    answers: { 200: { description: 'the user and a token', schema: authAnswerSchema } },
    errors: ['unauthenticated', 'rate_limited']
  },
  {
    method: 'post',
    path: '/v1/auth/logout',
    tag: 'auth',
    summary: 'Revoke the token this request carries; its MQTT connections close',
    access: 'user',
    answers: { 204: noContent },
    errors: []
  },
  {
    method: 'put',
    path: '/v1/auth/password',
    tag: 'auth',
    summary: 'Change the password: every token of the user is revoked, a new one answered',
    access: 'user',
    body: passwordChangeSchema,
    answers: { 200: { description: 'a new token', schema: tokenAnswerSchema } },
    errors: ['forbidden', 'rate_limited']
  },
  {
    method: 'get',
    path: '/v1/rooms',
    tag: 'rooms',
    summary: 'The rooms you are in, in id order, a page at a time',
    access: 'user',
    query: listRoomsSchema,
    answers: { 200: { description: 'one page of rooms', schema: roomPageSchema } },
    errors: []
  },
  {
    method: 'post',
    path: '/v1/rooms',
    tag: 'rooms',
    summary: 'Create a group room, or a direct room with one other user',
    access: 'user',
    body: createRoomSchema,
    answers: {
      201: { description: 'the new room', schema: roomSchema },
      200: { description: 'the direct room of these two users, which exists', schema: roomSchema }
    },
    errors: ['cannot_add', 'rate_limited']
  },
  {
    method: 'get',
    path: '/v1/rooms/{roomId}',
    tag: 'rooms',
    summary: 'A room of yours',
    access: 'user',
    answers: { 200: { description: 'the room', schema: roomSchema } },
    errors: ['unknown_room']
  },
  {
    method: 'post',
    path: '/v1/rooms/{roomId}/members',
    tag: 'rooms',
    summary: 'Add a member (any member may)',
    access: 'user',
    body: addMemberSchema,
    answers: { 200: { description: 'the room', schema: roomSchema } },
    errors: ['unknown_room', 'conflict', 'cannot_add', 'rate_limited']
  },
  {
    method: 'delete',
    path: '/v1/rooms/{roomId}/members/{userId}',
    tag: 'rooms',
    summary: 'Remove a member: yourself, or anyone if you created the room',
    access: 'user',
    answers: { 204: noContent },
    errors: ['unknown_room', 'conflict', 'forbidden']
  },
  {
    method: 'get',
    path: '/v1/rooms/{roomId}/settings',
    tag: 'rooms',
    summary: 'Your own settings for a room of yours',
    access: 'user',
    answers: { 200: { description: 'the settings', schema: roomSettingsAnswerSchema } },
    errors: ['unknown_room']
  },
  {
    method: 'put',
    path: '/v1/rooms/{roomId}/settings',
    tag: 'rooms',
    summary: 'Set your own settings for a room (muted: no offline push)',
    access: 'user',
    body: roomSettingsSchema,
    answers: { 200: { description: 'the settings', schema: roomSettingsAnswerSchema } },
    errors: ['unknown_room', 'rate_limited']
  },
  {
    method: 'get',
    path: '/healthz',
    tag: 'health',
    summary: 'Liveness',
    access: 'public',
    answers: { 200: { description: 'the process runs', schema: livenessSchema } },
    errors: []
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'health',
    summary: 'Readiness',
    access: 'public',
    answers: {
      200: { description: 'serving', schema: readinessSchema },
      503: { description: 'still starting', schema: readinessSchema }
    },
    errors: []
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics',
    access: 'metrics',
    answers: { 200: { description: 'Prometheus text exposition', contentType: 'text/plain' } },
    errors: []
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    tag: 'documents',
    summary: 'This OpenAPI 3.1 document',
    access: 'public',
    answers: { 200: { description: 'the OpenAPI document' } },
    errors: []
  },
  {
    method: 'get',
    path: '/v1/asyncapi.json',
    tag: 'documents',
    summary: 'The AsyncAPI 3 document of the MQTT topics',
    access: 'public',
    answers: { 200: { description: 'the AsyncAPI document' } },
    errors: []
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'documents',
    summary: 'This reference, rendered (Swagger UI, served locally)',
    access: 'public',
    answers: { 200: { description: 'an HTML page', contentType: 'text/html' } },
    errors: []
  },
  {
    method: 'get',
    path: '/',
    tag: 'documents',
    summary: 'The browser chat app (with /app.js and /app.css, served locally)',
    access: 'public',
    answers: { 200: { description: 'an HTML page', contentType: 'text/html' } },
    errors: []
  }
]
