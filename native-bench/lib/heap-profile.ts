// Summarises a V8 sampling heap profile (.heapprofile, from HeapProfiler.stopSampling) as the
// functions that allocated the most: each node's selfSize is the sampled bytes allocated by that
// function at that call path, so summing per function gives where allocations come from.
import fs from 'node:fs';

import { CallFrameTally, type CallFrame } from './call-frame-tally.js';

interface HeapNode {
  callFrame: CallFrame;
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
  const tally = new CallFrameTally(root);
  const stack: HeapNode[] = [profile.head];
  while (stack.length > 0) {
    const node = stack.pop()!;
    stack.push(...node.children);
    if (node.selfSize > 0) tally.add(node.callFrame, node.selfSize);
  }
  const rows = tally.top(limit).map((entry) => ({
    function: entry.fn,
    location: entry.location,
    bytes: entry.amount,
    percent: tally.percentOf(entry.amount),
  }));
  return { totalBytes: tally.total, rows };
}
