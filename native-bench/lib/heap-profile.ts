// Summarises a V8 sampling heap profile (.heapprofile, from HeapProfiler.stopSampling) as the
// functions that allocated the most: each node's selfSize is the sampled bytes allocated by that
// function at that call path, so summing per function gives where allocations come from.
import fs from 'node:fs';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface AllocationRow {
  function: string;
  location: string;
  bytes: number;
  percent: number;
}

export function topAllocations(file: string, root: string, limit = 20): { totalBytes: number; rows: AllocationRow[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: HeapNode };
  const bytesBy = new Map<string, { fn: string; location: string; bytes: number }>();
  let totalBytes = 0;
  const stack: HeapNode[] = [profile.head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    stack.push(...node.children);
    if (node.selfSize === 0) continue;
    const frame = node.callFrame;
    const url = frame.url.replace(`file://${root}/`, '').replace(/^file:\/\//, '');
    const fn = frame.functionName || '(anonymous)';
    const location = url === '' ? '' : `${url}:${frame.lineNumber + 1}`;
    const key = `${fn}@${location}`;
    const entry = bytesBy.get(key) ?? { fn, location, bytes: 0 };
    entry.bytes += node.selfSize;
    bytesBy.set(key, entry);
    totalBytes += node.selfSize;
  }
  const rows = [...bytesBy.values()]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, limit)
    .map((entry) => ({
      function: entry.fn,
      location: entry.location,
      bytes: entry.bytes,
      percent: Math.round((entry.bytes / totalBytes) * 1000) / 10,
    }));
  return { totalBytes, rows };
}
