// Where the benchmark set keeps its saved results: native-bench/results/ in the repository
// (these files run from dist/native-bench/lib/).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const RESULTS_DIRECTORY = path.join(REPOSITORY_ROOT, 'native-bench', 'results');
