// The client's decoding of a pull answer, in process: CPU time and young-generation collections
// per message for decodeRecords over a body of 512 records of 100 B (one queue's, one topic, as a
// broker answers a pull), each message's body length and born timestamp read (what a handler
// that touches nothing else costs). With --against DIR, the same loop runs over the decoder of
// another build (a worktree's dist/), alternating with this one round by round, so the two
// are compared side by side in one process on this noisy machine.
//
//   npx tsc -p tsconfig.json && node dist/native-bench/pull-decode.bench.js [--against ../base] [--rounds 7]
//
// CPU time (process.cpuUsage, user + system) rather than wall time: on 2 shared cores the
// process is descheduled often, and that is not the decoder's cost. Prints one line per build.
import path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { encodeMessage } from '../protocol/message-encoder.js';

const RECORDS_PER_BODY = 512;
const BODY_BYTES = 100;
const DECODES_PER_ROUND = 2000;
const ROUNDS_DEFAULT = 7;
const NANOSECONDS_PER_MICROSECOND = 1000;
const TOPIC = 'BenchConsume_mk3x9a1b';

type DecodeRecords = (bytes: Buffer) => { records: readonly { body: Buffer; bornTimestamp: number }[] };

interface Build {
  readonly label: string;
  readonly decodeRecords: DecodeRecords;
  readonly cpuNsPerMessage: number[];
  readonly scavengesPerMillion: number[];
}

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

/** One pull answer's body: records as the store writes them, CRCs and offsets varied as in a log. */
function pullBody(): Buffer {
  const now = Date.now();
  const records = Array.from({ length: RECORDS_PER_BODY }, (_, i) => {
    const record = encodeMessage({
      topic: TOPIC,
      queueId: 3,
      queueOffset: 100_000 + i,
      commitLogOffset: 50_000_000 + i * 170,
      flag: 0,
      sysFlag: 0,
      bornTimestamp: now + i,
      bornHost: '127.0.0.1:40000',
      storeTimestamp: now + i,
      storeHost: '127.0.0.1:10911',
      reconsumeTimes: 0,
      preparedTransactionOffset: 0,
      body: Buffer.alloc(BODY_BYTES, i),
      properties: { UNIQ_KEY: `7F0000010001${i.toString(16).padStart(20, '0')}` },
    });
    record.writeUInt32BE((i * 2654435761) >>> 0, 8); // body CRCs above and below 2^31, as stored
    return record;
  });
  return Buffer.concat(records);
}

let sink = 0;
let scavenges = 0;

async function round(build: Build, body: Buffer): Promise<void> {
  await settle();
  const scavengesBefore = scavenges;
  const started = process.cpuUsage();
  for (let i = 0; i < DECODES_PER_ROUND; i++) {
    for (const message of build.decodeRecords(body).records) sink += message.body.length + message.bornTimestamp;
  }
  const used = process.cpuUsage(started);
  await settle();
  const messages = DECODES_PER_ROUND * RECORDS_PER_BODY;
  build.cpuNsPerMessage.push(((used.user + used.system) * NANOSECONDS_PER_MICROSECOND) / messages);
  build.scavengesPerMillion.push(((scavenges - scavengesBefore) * 1_000_000) / messages);
}

/** Two turns of the event loop: the gc entries of what ran before are counted by then. */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function loadBuild(label: string, distDirectory: string): Promise<Build> {
  const file = pathToFileURL(path.join(distDirectory, 'protocol', 'message-decoder.js')).href;
  const { decodeRecords } = (await import(file)) as { decodeRecords: DecodeRecords };
  return { label, decodeRecords, cpuNsPerMessage: [], scavengesPerMillion: [] };
}

async function main(): Promise<void> {
  const rounds = Number(flag('rounds') ?? ROUNDS_DEFAULT);
  const against = flag('against');
  const builds = [await loadBuild('this build', path.resolve(import.meta.dirname, '..'))];
  if (against !== undefined) builds.unshift(await loadBuild(`against ${against}`, path.resolve(against, 'dist')));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
        scavenges++;
  });
  observer.observe({ entryTypes: ['gc'] });
  const body = pullBody();
  for (const build of builds) await round(build, body); // warm-up: optimised code before measuring
  for (const build of builds) build.cpuNsPerMessage.length = build.scavengesPerMillion.length = 0;
  for (let r = 0; r < rounds; r++) for (const build of builds) await round(build, body);
  observer.disconnect();
  for (const build of builds) {
    const cpu = build.cpuNsPerMessage.map((ns) => ns.toFixed(1)).join(' / ');
    console.log(
      `${build.label}: ${median(build.cpuNsPerMessage).toFixed(1)} ns CPU per message (rounds ${cpu}), ` +
        `${median(build.scavengesPerMillion).toFixed(0)} scavenges per million messages`,
    );
  }
  if (sink === 0) console.log('(nothing decoded)');
}

await main();
