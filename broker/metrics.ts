import { Counter, Gauge, type Registry } from 'prom-client'

export interface BrokerMetrics {
  connections: Gauge
  messagesIn: Counter
  messagesOut: Counter
  rejects: Counter<'reason'>
}

export function createBrokerMetrics(registry: Registry): BrokerMetrics {
  return {
    connections: new Gauge({ name: 'mqchat_connections', help: 'Open MQTT connections', registers: [registry] }),
    messagesIn: new Counter({ name: 'mqchat_messages_in_total', help: 'Chat messages sequenced', registers: [registry] }),
    messagesOut: new Counter({ name: 'mqchat_messages_out_total', help: 'Publishes forwarded to subscribers', registers: [registry] }),
    rejects: new Counter({
      name: 'mqchat_rejects_total',
      help: 'Chat sends rejected, by reason',
      labelNames: ['reason'] as const,
      registers: [registry]
    })
  }
}
