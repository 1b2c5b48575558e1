// A body sent with the compressed SYSFLAG must inflate, to at most the broker's message limit:
// otherwise no consumer can decode it and it would sit in its queue as a poison record. The
// inflate is bounded (maxOutputLength), so a zip bomb costs at most the limit in memory, and
// only compressed bodies pay for it (the rare large ones; native-bench/compressed-body-check.bench.ts
// measures the cost).
import zlib from 'node:zlib';

import { MESSAGE_SYS_FLAG } from './message-sys-flag.js';

/** Why a compressed body is refused, or undefined when it inflates within `maxBodyBytes` (or is not compressed). */
export function compressedBodyProblem(sysFlag: number, body: Buffer, maxBodyBytes: number): string | undefined {
  if ((sysFlag & MESSAGE_SYS_FLAG.compressed) === 0) return undefined;
  try {
    zlib.inflateSync(body, { maxOutputLength: maxBodyBytes });
    return undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      return `the compressed body inflates past the broker's message limit of ${maxBodyBytes} bytes`;
    return `the body has the compressed flag but does not inflate (${(error as Error).message})`;
  }
}
