// Child process of the store crash tests (test/integration/message-store-crash.test.ts).
// Opens a MessageStore and appends a seeded message stream with many appends in flight, and
// reports on stdout, one line each, only what the store acknowledged:
//
//   OPENING                          about to open the store
//   READY <first> <clean>            opened; the stream continues at index <first>
//   A <index> <queueOffset> <commitLogOffset> <msgId>
//                                    the append of stream message <index> resolved
//   ROLL <segment>                   the commit log just rolled into segment number <segment>
//   DONE <next>                      every message up to <next> was issued and acknowledged
//   CLOSED                           store.close() resolved
//
// An A line is queued only inside the append's resolution handler, so it never names a message
// the store had not acknowledged. Lines are written in batches once per event loop turn; a
// kill may drop some (the parent then knows of fewer acknowledgements, never of false ones).
// Other stdout lines (seed notes) are not part of the protocol. Failures go to stderr, exit 2.
//
// argv[2] is a JSON ChildConfig.
import { MessageStore, type AppendResult, type MessageStoreOptions } from '../../../storage/index.js';
import { seededRandom, type SeededRandom } from '../../support/seeded-random.js';
import { MessageStream, streamQueues } from './crash-message-stream.js';

export interface ChildConfig {
  directory: string;
  store: MessageStoreOptions & { segmentBytes: number };
  streamSeed: number;
  scheduleSeed: number;
  /** 'crash': append until killed (or `count` more). 'close': append `count`, then close. */
  mode: 'crash' | 'close';
  count: number;
  /** After close: wait to be killed, or exit by itself. */
  afterClose: 'wait' | 'exit';
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

let lines: string[] = [];
let flushScheduled = false;

function writeNow(line: string): void {
  flushReports();
  process.stdout.write(`${line}\n`);
}

function report(line: string): void {
  lines.push(line);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushReports);
  }
}

function flushReports(): void {
  flushScheduled = false;
  if (lines.length === 0) return;
  const text = `${lines.join('\n')}\n`;
  lines = [];
  process.stdout.write(text);
}

function fail(error: unknown): never {
  flushReports();
  process.stderr.write(
    `store-appender failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  writeNow('OPENING');
  const store = await MessageStore.open(config.directory, config.store);
  const stream = new MessageStream(config.streamSeed);
  const schedule = seededRandom('append schedule', config.scheduleSeed);
  let next = 0;
  for (const { topic, queueId } of streamQueues()) next += store.maxQueueOffset(topic, queueId);
  writeNow(`READY ${next} ${store.recovery.clean ? 1 : 0}`);
  appendStream(store, stream, schedule, next);
}

/**
 * Appends stream messages from `first` on, `config.count` of them, keeping a seeded window of
 * appends (single and batched) in flight, and reports each acknowledgement and segment roll.
 */
function appendStream(store: MessageStore, stream: MessageStream, schedule: SeededRandom, first: number): void {
  const window = schedule.between(16, 96);
  const end = first + config.count;
  const segmentBytes = config.store.segmentBytes;
  let next = first;
  let segment = Math.floor(store.stats().maxOffset / segmentBytes);
  let inFlight = 0;
  let pumpScheduled = false;
  let finished = false;

  const acknowledge = (indices: readonly number[], results: readonly AppendResult[]): void => {
    for (let i = 0; i < indices.length; i++) {
      const r = results[i]!;
      report(`A ${indices[i]} ${r.queueOffset} ${r.commitLogOffset} ${r.msgId}`);
    }
    inFlight -= indices.length;
    schedulePump();
  };

  // Appends resolve in microtasks in async mode; issuing the next ones from setImmediate lets
  // the event loop turn (report flushes, the flusher, checkpoints) between windows.
  const schedulePump = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(pump);
  };

  const pump = (): void => {
    pumpScheduled = false;
    while (inFlight < window && next < end) {
      const size = schedule.next() < 0.15 ? Math.min(schedule.between(2, 12), end - next) : 1;
      const indices = Array.from({ length: size }, (_, i) => next + i);
      const inputs = indices.map((index) => stream.input(stream.get(index)));
      next += size;
      inFlight += size;
      const appended = size === 1 ? store.append(inputs[0]!).then((r) => [r]) : store.appendBatch(inputs);
      appended.then((results) => acknowledge(indices, results), fail);
      const now = Math.floor(store.stats().maxOffset / segmentBytes);
      if (now !== segment) {
        segment = now;
        writeNow(`ROLL ${segment}`);
      }
    }
    if (next === end && inFlight === 0 && !finished) {
      finished = true;
      void finish(store, next);
    }
  };

  pump();
}

/** Every message acknowledged: reports DONE, closes the store in 'close' mode, then waits or exits. */
async function finish(store: MessageStore, next: number): Promise<void> {
  writeNow(`DONE ${next}`);
  if (config.mode === 'close') {
    await store.close();
    writeNow('CLOSED');
    if (config.afterClose === 'exit') {
      process.stdout.write('', () => process.exit(0));
      return;
    }
  }
  setInterval(() => undefined, 60_000); // wait for the parent's SIGKILL
}

main().catch(fail);
