// The name server's tables: which brokers are alive, which topics each one serves, and the
// route of each topic in the JSON shape RocketMQ clients parse (RocketMQ's
// TopicRouteData). Brokers that stop registering expire.

export interface QueueData {
  readonly brokerName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

export interface BrokerData {
  readonly cluster: string;
  readonly brokerName: string;
  readonly brokerAddrs: Record<string, string>;
}

export interface TopicRouteData {
  readonly orderTopicConf?: string;
  readonly queueDatas: QueueData[];
  readonly brokerDatas: BrokerData[];
  readonly filterServerTable: Record<string, string[]>;
}

export interface BrokerRegistration {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerAddress: string;
  readonly brokerId: number;
  readonly topics: readonly {
    topicName: string;
    readQueueNums: number;
    writeQueueNums: number;
    perm: number;
    topicSysFlag?: number;
  }[];
  readonly dataVersion: { timestamp: number; counter: number };
  /** A master's epoch (controller mode, README "Topologies"); absent with static roles. */
  readonly masterEpoch?: number;
}

interface LiveBroker {
  lastUpdateMs: number;
  dataVersion: { timestamp: number; counter: number };
  readonly brokerName: string;
  readonly clusterName: string;
  readonly brokerId: number;
  /** Identifies the connection it registered over, to drop it when that closes. */
  connectionId: number;
}

export class RouteInfoManager {
  private readonly brokers = new Map<string, BrokerData & { brokerAddrs: Record<string, string> }>();
  private readonly topics = new Map<string, Map<string, QueueData>>();
  private readonly live = new Map<string, LiveBroker>();
  /** The newest master epoch each broker set registered: an older master is refused. */
  private readonly masterEpochs = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Records a registration; false (and nothing changes) for a master whose epoch is older than
   * one its set already registered: a deposed master that has not noticed must not take the
   * route back.
   */
  register(registration: BrokerRegistration, connectionId: number): boolean {
    const { brokerName, brokerAddress, brokerId } = registration;
    if (brokerId === 0) {
      const epoch = registration.masterEpoch ?? 0;
      if (epoch < (this.masterEpochs.get(brokerName) ?? 0)) return false;
      this.masterEpochs.set(brokerName, epoch);
    }
    let broker = this.brokers.get(brokerName);
    if (broker === undefined) {
      broker = { cluster: registration.clusterName, brokerName, brokerAddrs: {} };
      this.brokers.set(brokerName, broker);
    }
    // A broker that changed role (a promoted replica, a deposed master) leaves its old id.
    for (const [id, address] of Object.entries(broker.brokerAddrs))
      if (address === brokerAddress && id !== String(brokerId)) delete broker.brokerAddrs[id];
    broker.brokerAddrs[String(brokerId)] = brokerAddress;
    this.live.set(brokerAddress, {
      lastUpdateMs: this.now(),
      dataVersion: registration.dataVersion,
      brokerName,
      clusterName: registration.clusterName,
      brokerId,
      connectionId,
    });
    if (brokerId !== 0) return true; // Only a master's topics define routes.
    const served = new Set(registration.topics.map((topic) => topic.topicName));
    for (const [topic, queues] of this.topics) {
      if (!served.has(topic) && queues.delete(brokerName) && queues.size === 0) this.topics.delete(topic);
    }
    for (const topic of registration.topics) {
      let queues = this.topics.get(topic.topicName);
      if (queues === undefined) this.topics.set(topic.topicName, (queues = new Map()));
      queues.set(brokerName, {
        brokerName,
        readQueueNums: topic.readQueueNums,
        writeQueueNums: topic.writeQueueNums,
        perm: topic.perm,
        topicSysFlag: topic.topicSysFlag ?? 0,
      });
    }
    return true;
  }

  /** Whether `dataVersion` differs from what the broker last registered. */
  changed(brokerAddress: string, dataVersion: { timestamp: number; counter: number }): boolean {
    const known = this.live.get(brokerAddress)?.dataVersion;
    return known === undefined || known.timestamp !== dataVersion.timestamp || known.counter !== dataVersion.counter;
  }

  /** Refreshes a broker's liveness without changing its topics. */
  touch(brokerAddress: string): void {
    const broker = this.live.get(brokerAddress);
    if (broker !== undefined) broker.lastUpdateMs = this.now();
  }

  unregister(brokerAddress: string): void {
    const broker = this.live.get(brokerAddress);
    if (broker === undefined) return;
    this.live.delete(brokerAddress);
    const data = this.brokers.get(broker.brokerName);
    if (data !== undefined) {
      // Its id may belong to another broker by now (a new master took id 0).
      const id = String(broker.brokerId);
      if (data.brokerAddrs[id] === brokerAddress) delete data.brokerAddrs[id];
      if (Object.keys(data.brokerAddrs).length === 0) this.brokers.delete(broker.brokerName);
    }
    // As RocketMQ's onChannelDestroy: a broker set's queues stay routed while any of its
    // brokers remains, so consumers read from a replica while the master is gone.
    if (this.brokers.has(broker.brokerName)) return;
    for (const [topic, queues] of this.topics) {
      if (queues.delete(broker.brokerName) && queues.size === 0) this.topics.delete(topic);
    }
  }

  /** Drops brokers silent for more than `expiryMs`; returns their addresses. */
  expire(expiryMs: number): string[] {
    const deadline = this.now() - expiryMs;
    const expired = [...this.live].filter(([, broker]) => broker.lastUpdateMs < deadline).map(([address]) => address);
    for (const address of expired) this.unregister(address);
    return expired;
  }

  /** Drops the brokers that registered over a connection that closed. */
  connectionClosed(connectionId: number): void {
    for (const [address, broker] of [...this.live]) if (broker.connectionId === connectionId) this.unregister(address);
  }

  route(topic: string): TopicRouteData | undefined {
    const queues = this.topics.get(topic);
    if (queues === undefined || queues.size === 0) return undefined;
    const brokerDatas: BrokerData[] = [];
    for (const brokerName of queues.keys()) {
      const broker = this.brokers.get(brokerName);
      if (broker !== undefined)
        brokerDatas.push({ cluster: broker.cluster, brokerName, brokerAddrs: { ...broker.brokerAddrs } });
    }
    return { queueDatas: [...queues.values()], brokerDatas, filterServerTable: {} };
  }

  topicNames(): string[] {
    return [...this.topics.keys()];
  }

  /** DELETE_TOPIC_IN_NAMESRV: forgets the topic's route (a broker still serving it brings it back). */
  deleteTopic(topic: string): void {
    this.topics.delete(topic);
  }

  clusterInfo(): { brokerAddrTable: Record<string, BrokerData>; clusterAddrTable: Record<string, string[]> } {
    const clusterAddrTable: Record<string, string[]> = {};
    for (const broker of this.brokers.values()) (clusterAddrTable[broker.cluster] ??= []).push(broker.brokerName);
    return { brokerAddrTable: Object.fromEntries(this.brokers), clusterAddrTable };
  }
}
