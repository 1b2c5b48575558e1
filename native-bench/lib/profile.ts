// Summarises a V8 .cpuprofile (node --cpu-prof) as the functions with the most self time.
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
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
  const selfUs = new Map<string, { fn: string; location: string; us: number }>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i + 1] is the time until the next sample, i.e. the time spent in sample i.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const node = byNode.get(profile.samples[i]!);
    if (node === undefined) continue;
    const frame = node.callFrame;
    const url = frame.url.replace(`file://${root}/`, '').replace(/^file:\/\//, '');
    const fn = frame.functionName || '(anonymous)';
    const location = url === '' ? '' : `${url}:${frame.lineNumber + 1}`;
    const key = `${fn}@${location}`;
    const entry = selfUs.get(key) ?? { fn, location, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
    totalUs += delta;
  }
  const rows = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((entry) => ({
      function: entry.fn,
      location: entry.location,
      selfMs: Math.round(entry.us / 100) / 10,
      selfPercent: Math.round((entry.us / totalUs) * 1000) / 10,
    }));
  return { totalMs: Math.round(totalUs / 1000), rows };
}
