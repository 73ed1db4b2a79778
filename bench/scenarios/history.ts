import { type Db, MongoClient } from 'mongodb'
import { Histogram, nowUs } from '../histogram.js'
import { restApi } from '../targets/rest-api.js'
import type { Login } from '../targets/target.js'
import { fillMongoHistory, fillThroughRest } from './history-fill.js'
import { ms, per } from './measure.js'
import type { MetricTarget, Scenario, ScenarioContext, ScenarioRun } from './scenario.js'

const PAGE = 50
/** `GET /v1/rooms` answers at most this many rooms a page; the bench reads every page. */
const ROOMS_PAGE = 200
const CREATE_CONCURRENCY = 8

/** SPEC §9 row H: the REST page's p99 against the raw query's, in the same run. */
const atMostTimesRaw: MetricTarget = { text: '≤ 1.5× raw', on: 'value', direction: 'atMost', limit: () => 1.5 }

const METRIC_KEYS = [
  'historyMessages',
  'historyRestP50Ms',
  'historyRestP99Ms',
  'historyRawP50Ms',
  'historyRawP99Ms',
  'historyP99OverRaw',
  'rooms',
  'roomsRestP50Ms',
  'roomsRestP99Ms',
  'roomsRawP50Ms',
  'roomsRawP99Ms',
  'roomsP99OverRaw'
] as const
type MetricKey = (typeof METRIC_KEYS)[number]

/**
 * H: a page of 50 from a large room through `GET /v1/rooms/{id}/messages?before=` at random points,
 * and `GET /v1/rooms` (with unread counts) for a user in 500 rooms, each timed beside the raw
 * indexed query of the same data on the same database, requests alternating so both see the same
 * machine. The raw queries need the target's database: the cluster's MongoDB/FerretDB.
 */
export const historyReads: Scenario = {
  id: 'H',
  title: 'history page and room list, REST beside raw',
  metrics: [
    { key: 'historyMessages', label: 'messages in the room', digits: 0 },
    { key: 'historyRestP50Ms', label: 'history page p50 REST (ms)', digits: 2 },
    { key: 'historyRestP99Ms', label: 'history page p99 REST (ms)', digits: 2 },
    { key: 'historyRawP50Ms', label: 'history page p50 raw find (ms)', digits: 2 },
    { key: 'historyRawP99Ms', label: 'history page p99 raw find (ms)', digits: 2 },
    { key: 'historyP99OverRaw', label: 'history p99 REST / raw', digits: 2, target: atMostTimesRaw },
    { key: 'rooms', label: 'rooms of the user', digits: 0 },
    { key: 'roomsRestP50Ms', label: 'GET /v1/rooms p50 REST (ms)', digits: 2 },
    { key: 'roomsRestP99Ms', label: 'GET /v1/rooms p99 REST (ms)', digits: 2 },
    { key: 'roomsRawP50Ms', label: 'rooms of user p50 raw find (ms)', digits: 2 },
    { key: 'roomsRawP99Ms', label: 'rooms of user p99 raw find (ms)', digits: 2 },
    { key: 'roomsP99OverRaw', label: 'rooms p99 REST / raw', digits: 2 }
  ],
  async run(context: ScenarioContext): Promise<ScenarioRun> {
    const { target, options } = context
    const metrics = Object.fromEntries(METRIC_KEYS.map((key) => [key, null])) as Record<MetricKey, number | null>
    const notes: string[] = []
    const { httpUrl } = target
    if (httpUrl === undefined) return { metrics, notes: ['no REST API: H does not apply'] }
    const client = target.mongodb ? await new MongoClient(target.mongodb.url).connect() : null
    try {
      const db = client && target.mongodb && target.redis ? client.db(target.mongodb.name) : null
      if (!db) notes.push('no raw column: the embedded LevelDB is held open by the running node; raw queries run on the cluster target')
      const [user] = await target.users(1, 'bench-history')
      if (!user?.password) throw new Error('registration answered no token')
      const userId = user.userId ?? user.clientId
      context.log(`${target.name}: H creating ${options.historyRooms} rooms`)
      const rooms = await createRooms(httpUrl, user.password, options.historyRooms)
      const room = rooms[0]!
      context.log(`${target.name}: H filling a room with ${options.historyMessages} messages`)
      if (db && target.redis) await fillMongoHistory(db, target.redis, room, userId, options.historyMessages)
      else await fillThroughRest(httpUrl, user.password, room, options.historyMessages)

      context.log(`${target.name}: H timing ${options.historySamples} pages of ${PAGE}, REST and raw alternating`)
      const history = await timeHistory(httpUrl, user, db, room, options.historyMessages, options.historySamples)
      metrics.historyMessages = options.historyMessages
      Object.assign(metrics, summarize('history', history))
      const list = await timeRooms(httpUrl, user, db, userId, options.historyRooms, options.historySamples)
      metrics.rooms = options.historyRooms
      Object.assign(metrics, summarize('rooms', list))
      if (db)
        notes.push("raw rooms query: the user's room documents from MongoDB; unread counts come from Redis counters, so REST does more")
      return { metrics, notes }
    } finally {
      await client?.close()
    }
  }
}

interface Timings {
  rest: Histogram
  raw: Histogram
}

function summarize(prefix: 'history' | 'rooms', { rest, raw }: Timings): Partial<Record<MetricKey, number | null>> {
  const restP99 = ms(rest.quantile(0.99))
  const rawP99 = ms(raw.quantile(0.99))
  return {
    [`${prefix}RestP50Ms`]: ms(rest.quantile(0.5)),
    [`${prefix}RestP99Ms`]: restP99,
    [`${prefix}RawP50Ms`]: ms(raw.quantile(0.5)),
    [`${prefix}RawP99Ms`]: rawP99,
    [`${prefix}P99OverRaw`]: restP99 === null || rawP99 === null ? null : per(restP99, rawP99)
  }
}

async function createRooms(httpUrl: string, token: string, count: number): Promise<string[]> {
  const api = restApi(httpUrl)
  const ids: string[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      ids[index] = (await api.createRoom(token, [])).id
    }
  }
  await Promise.all(Array.from({ length: Math.min(CREATE_CONCURRENCY, count) }, worker))
  return ids
}

async function getJson<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 300)}`)
  return JSON.parse(text) as T
}

/** Pages before a random seq in [PAGE + 1, size + 1], so that every page is a full one. */
async function timeHistory(httpUrl: string, user: Login, db: Db | null, room: string, size: number, samples: number): Promise<Timings> {
  const timings: Timings = { rest: new Histogram(), raw: new Histogram() }
  const messages = db?.collection('messages')
  for (let sample = 0; sample < samples; sample++) {
    const before = PAGE + 1 + Math.floor(Math.random() * Math.max(1, size - PAGE + 1))
    let started = nowUs()
    const page = await getJson<{ messages: unknown[] }>(
      `${httpUrl}/v1/rooms/${room}/messages?before=${before}&limit=${PAGE}`,
      user.password!
    )
    timings.rest.record(nowUs() - started)
    if (page.messages.length !== Math.min(PAGE, before - 1))
      throw new Error(`a page before ${before} held ${page.messages.length} messages`)
    if (!messages) continue
    started = nowUs()
    const raw = await messages
      .find({ room, seq: { $lt: before } }, { projection: { _id: 0 } })
      .sort({ seq: -1 })
      .limit(PAGE)
      .toArray()
    timings.raw.record(nowUs() - started)
    if (raw.length !== page.messages.length) throw new Error(`the raw page before ${before} held ${raw.length} messages`)
  }
  return timings
}

/** Every page of `GET /v1/rooms` (one request up to 200 rooms) beside one find of the user's room documents. */
async function timeRooms(httpUrl: string, user: Login, db: Db | null, userId: string, count: number, samples: number): Promise<Timings> {
  const timings: Timings = { rest: new Histogram(), raw: new Histogram() }
  const rooms = db?.collection('rooms')
  for (let sample = 0; sample < samples; sample++) {
    let started = nowUs()
    let listed = 0
    let cursor: string | undefined
    do {
      const query = `limit=${ROOMS_PAGE}${cursor ? `&cursor=${cursor}` : ''}`
      const page = await getJson<{ rooms: unknown[]; next?: string }>(`${httpUrl}/v1/rooms?${query}`, user.password!)
      listed += page.rooms.length
      cursor = page.next
    } while (cursor !== undefined)
    timings.rest.record(nowUs() - started)
    if (listed !== count) throw new Error(`GET /v1/rooms listed ${listed} of ${count} rooms`)
    if (!rooms) continue
    started = nowUs()
    const raw = await rooms.find({ members: userId }).sort({ _id: 1 }).toArray()
    timings.raw.record(nowUs() - started)
    if (raw.length !== count) throw new Error(`the raw query found ${raw.length} of ${count} rooms`)
  }
  return timings
}
