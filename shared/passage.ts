// Composes a Passage process from its roles: `ingest` (sensor registry + HTTP ingest), `processor`
// (aggregation into the store), `api` (history queries), or `all` of them on one port (embedded
// mode). Every role serves /healthz, /readyz and /metrics.

import type { Config, Role } from './config.js';
import { KeyStore, authorize } from './access.js';
import { createHttpServer, type App } from './http.js';
import type { Logger } from './log.js';
import { openRuntime, type Runtime, type RuntimeOverrides } from './runtime.js';
import { EdgeIngest } from '../ingest/edge.js';
import { contextRoutes } from '../ingest/context-routes.js';
import { ingestRoutes } from '../ingest/routes.js';
import { sensorRoutes } from '../ingest/sensors/routes.js';
import { embeddedSimulator } from '../ingest/simulate/simulator.js';
import { StreamProcessor, type Processor, type ProcessorDeps } from '../processors/core/processor.js';
import { wifiOperator } from '../processors/devices/wifi.js';
import { telcoOperator } from '../processors/devices/telco.js';
import { countOperator } from '../processors/footfall/processor.js';
import { COUNT_SOURCES } from '../processors/footfall/steps.js';
import { journeyOperator } from '../processors/flows/journeys.js';
import { ContextSink } from '../processors/context/sink.js';
import { Releaser } from '../processors/release/releaser.js';
import { LiveHub } from '../query-api/live/hub.js';
import { liveRoutes } from '../query-api/live/routes.js';
import { Access } from '../query-api/access/index.js';
import { loadCatalogMeta } from '../query-api/catalog/config.js';
import { catalogRoutes } from '../query-api/catalog/routes.js';
import { adminRoutes } from '../query-api/routes/admin/index.js';
import { usageRoute } from '../query-api/routes/usage/route.js';
import { zoneRoutes } from '../query-api/zones/routes.js';
import { Zones } from '../query-api/zones/zones.js';
import { footfallRoute } from '../query-api/routes/footfall/route.js';
import { flowsRoute } from '../query-api/routes/flows/route.js';

export interface Passage {
  app: App;
  runtime: Runtime;
  /** The stream processors of the processor role: counts (camera, ticketing), devices (Wi-Fi, telco), journeys (ticketing). */
  processors: Processor[];
  edge: EdgeIngest | null;
  close(): Promise<void>;
}

export interface StartOptions {
  role: Role;
  adminKey: string;
  /** Secret the rotating pseudonymisation keys derive from (≥ 32 bytes); needed by the ingest role. */
  pseudonymSecret: Buffer | null;
  /** Secret that seeds the release noise (≥ 32 bytes); without it the api role's data routes answer 503. */
  privacySecret?: Buffer | null;
  overrides?: RuntimeOverrides;
  /** Run the simulators (embedded mode). */
  simulate?: boolean;
}

/** Every stream processor: one consumer group per (raw topic, operator). */
function streamProcessors(runtime: Runtime, config: Config, logger: Logger): Processor[] {
  const deps: ProcessorDeps = {
    bus: runtime.bus,
    codec: runtime.codec,
    store: runtime.store,
    topics: runtime.topics,
    logger,
    processing: config.processing,
    maxFutureMs: config.ingest.maxFutureMs,
  };
  const { sensors } = runtime;
  return [
    ...COUNT_SOURCES.map((source) => new StreamProcessor(deps, countOperator(source, sensors, config.processing.windowMs))),
    new StreamProcessor(deps, journeyOperator(sensors, config.processing)),
    new StreamProcessor(deps, wifiOperator(sensors, config.processing)),
    new StreamProcessor(deps, telcoOperator(config.processing)),
  ];
}

export async function startPassage(config: Config, logger: Logger, opts: StartOptions): Promise<Passage> {
  const runtime = await openRuntime(config, logger, opts.overrides);
  const has = (r: Role): boolean => opts.role === 'all' || opts.role === r;
  const edge = has('ingest') && opts.pseudonymSecret !== null ? EdgeIngest.forRuntime(runtime, opts.pseudonymSecret) : null;
  if (has('ingest') && edge === null) throw new Error('the ingest role needs the pseudonymisation secret');
  const processors = has('processor') ? streamProcessors(runtime, config, logger) : [];
  const contextSink = has('processor')
    ? new ContextSink({ bus: runtime.bus, codec: runtime.codec, store: runtime.store, topics: runtime.topics, logger })
    : null;
  const privacy =
    opts.privacySecret == null
      ? null
      : { secret: opts.privacySecret, defaults: config.privacy.defaults, datasets: config.privacy.datasets };
  const releaser = has('processor')
    ? new Releaser({
        bus: runtime.bus,
        codec: runtime.codec,
        store: runtime.store,
        topics: runtime.topics,
        logger,
        privacy,
        timeZone: config.timeZone,
        windowMs: config.processing.windowMs,
        horizonMs: config.live.horizonMs,
      })
    : null;
  const hub = has('api')
    ? new LiveHub({ bus: runtime.bus, codec: runtime.codec, topics: runtime.topics, logger, timeZone: config.timeZone })
    : null;
  const app = await createHttpServer({
    logger,
    maxBodyBytes: config.ingest.maxBodyBytes,
    readiness: {
      store: () => runtime.store.ping(),
      bus: () => runtime.bus.ping(),
      ...(processors.length > 0 ? { processor: () => processors.every((p) => p.ready()) } : {}),
      ...(contextSink ? { context: () => contextSink.ready() } : {}),
      ...(releaser ? { releaser: () => releaser.ready() } : {}),
      ...(hub ? { live: () => hub.ready() } : {}),
    },
  });
  const keys = new KeyStore(runtime.store, opts.adminKey);
  if (edge !== null) {
    sensorRoutes(app, { sensors: runtime.sensors, keys });
    contextRoutes(app, { bus: runtime.bus, codec: runtime.codec, topics: runtime.topics, keys });
    await ingestRoutes(app, { edge, keys, sensors: runtime.sensors, limits: config.ingest });
  }
  if (has('api')) {
    const zones = await Zones.load(config.zonesFile);
    const catalogMeta = await loadCatalogMeta(config.catalogFile);
    const access = new Access(runtime.store, keys, {
      logger,
      timeZone: config.timeZone,
      zones: (id, resolution) => zones.resolve(id, resolution),
    });
    access.register(app);
    adminRoutes(app, access);
    usageRoute(app, access);
    const history = {
      store: runtime.store,
      // Subscribers and vendors with a grant of the dataset (admin keys pass every check).
      auth: authorize(keys, { roles: ['subscriber', 'vendor'] }),
      grants: access.grants,
      timeZone: config.timeZone,
      maxResultRows: config.query.maxResultRows,
      queryTimeoutMs: config.query.timeoutMs,
      zones,
      ...(privacy === null ? {} : { privacy }),
    };
    footfallRoute(app, history);
    flowsRoute(app, history);
    await liveRoutes(app, {
      hub: hub!,
      auth: history.auth,
      grants: access.grants,
      meter: (principal, dataset, rows) => access.usage.add(principal, dataset, rows),
    });
    zoneRoutes(app, { zones });
    catalogRoutes(app, {
      meta: catalogMeta,
      zones,
      store: runtime.store,
      adminKey: opts.adminKey,
      timeZone: config.timeZone,
      queryTimeoutMs: config.query.timeoutMs,
    });
  }
  for (const p of processors) await p.start();
  await contextSink?.start();
  await releaser?.start();
  await hub?.start();
  const simulator = opts.simulate === true && edge !== null ? embeddedSimulator(runtime, edge, logger) : null;
  await simulator?.start();

  return {
    app,
    runtime,
    processors,
    edge,
    close: async () => {
      await simulator?.stop();
      await app.close();
      await hub?.stop();
      await releaser?.stop();
      for (const p of processors) await p.stop();
      await contextSink?.stop();
      await runtime.close();
    },
  };
}
