// A seckill (flash sale) with peak shaving: a burst of requests arrives far faster than the
// database can take orders; the gateway admits at most `stock` of them (an in-memory pre-check,
// as Redis DECR would be), their orders go through a topic whose quota is the rate the database
// takes, and a consumer writes them to the "database": a simulated store with a fixed capacity
// that deducts the stock itself, idempotently, as the final word. The broker paces the
// producer (SYSTEM_BUSY with retryAfterMs, which the producer waits out), so the database never
// sees more than its rate; nothing is lost and nothing is oversold.
//
//   node dist/examples/seckill/seckill.js [--requests 50000] [--arrival-per-s 50000]
//       [--stock 500] [--db-per-s 1000] [--namesrv host:port]
//
// Without --namesrv it starts a name server and a broker in this process (in a temporary
// directory). The last line on stdout is a JSON summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startBroker } from '../../broker/index.js';
import { Admin, Producer, PushConsumer } from '../../client/index.js';
import { startNameServer } from '../../namesrv/index.js';

const TOPIC = 'seckill-orders';
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '50000' },
    'arrival-per-s': { type: 'string', default: '50000' },
    stock: { type: 'string', default: '500' },
    'db-per-s': { type: 'string', default: '1000' },
    namesrv: { type: 'string' },
  },
});
const REQUESTS = Number(values.requests);
const ARRIVAL_PER_S = Number(values['arrival-per-s']);
const STOCK = Number(values.stock);
const DB_PER_S = Number(values['db-per-s']);
/** Arrivals are released in slices this long (a timer cannot fire 50,000 times a second). */
const ARRIVAL_SLICE_MS = 10;

/** The database: takes one order per 1/DB_PER_S s, deducts stock, refuses an order twice. */
class SimulatedDatabase {
  stock = STOCK;
  readonly orders = new Map<string, string>();
  soldOut = 0;
  duplicates = 0;
  private nextFreeMs = 0;
  /** Most orders written in any one second. */
  peakPerS = 0;
  private second = 0;
  private inSecond = 0;

  async placeOrder(orderId: string, user: string): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.nextFreeMs);
    this.nextFreeMs = start + 1000 / DB_PER_S;
    if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
    if (this.orders.has(orderId)) {
      this.duplicates++;
      return;
    }
    if (this.stock === 0) {
      this.soldOut++;
      return;
    }
    this.stock--;
    this.orders.set(orderId, user);
    const second = Math.floor(performance.now() / 1000);
    if (second !== this.second) [this.second, this.inSecond] = [second, 0];
    this.peakPerS = Math.max(this.peakPerS, ++this.inSecond);
  }
}

async function servers(): Promise<{ nameServer: string; close(): Promise<void> }> {
  if (values.namesrv !== undefined) return { nameServer: values.namesrv, close: async () => undefined };
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-seckill-'));
  const nameServer = await startNameServer({ host: '127.0.0.1', port: 0 });
  const address = `127.0.0.1:${nameServer.port}`;
  const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDirectory: directory, nameServers: [address] });
  return {
    nameServer: address,
    close: async () => {
      await broker.close();
      await nameServer.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Lets REQUESTS requests arrive at ARRIVAL_PER_S; `arrive` handles each one. */
async function burst(arrive: (user: string) => void): Promise<void> {
  const perSlice = Math.max(1, Math.round((ARRIVAL_PER_S * ARRIVAL_SLICE_MS) / 1000));
  for (let sent = 0; sent < REQUESTS;) {
    const slice = Math.min(perSlice, REQUESTS - sent);
    for (let i = 0; i < slice; i++) arrive(`user-${sent + i}`);
    sent += slice;
    await new Promise((resolve) => setTimeout(resolve, ARRIVAL_SLICE_MS));
  }
}

async function main(): Promise<void> {
  const { nameServer, close } = await servers();
  const admin = new Admin({ nameServer });
  const producer = new Producer({ nameServer, group: 'seckill-gateway', quotaWaitMsMax: 10 * 60_000 });
  const consumer = new PushConsumer({ nameServer, group: 'seckill-database', subscriptions: { [TOPIC]: '*' } });
  const database = new SimulatedDatabase();
  try {
    await admin.createTopic(TOPIC, { queues: 4 });
    await admin.setQuota({ scope: 'topic', name: TOPIC, messagesPerS: DB_PER_S });
    await producer.start();
    await consumer.start(async (message) => {
      const { orderId, user } = JSON.parse(message.body.toString()) as { orderId: string; user: string };
      await database.placeOrder(orderId, user);
    });
    let admitted = STOCK;
    let rejected = 0;
    const sends: Promise<unknown>[] = [];
    const started = performance.now();
    await burst((user) => {
      // The gateway's pre-check: past the stock, a request is answered "sold out" at once.
      if (admitted === 0) return void rejected++;
      admitted--;
      const orderId = `order-${user}`;
      sends.push(producer.send({ topic: TOPIC, keys: [orderId], body: JSON.stringify({ orderId, user }) }));
    });
    const arrivedMs = performance.now() - started;
    const results = await Promise.allSettled(sends);
    const sendFailures = results.filter((r) => r.status === 'rejected').length;
    while (database.orders.size + database.soldOut + database.duplicates < sends.length - sendFailures)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const summary = {
      requests: REQUESTS,
      arrivedInMs: Math.round(arrivedMs),
      stock: STOCK,
      ordersSent: sends.length,
      sendFailures,
      rejectedSoldOut: rejected,
      ordersSucceeded: database.orders.size,
      oversold: Math.max(0, database.orders.size - STOCK),
      lost: sends.length - sendFailures - database.orders.size - database.soldOut - database.duplicates,
      databasePeakPerS: database.peakPerS,
      databaseCapacityPerS: DB_PER_S,
      totalMs: Math.round(performance.now() - started),
    };
    console.log(JSON.stringify(summary));
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
    await admin.close();
    await close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
