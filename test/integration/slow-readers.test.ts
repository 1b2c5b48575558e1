// A remoting server facing peers that read their responses slowly or not at all (the policy
// in server/remoting-server.ts): a peer that stops reading is no longer read from once its
// backlog passes writeHighWaterBytes, and is closed once a response has waited
// writeStallTimeoutMs unsent, which releases everything its responses held (as a pull
// response's hold on its log segment). A peer that takes each response in time keeps its
// connection however slow it is overall.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'uvu';

import { RemotingServer } from '../../server/remoting-server.js';
import { HeaderCodec } from '../../protocol/header-codec.js';
import { responseTo } from '../../protocol/remoting-command.js';
import { RemotingError } from '../../protocol/remoting-error.js';
import { FrameDecoder } from '../../protocol/remoting-frame.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { pollUntil } from '../support/broker-requests.js';
import { RawConnection } from '../support/raw-connection.js';

const CODE_PAYLOAD = 1000;
const WAIT_MS = 15_000;
const KIB = 1024;
const MIB = 1024 * KIB;

interface PayloadServer {
  readonly server: RemotingServer;
  readonly address: string;
  /** Requests processed, and responses whose afterWrite ran (written, or failed at close). */
  readonly counts: { processed: number; released: number };
  readonly connectionErrors: Error[];
}

/** A server whose one request code answers with `payloadBytes`, tracking each response's release. */
async function payloadServer(payloadBytes: number, writeHighWaterBytes: number, writeStallTimeoutMs: number) {
  const connectionErrors: Error[] = [];
  const server = new RemotingServer({
    host: '127.0.0.1',
    port: 0,
    writeHighWaterBytes,
    writeStallTimeoutMs,
    onConnectionError: (error) => connectionErrors.push(error),
  });
  const payload = Buffer.alloc(payloadBytes, 7);
  const counts = { processed: 0, released: 0 };
  server.register(CODE_PAYLOAD, (request) => {
    counts.processed++;
    const response = responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, [payload]);
    response.afterWrite = () => counts.released++;
    return response;
  });
  const port = await server.listen();
  const result: PayloadServer = { server, address: `127.0.0.1:${port}`, counts, connectionErrors };
  return result;
}

test('slow readers: a peer that stops reading is no longer read past the high water, then closed for the stall, releasing every response (1 MiB responses, high water 256 KiB, stall 1 s)', async () => {
  const stallMs = 1000;
  const { server, address, counts, connectionErrors } = await payloadServer(MIB, 256 * KIB, stallMs);
  const peer = await RawConnection.open(address);
  peer.stopReading();
  let sent = 0;
  // Requests keep coming at a steady pace, as from a client that writes but never reads.
  const pace = setInterval(() => {
    if (peer.isClosed) return;
    peer.send({ code: CODE_PAYLOAD });
    sent++;
  }, 5);
  try {
    const channel = await pollUntil('the server channel', WAIT_MS, () => [...server.channels][0]);
    await pollUntil('reading paused for the backlog', WAIT_MS, () =>
      channel.connection.socket.isPaused() ? true : undefined,
    );
    const processedWhenPaused = counts.processed;
    const pausedAt = Date.now();
    await pollUntil('the stalled connection closed', WAIT_MS, () =>
      server.stats.closedStalled === 1 ? true : undefined,
    );
    const closedAfterMs = Date.now() - pausedAt;
    await pollUntil('the peer to see the close', WAIT_MS, () => (peer.isClosed ? true : undefined));
    clearInterval(pace);
    console.log(
      `  [slow reader] processed ${counts.processed} of ${sent} requests sent; closed ${closedAfterMs} ms after the pause`,
    );
    assert.equal(counts.processed, processedWhenPaused, 'no request was read while paused');
    assert.ok(sent > counts.processed + 10, `sent ${sent}, processed ${counts.processed}`);
    assert.ok(closedAfterMs <= stallMs * 2 + 1000, `closed ${closedAfterMs} ms after the pause`);
    await pollUntil('every response released', WAIT_MS, () =>
      counts.released === counts.processed ? true : undefined,
    );
    assert.equal(connectionErrors.length, 1);
    assert.ok(connectionErrors[0] instanceof RemotingError);
    assert.equal((connectionErrors[0] as RemotingError).code, 'WRITE_STALLED');
  } finally {
    clearInterval(pace);
    peer.destroy();
    await server.close();
  }
});

/** Sends `count` requests one after another, reading each response a chunk per `chunkDelayMs`. */
function readSlowly(address: string, count: number, chunkDelayMs: number): Promise<number> {
  const [host, port] = address.split(':') as [string, string];
  const socket = net.connect({ host, port: Number(port) });
  const decoder = new FrameDecoder();
  let answered = 0;
  return new Promise<number>((resolve, reject) => {
    const next = (): void => {
      if (answered === count) return void socket.end(() => resolve(answered));
      socket.write(Buffer.concat(HeaderCodec.frame(requestFrame(answered + 1), 0)));
    };
    socket.on('data', (chunk: Buffer) => {
      socket.pause();
      setTimeout(() => socket.resume(), chunkDelayMs);
      decoder.push(chunk, () => {
        answered++;
        next();
      });
    });
    socket.on('close', () => (answered === count ? resolve(answered) : reject(new Error(`closed after ${answered}`))));
    socket.on('error', () => undefined);
    socket.once('connect', next);
  });
}

function requestFrame(opaque: number) {
  return { code: CODE_PAYLOAD, language: 'JAVA', version: 401, opaque, flag: 0 };
}

test('slow readers: a peer that takes each response within the stall timeout keeps its connection, however long it reads (stall 500 ms)', async () => {
  const stallMs = 500;
  const { server, address, counts } = await payloadServer(256 * KIB, 64 * KIB, stallMs);
  try {
    const startedAt = Date.now();
    const answered = await readSlowly(address, 12, 20);
    const tookMs = Date.now() - startedAt;
    console.log(`  [slow reader] 12 responses of 256 KiB read in ${tookMs} ms (stall timeout ${stallMs} ms)`);
    assert.equal(answered, 12);
    assert.ok(tookMs > stallMs, `read everything in ${tookMs} ms: not slower than the stall timeout`);
    assert.equal(server.stats.closedStalled, 0);
    assert.equal(counts.released, 12);
  } finally {
    await server.close();
  }
});

test.run();
