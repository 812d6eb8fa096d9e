// A vendor's Kafka-native producer, runnable as it is: camera counts go straight to
// pm.raw.camera.v1, Avro-encoded (Confluent wire format) with the schema Passage registered under
// pm.raw.camera.v1-value. It uses only kafkajs and @kafkajs/confluent-schema-registry, as a vendor would.
//
//   npx tsx ingest/examples/kafka-producer.ts --brokers 127.0.0.1:19092 \
//     --registry http://127.0.0.1:18081/apis/ccompat/v7 --sensor my-cam --lat 55.6786 --lng 12.5786 --count 12
//
// Identity-free sources (camera counts, gate counts) can be produced like this directly. A vendor
// producing Wi-Fi, telco or ticketing records must pseudonymise device/card ids itself before they
// leave its systems (a keyed hash whose key it rotates), because Passage never accepts raw ids.

import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners } from 'kafkajs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface ExampleOptions {
  brokers: string[];
  registryUrl: string;
  /** Topic name; Passage's default is pm.raw.camera.v1 (with KAFKA_TOPIC_PREFIX in front if set). */
  topic: string;
  sensorId: string;
  lat: number;
  lng: number;
  /** How many consecutive 5-minute counts to send, ending at `endMs`. */
  count: number;
  endMs: number;
}

/** Produces `count` 5-minute camera counts; returns the total people counted (in + out). */
export async function produceCameraCounts(o: ExampleOptions): Promise<number> {
  const registry = new SchemaRegistry({ host: o.registryUrl });
  const schemaId = await registry.getLatestSchemaId(`${o.topic}-value`);
  const kafka = new Kafka({ clientId: `vendor-example-${o.sensorId}`, brokers: o.brokers });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let total = 0;
  try {
    const messages = [];
    for (let i = o.count; i >= 1; i--) {
      const start = Math.floor(o.endMs / 300_000) * 300_000 - i * 300_000;
      const counted = { in: 10 + i, out: 5 + (i % 3) };
      total += counted.in + counted.out;
      const value = await registry.encode(schemaId, {
        recordId: `${o.sensorId}-${start}`, // the vendor's stable id: a resend is recognised as a duplicate
        sensorId: o.sensorId,
        start,
        end: start + 300_000,
        ...counted,
        line: null,
        class: 'pedestrian',
        lat: o.lat,
        lng: o.lng,
        receivedAt: Date.now(),
      });
      messages.push({ key: o.sensorId, value });
    }
    await producer.send({ topic: o.topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
  return total;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string', default: '127.0.0.1:19092' },
      registry: { type: 'string', default: 'http://127.0.0.1:18081/apis/ccompat/v7' },
      topic: { type: 'string', default: 'pm.raw.camera.v1' },
      sensor: { type: 'string', default: 'vendor-cam-1' },
      lat: { type: 'string', default: '55.6786' },
      lng: { type: 'string', default: '12.5786' },
      count: { type: 'string', default: '12' },
    },
  });
  produceCameraCounts({
    brokers: values.brokers.split(','),
    registryUrl: values.registry,
    topic: values.topic,
    sensorId: values.sensor,
    lat: Number(values.lat),
    lng: Number(values.lng),
    count: Number(values.count),
    endMs: Date.now(),
  }).then(
    (total) => process.stdout.write(`produced ${values.count} counts (${total} people) to ${values.topic}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
