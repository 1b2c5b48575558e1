// Keeps the broker registered with every name server: at start, every registerIntervalMs,
// and soon after any topic change. Registrations are independent per name server, so one
// that is down delays nothing else; its failure is reported once when it starts failing and
// once when it recovers, not every interval. At shutdown the broker unregisters, so routes
// drop it at once rather than after the expiry.
import type tls from 'node:tls';

import { SERIALIZE_TYPE } from '../protocol/remoting-command.js';
import { RemotingClient } from '../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../protocol/request-code.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import { REGISTER_TIMEOUT_MS } from './broker-constants.js';
import type { TopicConfigManager } from './state/topic-config-manager.js';

export interface RegistrarIdentity {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerAddress: string;
  readonly brokerId: number;
  /** A master's epoch in controller mode: name servers refuse a master older than one they know. */
  readonly masterEpoch?: number;
}

export class NameServerRegistrar {
  private readonly client: RemotingClient;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private readonly failing = new Set<string>();
  private readonly registered = new Set<string>();
  private closed = false;

  constructor(
    private readonly nameServers: readonly string[],
    private readonly identity: RegistrarIdentity,
    private readonly topics: TopicConfigManager,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown, context: string) => void,
    /** TLS to the name servers (they serve TLS); plain TCP when undefined. */
    tls?: tls.ConnectionOptions,
  ) {
    this.client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json, tls });
  }

  start(): Promise<void> {
    this.timer = setInterval(() => void this.registerAll(), this.intervalMs);
    this.timer.unref();
    return this.registerAll();
  }

  /** Name servers whose last registration succeeded (/readyz). */
  get registeredWith(): readonly string[] {
    return [...this.registered];
  }

  /** Registers again shortly, coalescing bursts of topic changes into one round. */
  registerSoon(): void {
    if (this.soon !== undefined || this.closed) return;
    this.soon = setImmediate(() => {
      this.soon = undefined;
      void this.registerAll();
    });
  }

  registerAll(): Promise<void> {
    return Promise.all(this.nameServers.map((address) => this.register(address))).then(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (this.soon !== undefined) clearImmediate(this.soon);
    const { brokerName, brokerAddress, clusterName, brokerId } = this.identity;
    await Promise.allSettled(
      this.nameServers.map((address) =>
        this.client.invoke(
          address,
          {
            code: REQUEST_CODE.UNREGISTER_BROKER,
            extFields: { brokerName, brokerAddr: brokerAddress, clusterName, brokerId },
          },
          REGISTER_TIMEOUT_MS,
        ),
      ),
    );
    this.client.close();
  }

  private async register(address: string): Promise<void> {
    if (this.closed) return;
    const { brokerName, brokerAddress, clusterName, brokerId, masterEpoch } = this.identity;
    const body = Buffer.from(
      JSON.stringify({
        topicConfigSerializeWrapper: {
          topicConfigTable: Object.fromEntries([...this.topics.all()].map((topic) => [topic.topicName, topic])),
          dataVersion: this.topics.dataVersion,
        },
        filterServerList: [],
      }),
    );
    const extFields = {
      brokerName,
      brokerAddr: brokerAddress,
      clusterName,
      haServerAddr: '',
      brokerId,
      compressed: false,
      ...(masterEpoch === undefined ? {} : { masterEpoch }),
    };
    try {
      const response = await this.client.invoke(
        address,
        { code: REQUEST_CODE.REGISTER_BROKER, extFields, body },
        REGISTER_TIMEOUT_MS,
      );
      if (response.code !== RESPONSE_CODE.SUCCESS)
        throw new Error(`name server ${address} refused registration: ${response.remark ?? response.code}`);
      this.registered.add(address);
      if (this.failing.delete(address)) this.onError(undefined, `registered with name server ${address} again`);
    } catch (error) {
      this.registered.delete(address);
      if (!this.failing.has(address) && !this.closed) {
        this.failing.add(address);
        this.onError(error, `registering with name server ${address} (will keep retrying)`);
      }
    }
  }
}
