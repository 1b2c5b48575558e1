// Summarises a V8 .cpuprofile (node --cpu-prof) as the functions with the most self time.
import fs from 'node:fs';

import { CallFrameTally, type CallFrame } from './call-frame-tally.js';

interface ProfileNode {
  id: number;
  callFrame: CallFrame & { columnNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  function: string;
  location: string;
  selfMs: number;
  selfPercent: number;
}

export function topSelfTime(file: string, root: string, limit = 25): { totalMs: number; rows: SelfTimeRow[] } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const tally = new CallFrameTally(root);
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i + 1] is the time until the next sample, i.e. the time spent in sample i.
    const node = byNode.get(profile.samples[i]!);
    if (node !== undefined) tally.add(node.callFrame, profile.timeDeltas[i + 1] ?? 0);
  }
  const rows = tally.top(limit).map((entry) => ({
    function: entry.fn,
    location: entry.location,
    selfMs: Math.round(entry.amount / 100) / 10,
    selfPercent: tally.percentOf(entry.amount),
  }));
  return { totalMs: Math.round(tally.total / 1000), rows };
}
