// The broker's Prometheus metrics (README "Metrics"), in a registry of its own (two brokers, or
// a broker and a name server, may share a process). Everything but the rpc latency is read at
// scrape time, from the traffic counters (plain numbers the send and pull paths bump), the
// store's stats, the state machines and the connection counters; the send path pays no metric
// call. Names and labels are RocketMQ 5's where it has the metric, tributary_* otherwise.
import { Registry, collectDefaultMetrics } from 'prom-client';

import { RpcLatency } from '../../server/http/rpc-latency.js';
import type { BrokerContext } from '../broker-context.js';
import type { BrokerMetricsSources } from './broker-metrics-sources.js';
import { defineCoordinationMetrics } from './coordination-metrics.js';
import { ScrapedMetrics } from './scraped-metrics.js';
import { defineWorkflowMetrics } from './workflow-metrics.js';

/**
 * The broker's Prometheus metrics, in a registry of its own so two servers may share a process.
 * Read at scrape time from counters the send and pull paths bump, so the send path pays no
 * metric call. Names and labels are RocketMQ 5's where it has the metric, tributary_* otherwise.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  readonly rpcLatency: RpcLatency;
  private sources: BrokerMetricsSources | undefined;
  private readonly define = new ScrapedMetrics(this.registry, () => this.sources);

  constructor(identity: { clusterName: string; brokerName: string }) {
    this.registry.setDefaultLabels({
      cluster: identity.clusterName,
      node_type: 'broker',
      node_id: identity.brokerName,
    });
    collectDefaultMetrics({ register: this.registry });
    this.rpcLatency = new RpcLatency(this.registry);
    this.defineTraffic();
    this.defineConsumers();
    this.defineStore();
    this.defineTributary();
    defineWorkflowMetrics(this.define);
    defineCoordinationMetrics(this.define);
  }

  /** Connects the metrics to the broker once its state is open; until then they read nothing. */
  attach(sources: BrokerMetricsSources): void {
    this.sources = sources;
  }

  /** The metrics in Prometheus's text exposition format, as GET /metrics serves them. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private defineTraffic(): void {
    const traffic = () => this.sources!.context.traffic;
    this.define.counter('rocketmq_messages_in_total', 'Messages stored from producers', ['topic'], (metric) => {
      for (const count of traffic().incomingByLabel()) metric.inc({ topic: count.topic }, count.messages);
    });
    this.define.counter(
      'rocketmq_throughput_in_total',
      'Bytes of message bodies received from producers',
      ['topic'],
      (metric) => {
        for (const count of traffic().incomingByLabel()) metric.inc({ topic: count.topic }, count.bytes);
      },
    );
    const out = ['topic', 'consumer_group'];
    this.define.counter('rocketmq_messages_out_total', 'Messages delivered to consumers', out, (metric) => {
      for (const count of traffic().outgoingByLabel())
        metric.inc({ topic: count.topic, consumer_group: count.group }, count.messages);
    });
    this.define.counter('rocketmq_throughput_out_total', 'Bytes of records delivered to consumers', out, (metric) => {
      for (const count of traffic().outgoingByLabel())
        metric.inc({ topic: count.topic, consumer_group: count.group }, count.bytes);
    });
  }

  private defineConsumers(): void {
    const labels = ['topic', 'consumer_group'];
    const define = (name: string, help: string, pick: (backlog: ConsumerBacklog) => number): void =>
      this.define.gauge(name, help, labels, (metric, sources) => {
        for (const backlog of consumerBacklogs(sources.context))
          metric.inc({ topic: backlog.topic, consumer_group: backlog.group }, pick(backlog));
      });
    define('rocketmq_consumer_lag_messages', 'Messages stored past the committed offset', (b) => b.lag);
    define('rocketmq_consumer_inflight_messages', 'Messages pulled but not committed yet', (b) => b.inflight);
    define('rocketmq_consumer_ready_messages', 'Messages stored and not pulled yet', (b) => b.ready);
    this.define.gauge('rocketmq_topic_number', 'Topics on this broker', [], (metric, { context }) =>
      metric.set([...context.topics.all()].length),
    );
    this.define.gauge('rocketmq_consumer_group_number', 'Consumer groups on this broker', [], (metric, { context }) =>
      metric.set([...context.groups.all()].length),
    );
  }

  private defineStore(): void {
    this.define.gauge('rocketmq_storage_size', 'Bytes of commit log segments on disk', [], (metric, { context }) =>
      metric.set(context.store.stats().segments * context.store.options.segmentBytes),
    );
    this.define.gauge(
      'rocketmq_storage_flush_behind_bytes',
      'Bytes appended but not flushed yet',
      [],
      (metric, { context }) => {
        const stats = context.store.stats();
        metric.set(Math.max(0, stats.maxOffset - stats.flushedOffset));
      },
    );
    // Consume queue and index entries are written in the append call itself, so nothing lags.
    this.define.gauge(
      'rocketmq_storage_dispatch_behind_bytes',
      'Bytes appended but not dispatched to queues',
      [],
      (m) => m.set(0),
    );
  }

  private defineTributary(): void {
    const store = (
      name: string,
      help: string,
      pick: (s: ReturnType<BrokerContext['store']['stats']>) => number,
    ): void => this.define.gauge(name, help, [], (metric, { context }) => metric.set(pick(context.store.stats())));
    store('tributary_storage_segments', 'Commit log segments', (s) => s.segments);
    this.define.gauge(
      'tributary_storage_preheat_enabled',
      'Segments are preheated (1) or not (0)',
      [],
      (metric, { context }) => metric.set(context.store.options.preheat ? 1 : 0),
    );
    this.define.gauge(
      'tributary_storage_lock_segments_enabled',
      'Preheated segments are mlocked (1)',
      [],
      (metric, { context }) => metric.set(context.store.options.lockSegments ? 1 : 0),
    );
    store('tributary_storage_disk_used_ratio', 'Used fraction of the store file system', (s) => s.diskUsedRatio);
    store(
      'tributary_storage_allocation_stalls',
      'Appends that waited for a segment to be mapped',
      (s) => s.allocationStalls,
    );
    store(
      'tributary_storage_prefault_failures',
      'Failed page prefaults ahead of the writer',
      (s) => s.writePrefaultFailures,
    );
    store(
      'tributary_storage_resident_drop_failures',
      'Sealed flushed files the kernel refused to drop from the resident set (madvise)',
      (s) => s.residentDropFailures,
    );
    this.define.level('tributary_connections_open', 'Open client connections', (s) => s.connections().open);
    this.define.level(
      'tributary_pulls_held',
      'Pull requests held for long polling, waiting for a message or their suspend timeout',
      (s) => s.context.holds.size,
    );
    const total = this.define.total.bind(this.define);
    total(
      'tributary_connections_rejected_total',
      'Connections refused at maxConnections',
      (s) => s.connections().rejected,
    );
    total('tributary_connections_closed_idle_total', 'Connections closed idle', (s) => s.connections().closedIdle);
    total(
      'tributary_connections_closed_stalled_total',
      'Connections closed for unread responses',
      (s) => s.connections().closedStalled,
    );
    total(
      'tributary_connections_closed_protocol_error_total',
      'Connections closed for bad frames',
      (s) => s.connections().closedProtocolError,
    );
    total('tributary_requests_busy_total', 'Requests answered SYSTEM_BUSY', (s) => s.connections().busyRefusals);
    total('tributary_acl_refusals_total', 'Requests refused by access control', (s) => s.aclRefusals());
  }
}

interface ConsumerBacklog {
  readonly topic: string;
  readonly group: string;
  lag: number;
  inflight: number;
  ready: number;
}

/** Per (topic, group) label pair: lag, in flight and ready, from committed and pulled offsets. */
function consumerBacklogs(context: BrokerContext): ConsumerBacklog[] {
  const { traffic, store, offsets } = context;
  const summed = new Map<string, ConsumerBacklog>();
  for (const { groupName } of context.groups.all()) {
    for (const { topic, queueId, offset } of offsets.offsetsOf(groupName)) {
      const max = store.maxQueueOffset(topic, queueId);
      const pulled = Math.max(offset, traffic.pulledOffset(groupName, topic, queueId) ?? offset);
      const labels = { topic: traffic.topicLabels.labelOf(topic), group: traffic.groupLabels.labelOf(groupName) };
      const key = `${labels.group}\u0000${labels.topic}`;
      let backlog = summed.get(key);
      if (backlog === undefined) summed.set(key, (backlog = { ...labels, lag: 0, inflight: 0, ready: 0 }));
      backlog.lag += Math.max(0, max - offset);
      backlog.inflight += Math.max(0, Math.min(max, pulled) - offset);
      backlog.ready += Math.max(0, max - pulled);
    }
  }
  return [...summed.values()];
}
