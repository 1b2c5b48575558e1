// The deployment files, checked where no Docker engine or systemd instance runs them: the
// Dockerfile is linted (hadolint when installed, else parsed and its stages checked), compose.yaml
// is read and its commands are run as processes on loopback (two name servers, a broker
// registered with both, a produce/consume round trip through the CLI), and each systemd unit's
// ExecStart argv starts the real server. What the processes get differs from the files only
// where a host differs from a container: free ports for fixed ones, 127.0.0.1 for service
// names and addresses, a temporary data directory, 4 MiB segments instead of 1 GiB (a 1 GiB
// segment is preheated into the page cache), and --http-port when the CLI has it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { CLI_SCRIPT, CliProcess } from '../support/cli-process.js';
import { readDockerfileStages, type DockerfileStage } from '../support/dockerfile-stages.js';
import { acceptsConnection, freePort } from '../support/free-port.js';
import { readSystemdUnit, splitSystemdCommand, type SystemdUnit } from '../support/systemd-unit.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import { waitInSync } from '../support/replicated-set.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { parseYamlSubset, type YamlValue } from '../support/yaml-subset.js';

/** dist/test/integration/ -> the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

const TEST_SEGMENT_MIB = 4;
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 20_000;
const STOP_DEADLINE_MS = 15_000;
/** Between attempts of a healthcheck or a connection, while waiting for a server. */
const POLL_INTERVAL_MS = 100;
const DATA_VOLUME = '/var/lib/tributary';
const HTTP_CONTAINER_PORT = '5557';

// ---- Dockerfile ------------------------------------------------------------------------------

function instructionsOf(stage: DockerfileStage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The HEALTHCHECK's exec-form command, parsed from its JSON array. */
function healthcheckCommand(stage: DockerfileStage): string[] | undefined {
  const args = instructionsOf(stage, 'HEALTHCHECK').at(-1);
  const json = args === undefined ? undefined : /\bCMD\s+(\[.*\])$/.exec(args)?.[1];
  return json === undefined ? undefined : (JSON.parse(json) as string[]);
}

/** Every rule the image must keep; an empty list means it does. */
function dockerfileFaults(source: string): string[] {
  const faults: string[] = [];
  const stages = readDockerfileStages(source);
  if (stages.length < 2) return [`${stages.length} stage(s); a build stage and a runtime stage are needed`];
  const runtime = stages.at(-1)!;
  if (!/^node:20(\.[\d.]+)?-\w*-?slim$/.test(runtime.image))
    faults.push(`runtime FROM ${runtime.image}: not slim Node 20`);
  const user = instructionsOf(runtime, 'USER').at(-1);
  if (user === undefined || /^(root|0)(:|$)/.test(user)) faults.push(`runtime USER ${user ?? '(none)'}: runs as root`);
  if (instructionsOf(runtime, 'VOLUME').length === 0) faults.push('runtime: no VOLUME for the data');
  const health = healthcheckCommand(runtime);
  if (health === undefined || !health.join(' ').includes(`:${HTTP_CONTAINER_PORT}/readyz`))
    faults.push('runtime: no exec-form HEALTHCHECK on /readyz');
  for (const stage of stages) {
    for (const args of instructionsOf(stage, 'ADD')) if (/https?:\/\//.test(args)) faults.push(`ADD of a URL: ${args}`);
    for (const args of instructionsOf(stage, 'COPY')) {
      const from = /--from=(\S+)/.exec(args)?.[1];
      const earlier = stages.slice(0, stage.index).some((s) => s.name === from || String(s.index) === from);
      if (from !== undefined && !earlier) faults.push(`COPY --from=${from}: no earlier stage of that name`);
    }
  }
  return faults;
}

test('Dockerfile: hadolint finds no error, or says once that it is not installed', () => {
  const probe = spawnSync('hadolint', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    console.log('  hadolint is not installed; the Dockerfile is checked by parsing its stages instead');
    return;
  }
  const lint = spawnSync('hadolint', ['--failure-threshold', 'error', path.join(ROOT, 'Dockerfile')], {
    encoding: 'utf8',
  });
  assert.equal(lint.status, 0, `hadolint:\n${lint.stdout}${lint.stderr}`);
});

test('Dockerfile: two stages, a slim Node 20 runtime as a non-root user with a data volume and a /readyz HEALTHCHECK', () => {
  assert.deepEqual(dockerfileFaults(read('Dockerfile')), []);
  const stages = readDockerfileStages(read('Dockerfile'));
  const [build, runtime] = [stages[0]!, stages.at(-1)!];
  assert.match(build.image, /^node:20-bookworm$/);
  assert.ok(
    instructionsOf(build, 'RUN').some((run) => /\bnpm ci\b/.test(run)),
    'the build stage runs npm ci',
  );
  assert.ok(
    instructionsOf(build, 'RUN').some((run) => /npm prune --omit=dev/.test(run)),
    'dev dependencies pruned',
  );
  assert.deepEqual(instructionsOf(runtime, 'USER'), ['tributary']);
  assert.deepEqual(instructionsOf(runtime, 'VOLUME'), [`["${DATA_VOLUME}"]`]);
  assert.deepEqual(instructionsOf(runtime, 'EXPOSE'), ['9876 10911 5557']);
  assert.deepEqual(instructionsOf(runtime, 'ENTRYPOINT'), ['["node", "bin/tributary.js"]']);
});

test('Dockerfile checks catch a root runtime, a fat runtime, a COPY from no stage and an ADD of a URL (canary)', () => {
  const good = read('Dockerfile');
  const planted = good
    .replace('USER tributary', 'USER root')
    .replace('FROM node:20-bookworm-slim AS runtime', 'FROM node:20-bookworm AS runtime')
    .replace('COPY --from=build /src/bin/', 'COPY --from=builder /src/bin/')
    .concat('\nADD https://example.com/x.tgz /tmp/\n');
  const faults = dockerfileFaults(planted).join('\n');
  for (const expected of [/runs as root/, /not slim Node 20/, /--from=builder/, /ADD of a URL/]) {
    assert.match(faults, expected);
  }
});

/** Repository paths the runtime stage copies out of the build stage (its WORKDIR is the repo root). */
function copiedFromBuild(stages: readonly DockerfileStage[]): string[] {
  const build = stages[0]!;
  const workdir = instructionsOf(build, 'WORKDIR').at(-1)!;
  const runtime = stages.at(-1)!;
  return instructionsOf(runtime, 'COPY')
    .filter((args) => args.includes(`--from=${build.name}`))
    .flatMap((args) =>
      args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1),
    )
    .map((source) => path.posix.relative(workdir, source));
}

test('Dockerfile: every file the runtime copies exists after npm run build; the build stage copies no ignored path', () => {
  const stages = readDockerfileStages(read('Dockerfile'));
  const copied = copiedFromBuild(stages);
  assert.ok(copied.includes('dist') && copied.includes('node_modules'), `copies ${copied.join(', ')}`);
  for (const source of copied) {
    const directory = path.join(ROOT, path.dirname(source));
    const pattern = new RegExp(`^${path.basename(source).replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
    const found = fs.existsSync(directory) && fs.readdirSync(directory).some((name) => pattern.test(name));
    assert.ok(found, `COPY --from=build ${source}: nothing there after the build`);
  }
  const ignored = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const fromContext = instructionsOf(stages[0]!, 'COPY').flatMap((args) => args.split(/\s+/).slice(0, -1));
  for (const source of fromContext) {
    assert.ok(fs.existsSync(path.join(ROOT, source)), `COPY ${source}: not in the repository`);
    const top = source.split('/')[0]!;
    assert.ok(!ignored.includes(top), `COPY ${source}: excluded by .dockerignore`);
  }
});

// ---- compose.yaml ----------------------------------------------------------------------------

type YamlMap = { [key: string]: YamlValue };
const asMap = (value: YamlValue | undefined, what: string): YamlMap => {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${what}: not a mapping`);
  return value;
};
const asStrings = (value: YamlValue | undefined, what: string): string[] => {
  assert.ok(Array.isArray(value), `${what}: not a list`);
  return value.map(String);
};

function composeServices(): Map<string, YamlMap> {
  const compose = asMap(parseYamlSubset(read('compose.yaml')), 'compose.yaml');
  const services = asMap(compose.services, 'services');
  return new Map(Object.entries(services).map(([name, value]) => [name, asMap(value, name)]));
}

const flagValue = (argv: readonly string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
const commandOf = (service: YamlMap): string => asStrings(service.command, 'command')[0]!;
const profilesOf = (service: YamlMap): string[] =>
  service.profiles === undefined ? [] : asStrings(service.profiles, 'profiles');
/** The services `docker compose up` starts (no profile), or those of `profile` only. */
const servicesIn = (profile: string | undefined): [string, YamlMap][] =>
  [...composeServices()].filter(([, service]) =>
    profile === undefined ? profilesOf(service).length === 0 : profilesOf(service).includes(profile),
  );
const REPLICATED_PROFILE = 'replicated';

test('compose.yaml: two name servers and a broker registered with both, started once they are healthy, data on a named volume', () => {
  const compose = asMap(parseYamlSubset(read('compose.yaml')), 'compose.yaml');
  const services = composeServices();
  const nameServers = servicesIn(undefined).filter(([, s]) => commandOf(s) === 'namesrv');
  const brokers = servicesIn(undefined).filter(([, s]) => commandOf(s) === 'broker');
  assert.equal(nameServers.length, 2);
  assert.equal(brokers.length, 1);
  const [brokerName, broker] = brokers[0]!;
  const argv = asStrings(broker.command, brokerName);
  const registered = flagValue(argv, '--namesrv')!.split(';');
  assert.deepEqual(
    registered.map((address) => address.split(':')[0]),
    nameServers.map(([name]) => name),
  );
  assert.equal(flagValue(argv, '--data'), DATA_VOLUME);
  const dependsOn = asMap(broker.depends_on, 'depends_on');
  for (const [name] of nameServers) {
    assert.equal(asMap(dependsOn[name], name).condition, 'service_healthy', `broker waits for ${name}`);
  }
  const volume = asStrings(broker.volumes, 'volumes')[0]!.split(':');
  assert.equal(volume[1], DATA_VOLUME);
  assert.ok(volume[0]! in asMap(compose.volumes, 'volumes'), `volume ${volume[0]} declared`);
  for (const [name, service] of services) {
    assert.equal(asStrings(asMap(service.healthcheck, name).test, name)[0], 'CMD', `${name} has a healthcheck`);
  }
});

/** Whether `tributary <command> --help` lists `flag` (the HTTP server may not have landed yet). */
async function cliKnowsFlag(command: string, flag: string): Promise<boolean> {
  const help = CliProcess.tributary([command, '--help']);
  await help.finish(COMMAND_TIMEOUT_MS);
  return help.stdout.includes(flag) || help.stderr.includes(flag);
}

/** A free port for `--http-port` when the command has it, so no test binds the default. */
async function httpPortFor(command: string): Promise<number | undefined> {
  return (await cliKnowsFlag(command, '--http-port')) ? freePort() : undefined;
}

interface LoopbackPlan {
  /** Container port (as written) -> the free port standing in for it. */
  readonly ports: ReadonlyMap<string, number>;
  /** Host or service name:port as written -> 127.0.0.1:free port. */
  readonly addresses: ReadonlyMap<string, string>;
  readonly dataDirectory: string;
  readonly httpPort: number | undefined;
}

/** The file's argv with only what differs between a host and a container replaced. */
function loopbackArgv(argv: readonly string[], plan: LoopbackPlan): string[] {
  const out = [...argv];
  const replace = (flag: string, value: (old: string) => string): void => {
    const at = out.indexOf(flag);
    if (at >= 0) out[at + 1] = value(out[at + 1]!);
  };
  replace('--port', (old) => String(plan.ports.get(old) ?? assert.fail(`no free port for ${old}`)));
  replace('--ha-port', (old) => String(plan.ports.get(old) ?? assert.fail(`no free port for ${old}`)));
  replace('--namesrv', (old) =>
    old
      .split(';')
      .map((address) => plan.addresses.get(address) ?? assert.fail(`no address for ${address}`))
      .join(';'),
  );
  replace('--data', () => plan.dataDirectory);
  replace('--advertised-host', () => '127.0.0.1');
  replace('--segment-mb', () => String(TEST_SEGMENT_MIB));
  if (!out.includes('--host')) out.push('--host', '127.0.0.1');
  if (plan.httpPort !== undefined) out.push('--http-port', String(plan.httpPort));
  return out;
}

/** Runs `check` until it answers true; fails past the deadline, or at once if `server` exits. */
async function until(
  what: string,
  server: CliProcess,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  while (!(await check())) {
    if (exited) throw server.failure(`exited before ${what}`);
    if (Date.now() > deadline) throw server.failure(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** A compose healthcheck (`CMD node -e ...`) run on the host with its ports replaced; true on exit 0. */
async function healthy(test: readonly string[], ports: ReadonlyMap<string, number>): Promise<boolean> {
  assert.equal(test[0], 'CMD');
  assert.equal(test[1], 'node');
  const argv = test.slice(2).map((word) => word.replace(/\b\d{4,5}\b/g, (port) => String(ports.get(port) ?? port)));
  const check = new CliProcess([process.execPath, ...argv]);
  return (await check.finish(COMMAND_TIMEOUT_MS)).code === 0;
}

async function runCli(args: readonly string[]): Promise<string> {
  const cli = CliProcess.tributary(args);
  const exit = await cli.finish(COMMAND_TIMEOUT_MS);
  if (exit.code !== 0) throw cli.failure(`exited ${exit.code ?? exit.signal}`);
  return cli.stdout;
}

/** Starts one compose service as a process and waits until its own healthcheck passes. */
async function startService(name: string, service: YamlMap, plan: LoopbackPlan): Promise<CliProcess> {
  const argv = loopbackArgv(asStrings(service.command, name), plan);
  const server = CliProcess.tributary(argv);
  await server.waitFor(`${name} ready line`, START_TIMEOUT_MS, () =>
    /listening on/.test(server.stdout) ? true : undefined,
  );
  const test = asStrings(asMap(service.healthcheck, name).test, name);
  const usesHttp = test.join(' ').includes(`:${HTTP_CONTAINER_PORT}/`);
  if (usesHttp && plan.httpPort === undefined) {
    console.log(`  ${name}: the CLI has no --http-port yet, so /readyz was not checked; waited for its port instead`);
    const port = plan.ports.get(flagValue(asStrings(service.command, name), '--port')!)!;
    await until(`${name} accepts`, server, START_TIMEOUT_MS, () => acceptsConnection(port));
  } else {
    const ports = new Map(plan.ports);
    if (plan.httpPort !== undefined) ports.set(HTTP_CONTAINER_PORT, plan.httpPort);
    await until(`${name} healthcheck`, server, START_TIMEOUT_MS, () => healthy(test, ports));
  }
  return server;
}

test('compose.yaml: its commands, run as processes on loopback, carry a message produced via one name server and consumed via the other', async () => {
  const data = temporaryDirectory('compose');
  const started: CliProcess[] = [];
  try {
    const addresses = await startNameServers(data.path, started);
    const [brokerName, broker] = servicesIn(undefined).find(([, s]) => commandOf(s) === 'broker')!;
    const brokerPort = flagValue(asStrings(broker.command, brokerName), '--port')!;
    const ports = new Map([[brokerPort, await freePort()]]);
    const plan = { ports, addresses, dataDirectory: data.path, httpPort: await httpPortFor('broker') };
    started.push(await startService(brokerName, broker, plan));
    await roundTrip([...addresses.values()]);
    for (const server of started.splice(0).reverse()) {
      const exit = await server.stop('SIGTERM', STOP_DEADLINE_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, server.failure('did not stop cleanly').message);
    }
  } finally {
    await Promise.all(started.map((server) => server.stop('SIGKILL', 0)));
    data.remove();
  }
});

/**
 * Starts the file's name servers as processes (compose starts what others depend on first);
 * returns each 'service:port' as written -> its loopback address.
 */
async function startNameServers(dataDirectory: string, started: CliProcess[]): Promise<Map<string, string>> {
  const addresses = new Map<string, string>();
  const nameServerPorts = new Map<string, Map<string, number>>();
  const services = composeServices();
  for (const [name, service] of services) {
    const argv = asStrings(service.command, name);
    if (argv[0] !== 'namesrv') continue;
    const port = await freePort();
    addresses.set(`${name}:${flagValue(argv, '--port')}`, `127.0.0.1:${port}`);
    nameServerPorts.set(name, new Map([[flagValue(argv, '--port')!, port]]));
  }
  for (const [name, ports] of nameServerPorts) {
    const plan = { ports, addresses, dataDirectory, httpPort: await httpPortFor('namesrv') };
    started.push(await startService(name, services.get(name)!, plan));
  }
  return addresses;
}

test('compose.yaml: the replicated profile holds a sync master and its slave of one broker name, each on its own volume, the slave after the master', () => {
  const compose = asMap(parseYamlSubset(read('compose.yaml')), 'compose.yaml');
  const set = servicesIn(REPLICATED_PROFILE);
  assert.equal(set.length, 2, set.map(([name]) => name).join(', '));
  const argvOf = ([name, service]: [string, YamlMap]): string[] => asStrings(service.command, name);
  const [master, slave] = [
    set.find((entry) => flagValue(argvOf(entry), '--role') === 'sync-master') ?? assert.fail('no sync-master'),
    set.find((entry) => flagValue(argvOf(entry), '--role') === 'slave') ?? assert.fail('no slave'),
  ];
  const [masterArgv, slaveArgv] = [argvOf(master), argvOf(slave)];
  assert.equal(flagValue(slaveArgv, '--name'), flagValue(masterArgv, '--name'), 'one broker name');
  assert.ok(
    !servicesIn(undefined).some(
      ([, s]) => flagValue(asStrings(s.command, 'command'), '--name') === flagValue(masterArgv, '--name'),
    ),
  );
  assert.equal(flagValue(slaveArgv, '--broker-id'), '1');
  assert.ok(!masterArgv.includes('--broker-id') || flagValue(masterArgv, '--broker-id') === '0');
  assert.match(flagValue(masterArgv, '--ha-port') ?? '', /^\d+$/, 'the master serves an HA port');
  // The slave reaches the HA port at the master's advertised host: its service name.
  assert.equal(flagValue(masterArgv, '--advertised-host'), master[0]);
  assert.equal(flagValue(slaveArgv, '--advertised-host'), slave[0]);
  assert.equal(flagValue(slaveArgv, '--namesrv'), flagValue(masterArgv, '--namesrv'));
  assert.equal(asMap(asMap(slave[1].depends_on, 'depends_on')[master[0]], master[0]).condition, 'service_healthy');
  const volumes = set.map(([name, s]) => asStrings(s.volumes, name)[0]!.split(':'));
  assert.notEqual(volumes[0]![0], volumes[1]![0], 'a volume each');
  for (const [volume, mounted] of volumes) {
    assert.equal(mounted, DATA_VOLUME);
    assert.ok(volume! in asMap(compose.volumes, 'volumes'), `volume ${volume} declared`);
  }
  const published = [...composeServices()].flatMap(([, s]) =>
    s.ports === undefined ? [] : asStrings(s.ports, 'ports').map((port) => port.split(':')[0]),
  );
  assert.equal(new Set(published).size, published.length, `host ports published once each: ${published}`);
});

test("compose.yaml: the replicated profile's commands, run as processes on loopback: the sync master acknowledges a send once its slave holds it", async () => {
  const data = temporaryDirectory('compose-replicated');
  const started: CliProcess[] = [];
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  try {
    const addresses = await startNameServers(data.path, started);
    let masterAddress: string | undefined;
    for (const [name, service] of servicesIn(REPLICATED_PROFILE)) {
      const argv = asStrings(service.command, name);
      const ports = new Map<string, number>();
      for (const flag of ['--port', '--ha-port'])
        if (argv.includes(flag)) ports.set(flagValue(argv, flag)!, await freePort());
      const dataDirectory = path.join(data.path, name);
      const plan = { ports, addresses, dataDirectory, httpPort: await httpPortFor('broker') };
      started.push(await startService(name, service, plan));
      if (flagValue(argv, '--role') === 'sync-master')
        masterAddress = `127.0.0.1:${ports.get(flagValue(argv, '--port')!)}`;
    }
    await waitInSync(client, masterAddress!);
    const nameServers = [...addresses.values()];
    const topic = 'DeployReplicated';
    await runCli(['topic', 'create', topic, '--queues', '2', '--namesrv', nameServers.join(';')]);
    await runCli(['produce', '--topic', topic, '--body', 'held by the slave', '--json', '--namesrv', nameServers[0]!]);
    for (const server of started.splice(0).reverse()) {
      const exit = await server.stop('SIGTERM', STOP_DEADLINE_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, server.failure('did not stop cleanly').message);
    }
  } finally {
    client.close();
    await Promise.all(started.map((server) => server.stop('SIGKILL', 0)));
    data.remove();
  }
});

/** topic create via both name servers, produce via the first only, consume via the second only. */
async function roundTrip(nameServers: readonly string[]): Promise<void> {
  assert.equal(nameServers.length, 2);
  const topic = 'DeployRoundTrip';
  const body = `through compose's commands at ${new Date().toISOString()}`;
  await runCli(['topic', 'create', topic, '--queues', '2', '--namesrv', nameServers.join(';')]);
  const produced = await runCli(['produce', '--topic', topic, '--body', body, '--json', '--namesrv', nameServers[0]!]);
  const msgId = (JSON.parse(produced.trim()) as { msgId: string }).msgId;
  const consumeArgs = ['consume', '--topic', topic, '--group', 'deploy-check', '--from', 'first', '--count', '1'];
  const consumed = await runCli([...consumeArgs, '--json', '--namesrv', nameServers[1]!]);
  const message = JSON.parse(consumed.trim()) as { msgId: string; body: string };
  assert.equal(message.body, body);
  assert.equal(message.msgId, msgId);
}

test("Dockerfile: the image's default ENTRYPOINT + CMD, run as a process, serves, passes its HEALTHCHECK where it can, and stops with exit 0", async () => {
  const runtime = readDockerfileStages(read('Dockerfile')).at(-1)!;
  const entrypoint = JSON.parse(instructionsOf(runtime, 'ENTRYPOINT').at(-1)!) as string[];
  const command = JSON.parse(instructionsOf(runtime, 'CMD').at(-1)!) as string[];
  assert.deepEqual(entrypoint, ['node', 'bin/tributary.js']);
  const data = temporaryDirectory('image-cmd');
  const [port, namesrvPort] = [await freePort(), await freePort()];
  const httpPort = await httpPortFor('start');
  const plan = {
    ports: new Map<string, number>(),
    addresses: new Map<string, string>(),
    dataDirectory: data.path,
    httpPort,
  };
  const argv = [...loopbackArgv(command, plan), '--port', String(port), '--namesrv-port', String(namesrvPort)];
  const server = CliProcess.tributary(argv);
  try {
    await server.waitFor('ready line', START_TIMEOUT_MS, () => (/listening on/.test(server.stdout) ? true : undefined));
    assert.ok(server.stdout.includes(`data in ${data.path}`), server.stdout);
    if (httpPort === undefined) {
      console.log('  start: the CLI has no --http-port yet, so the image HEALTHCHECK was not run against it');
    } else {
      const check = ['CMD', ...healthcheckCommand(runtime)!];
      await until('image HEALTHCHECK', server, START_TIMEOUT_MS, () =>
        healthy(check, new Map([[HTTP_CONTAINER_PORT, httpPort]])),
      );
    }
    const exit = await server.stop('SIGTERM', STOP_DEADLINE_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, server.failure('did not stop cleanly').message);
  } finally {
    await server.stop('SIGKILL', 0);
    data.remove();
  }
});

// ---- systemd units ---------------------------------------------------------------------------

const UNITS = ['deploy/tributary-namesrv.service', 'deploy/tributary-broker.service'];

function serviceSection(file: string): ReadonlyMap<string, string> {
  const unit: SystemdUnit = readSystemdUnit(read(file));
  return unit.get('Service') ?? assert.fail(`${file}: no [Service]`);
}

test('systemd units: a non-root user, file and memlock limits, restart on failure; systemd-analyze verify passes where installed', () => {
  for (const file of UNITS) {
    const service = serviceSection(file);
    assert.ok(!['', 'root', '0', undefined].includes(service.get('User')), `${file}: User= is not root`);
    assert.equal(service.get('Restart'), 'on-failure', file);
    assert.match(service.get('LimitNOFILE') ?? '', /^\d+$/, `${file}: LimitNOFILE`);
    assert.match(service.get('ExecStart') ?? '', /^\/\S+\/node \S+\/bin\/tributary\.js /, `${file}: ExecStart`);
  }
  const broker = serviceSection('deploy/tributary-broker.service');
  assert.equal(broker.get('LimitMEMLOCK'), 'infinity');
  const dataDirectory = flagValue(splitSystemdCommand(broker.get('ExecStart')!), '--data')!;
  assert.ok(dataDirectory.startsWith(`/var/lib/${broker.get('StateDirectory')}/`), 'data under StateDirectory');
  const verify = spawnSync('systemd-analyze', ['verify', ...UNITS.map((file) => path.join(ROOT, file))], {
    encoding: 'utf8',
  });
  if (verify.error !== undefined) console.log('  systemd-analyze is not installed; the units were parsed only');
  else assert.equal(verify.status, 0, `systemd-analyze verify:\n${verify.stdout}${verify.stderr}`);
});

/** A unit's ExecStart argv with node and the install path pointed at this checkout, then loopback. */
function unitArgv(file: string, plan: LoopbackPlan): string[] {
  const [node, script, ...args] = splitSystemdCommand(serviceSection(file).get('ExecStart')!);
  assert.match(node!, /\/node$/);
  assert.match(script!, /\/bin\/tributary\.js$/);
  return [process.execPath, CLI_SCRIPT, ...loopbackArgv(args, plan)];
}

test("systemd units: ExecStart's argv starts two name servers and a broker that accepts connections; SIGTERM stops each with exit 0", async () => {
  const data = temporaryDirectory('systemd');
  const started: CliProcess[] = [];
  try {
    const brokerArgs = splitSystemdCommand(serviceSection('deploy/tributary-broker.service').get('ExecStart')!);
    const addresses = new Map<string, string>();
    for (const address of flagValue(brokerArgs, '--namesrv')!.split(';')) {
      const port = await freePort();
      const namesrvArgs = splitSystemdCommand(serviceSection('deploy/tributary-namesrv.service').get('ExecStart')!);
      const ports = new Map([[flagValue(namesrvArgs, '--port')!, port]]);
      const plan = { ports, addresses, dataDirectory: data.path, httpPort: await httpPortFor('namesrv') };
      const server = new CliProcess(unitArgv('deploy/tributary-namesrv.service', plan));
      started.push(server);
      await until(`name server for ${address}`, server, START_TIMEOUT_MS, () => acceptsConnection(port));
      addresses.set(address, `127.0.0.1:${port}`);
    }
    const port = await freePort();
    const ports = new Map([[flagValue(brokerArgs, '--port')!, port]]);
    const plan = { ports, addresses, dataDirectory: data.path, httpPort: await httpPortFor('broker') };
    const broker = new CliProcess(unitArgv('deploy/tributary-broker.service', plan));
    started.push(broker);
    await until('broker accepts a connection', broker, START_TIMEOUT_MS, () => acceptsConnection(port));
    const registering = `registering with ${[...addresses.values()].join(';')}`;
    await broker.waitFor('ready line', START_TIMEOUT_MS, () =>
      broker.stdout.includes(registering) ? true : undefined,
    );
    for (const server of started.splice(0).reverse()) {
      const exit = await server.stop('SIGTERM', STOP_DEADLINE_MS);
      assert.deepEqual(exit, { code: 0, signal: null }, server.failure('did not stop cleanly').message);
    }
  } finally {
    await Promise.all(started.map((server) => server.stop('SIGKILL', 0)));
    data.remove();
  }
});

test.run();
