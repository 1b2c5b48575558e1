// Worker thread entry of codecs.fuzz.test.ts: runs the fuzz target named in workerData
// (test/support/fuzz-harness.ts runFuzzWorker) and posts its report.
import { serveFuzzWorker } from '../support/fuzz-harness.js';
import { CANARY_TARGETS, CODEC_FUZZ_TARGETS } from './codec-fuzz-targets.js';

await serveFuzzWorker([...CODEC_FUZZ_TARGETS, ...CANARY_TARGETS]);
