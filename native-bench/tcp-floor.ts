// The transport floor of the messaging benchmarks: what two Node processes on this machine do
// over loopback TCP with no broker, no codec and no storage, so Tributary's figures can be read
// as a fraction of it (measured in the same run, under the same load).
//
//   node dist/native-bench/tcp-floor.js [--duration-s N] [--size bytes] [--json]
//
// - ping-pong: one frame of `size` bytes in flight, echoed back (the floor of an awaited send).
// - batched: frames of 256 messages of `size` bytes, 8 in flight (like a coalescing producer
//   with 8 queues), each answered with a 64-byte ack (the floor of `produce --in-flight 1000`),
//   counted in messages.
// The server runs in a child process, like the broker of `tributary bench`.
import { fork } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { MS_PER_SECOND } from '../bench/bench-constants.js';

const ACK_BYTES = 64;
const BATCH_MESSAGES = 256;
const BATCH_IN_FLIGHT = 8;
const LENGTH_BYTES = 4;
/** Set in a frame's length word: answer with an ack, not an echo. */
const ACK_FLAG = 0x80000000;
const LENGTH_MASK = 0x7fffffff;

interface Options {
  durationMs: number;
  size: number;
  json: boolean;
}

/** Echo server: reads length-prefixed frames, answers each with the frame (ping) or an ack. */
function serve(): void {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    const ack = Buffer.alloc(ACK_BYTES);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= LENGTH_BYTES) {
        const word = pending.readUInt32BE(0);
        const length = word & LENGTH_MASK;
        if (pending.length < LENGTH_BYTES + length) break;
        const frame = pending.subarray(0, LENGTH_BYTES + length);
        socket.write((word & ACK_FLAG) !== 0 ? ack : frame);
        pending = pending.subarray(LENGTH_BYTES + length);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as net.AddressInfo).port));
}

function frame(bytes: number, ackOnly: boolean): Buffer {
  const buffer = Buffer.alloc(LENGTH_BYTES + bytes, 1);
  buffer.writeUInt32BE((bytes | (ackOnly ? ACK_FLAG : 0)) >>> 0, 0);
  return buffer;
}

/** Sends `payload` frames, `inFlight` at a time, for `durationMs`; returns answered frames per second. */
async function exchange(
  socket: net.Socket,
  payload: Buffer,
  answerBytes: number,
  inFlight: number,
  durationMs: number,
) {
  let answered = 0;
  let received = 0;
  const started = performance.now();
  const end = started + durationMs;
  await new Promise<void>((resolve) => {
    let outstanding = inFlight;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      while (received >= answerBytes) {
        received -= answerBytes;
        answered++;
        outstanding--;
        if (performance.now() < end) {
          socket.write(payload);
          outstanding++;
        } else if (outstanding === 0) {
          socket.off('data', onData);
          resolve();
        }
      }
    };
    socket.on('data', onData);
    for (let i = 0; i < inFlight; i++) socket.write(payload);
  });
  return (answered / (performance.now() - started)) * MS_PER_SECOND;
}

async function measure(options: Options): Promise<Record<string, number>> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (value) => resolve(value as number)));
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once('connect', resolve));
    const ping = frame(options.size, false);
    const batch = frame(BATCH_MESSAGES * options.size, true);
    // A short warm-up of each, so the JIT and the socket buffers settle.
    await exchange(socket, ping, ping.length, 1, MS_PER_SECOND / 2);
    await exchange(socket, batch, ACK_BYTES, BATCH_IN_FLIGHT, MS_PER_SECOND / 2);
    const cpuBefore = process.cpuUsage();
    const pingPongPerSec = await exchange(socket, ping, ping.length, 1, options.durationMs);
    const batchedFramesPerSec = await exchange(socket, batch, ACK_BYTES, BATCH_IN_FLIGHT, options.durationMs);
    const cpu = process.cpuUsage(cpuBefore);
    socket.destroy();
    return {
      pingPongRoundTripsPerSec: pingPongPerSec,
      pingPongRoundTripUs: (MS_PER_SECOND * MS_PER_SECOND) / pingPongPerSec,
      batchedMsgsPerSec: batchedFramesPerSec * BATCH_MESSAGES,
      clientCpuPercent: ((cpu.user + cpu.system) / MS_PER_SECOND / (2 * options.durationMs)) * 100,
    };
  } finally {
    child.kill();
  }
}

function parseArgs(argv: string[]): Options {
  const options: Options = { durationMs: 5 * MS_PER_SECOND, size: 100, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--duration-s') options.durationMs = Number(argv[++i]) * MS_PER_SECOND;
    else if (arg === '--size') options.size = Number(argv[++i]);
    else if (arg === '--json') options.json = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

if (process.argv[2] === '--serve') {
  serve();
} else {
  const options = parseArgs(process.argv.slice(2));
  const result = await measure(options);
  if (options.json) {
    console.log(JSON.stringify({ tool: 'tcp-floor', settings: options, result }));
  } else {
    console.log(
      `tcp floor (${options.size} B): ping-pong ${Math.round(result.pingPongRoundTripsPerSec!)} round trips/s ` +
        `(${result.pingPongRoundTripUs!.toFixed(1)} us); batched ${Math.round(result.batchedMsgsPerSec!)} msgs/s`,
    );
  }
}
