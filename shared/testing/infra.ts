// Finds the real components tests run against, in the design's order (DESIGN.md, Tests against
// real components): an address in the environment → testcontainers when a Docker engine answers →
// a local process (deploy/local/stack.sh: Kafka and Apicurio Registry from Maven Central on the
// machine's Java) → skip with a printed reason. REQUIRE_KAFKA=1, REQUIRE_SCHEMA_REGISTRY=1 and
// REQUIRE_CLICKHOUSE=1 turn a skip into a failure.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { assetPath } from '../assets.js';

const run = promisify(execFile);

export type Found<T> = { ok: true; value: T; how: string } | { ok: false; reason: string };

export interface Infra {
  kafka: Found<{ brokers: string[] }>;
  registry: Found<{ url: string }>;
  clickhouse: Found<{ url: string; user: string; password: string }>;
  stop(): Promise<void>;
}

const STACK = assetPath('deploy', 'local', 'stack.sh');

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function localStack(): Promise<{ env: Record<string, string>; startedHere: boolean } | { error: string }> {
  const parseEnv = (text: string): Record<string, string> =>
    Object.fromEntries([...text.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^["']|["']$/g, '')]));
  try {
    const status = await run('bash', [STACK, 'status']).then(
      () => true,
      () => false,
    );
    if (!status) {
      process.stdout.write('[infra] starting the local Kafka + registry (deploy/local/stack.sh up)…\n');
      await run('bash', [STACK, 'up'], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
    }
    const { stdout } = await run('bash', [STACK, 'env']);
    return { env: parseEnv(stdout), startedHere: !status };
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    return { error: (e.stderr ?? e.message ?? String(err)).trim().split('\n').slice(-5).join(' | ') };
  }
}

export async function findInfra(env: Record<string, string | undefined>): Promise<Infra> {
  const stops: (() => Promise<unknown>)[] = [];
  const docker = env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL && env.CLICKHOUSE_URL ? false : await dockerAvailable();
  let kafka: Infra['kafka'];
  let registry: Infra['registry'];
  let clickhouse: Infra['clickhouse'];

  if (env.KAFKA_BROKERS) kafka = { ok: true, value: { brokers: env.KAFKA_BROKERS.split(',') }, how: 'KAFKA_BROKERS' };
  else if (docker) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const c = await new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start();
    stops.push(() => c.stop());
    kafka = { ok: true, value: { brokers: [`${c.getHost()}:${c.getMappedPort(9093)}`] }, how: 'testcontainers' };
  } else kafka = { ok: false, reason: 'no KAFKA_BROKERS and no Docker engine' };

  if (env.SCHEMA_REGISTRY_URL) registry = { ok: true, value: { url: env.SCHEMA_REGISTRY_URL }, how: 'SCHEMA_REGISTRY_URL' };
  else if (docker) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const c = await new GenericContainer('apicurio/apicurio-registry:3.0.9')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start();
    stops.push(() => c.stop());
    registry = { ok: true, value: { url: `http://${c.getHost()}:${c.getMappedPort(8080)}/apis/ccompat/v7` }, how: 'testcontainers' };
  } else registry = { ok: false, reason: 'no SCHEMA_REGISTRY_URL and no Docker engine' };

  if (!kafka.ok || !registry.ok) {
    const local = await localStack();
    if ('error' in local) {
      const reason = `deploy/local/stack.sh failed: ${local.error}`;
      if (!kafka.ok) kafka = { ok: false, reason: `${kafka.reason}; ${reason}` };
      if (!registry.ok) registry = { ok: false, reason: `${registry.reason}; ${reason}` };
    } else {
      if (local.startedHere) stops.push(() => run('bash', [STACK, 'down']));
      if (!kafka.ok && local.env.KAFKA_BROKERS)
        kafka = { ok: true, value: { brokers: local.env.KAFKA_BROKERS.split(',') }, how: 'local process (deploy/local/stack.sh)' };
      if (!registry.ok && local.env.SCHEMA_REGISTRY_URL)
        registry = { ok: true, value: { url: local.env.SCHEMA_REGISTRY_URL }, how: 'local process (deploy/local/stack.sh)' };
    }
  }

  if (env.CLICKHOUSE_URL) {
    clickhouse = {
      ok: true,
      value: { url: env.CLICKHOUSE_URL, user: env.CLICKHOUSE_USER ?? 'default', password: env.CLICKHOUSE_PASSWORD ?? '' },
      how: 'CLICKHOUSE_URL',
    };
  } else if (docker) {
    const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
    const c = await new ClickHouseContainer('clickhouse/clickhouse-server:25.8').start();
    stops.push(() => c.stop());
    clickhouse = { ok: true, value: { url: c.getHttpUrl(), user: c.getUsername(), password: c.getPassword() }, how: 'testcontainers' };
  } else {
    clickhouse = {
      ok: false,
      reason:
        'no CLICKHOUSE_URL and no Docker engine (no local ClickHouse server can be installed here: Debian ships 18.16, too old for parameterised SQL); the same SQL runs on chDB in every test',
    };
  }

  return {
    kafka,
    registry,
    clickhouse,
    stop: async () => {
      for (const s of stops.reverse()) await s().catch(() => undefined);
    },
  };
}
