// Reading a broker's /metrics page in tests: fetch it, pick one sample by name and labels, or
// wait until a sample satisfies a condition (the values are read at scrape time, so a test
// polls rather than sleeps).
import { pollUntil } from './broker-requests.js';

/** GET /metrics of the HTTP endpoint on `port`; throws unless it answers 200. */
export async function scrapeMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  const body = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${body.slice(0, 500)}`);
  return body;
}

/** The value of the first sample line of `name` whose labels include all of `labels`. */
export function metricSample(page: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Scrapes until the sample satisfies `holds`; resolves with the page it held on. */
export function metricUntil(
  port: number,
  name: string,
  labels: Record<string, string>,
  holds: (value: number | undefined) => boolean,
  timeoutMs: number,
): Promise<string> {
  const described = `${name}${JSON.stringify(labels)} to hold on /metrics`;
  return pollUntil(described, timeoutMs, async () => {
    const page = await scrapeMetrics(port);
    return holds(metricSample(page, name, labels)) ? page : undefined;
  });
}
