// `passage admin …`: tenants, keys and grants from the command line, over the admin API of a
// running Passage (--url, default this machine's PORT; --key, default PASSAGE_ADMIN_KEY or the
// embedded data folder's admin-key), so it works alike against embedded mode (whose chDB folder
// the running process holds) and a deployed API. Prints the API's JSON answer.
//
//   passage admin tenants create --name "Acme Retail"
//   passage admin keys create --tenant "Acme Retail" --role subscriber
//   passage admin grants create --tenant "Acme Retail" --dataset footfall --cells 881f05831bfffff --min-resolution 9

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../../shared/config.js';
import { badRequest } from '../../shared/errors.js';
import { passageTarget } from '../../ingest/backfill/sinks.js';
import { DATASET_NAMES } from '../datasets.js';

const USAGE = `usage: passage admin <tenants|keys|grants|audit> <create|list|get|delete> [options]
  tenants create --name <name>
  tenants list | get <tenant> | delete <tenant>        (delete revokes its keys and deletes its grants)
  keys create --tenant <tenant> --role vendor|subscriber|admin [--sources camera,wifi,…] [--owner <owner>]
  keys list [--tenant <tenant>] | get <keyId> | delete <keyId>
  grants create --tenant <tenant> --dataset ${DATASET_NAMES.join('|')} (--cells <c1,c2,…> | --area <file.geojson> | --zone <name>)
                --min-resolution 7..10 [--from <time>] [--to <time>]
  grants list [--tenant <tenant>] [--dataset <dataset>] | get <grantId> | delete <grantId>
  audit [--tenant <tenant>] [--key-id <keyId>] [--limit <n>]
  <tenant> is a tenant id or name; times are ISO-8601 with offset or epoch ms.
  --url <url>   the Passage to manage (default http://127.0.0.1:$PORT)
  --key <key>   an admin key (default PASSAGE_ADMIN_KEY, else <data dir>/admin-key)`;

export interface AdminIo {
  /** Where answers go (default stdout). */
  write?: (text: string) => void;
  /** Where errors go (default stderr). */
  error?: (text: string) => void;
}

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; reason: string }[];
}

class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export async function adminCommand(argv: string[], config: Config, io: AdminIo = {}): Promise<number> {
  const write = io.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const error = io.error ?? ((text: string) => process.stderr.write(`${text}\n`));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      role: { type: 'string' },
      sources: { type: 'string' },
      owner: { type: 'string' },
      dataset: { type: 'string' },
      cells: { type: 'string' },
      area: { type: 'string' },
      zone: { type: 'string' },
      'min-resolution': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'key-id': { type: 'string' },
      limit: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [noun, verb, id] = positionals;
  if (values.help || noun === undefined) {
    write(USAGE);
    return values.help ? 0 : 2;
  }
  const fail = (field: string, reason: string): never => {
    throw badRequest('invalid_admin_option', `${field.startsWith('<') ? field : `--${field}`} ${reason}`, [{ field, reason }]);
  };
  const need = <T>(field: string, v: T | undefined): T => (v === undefined ? fail(field, 'is required') : v);
  const { baseUrl, apiKey } = passageTarget(values.url, values.key, config, 'invalid_admin_option');

  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new ApiError({ status: 0, code: 'unreachable', detail: `cannot reach ${baseUrl} (${cause}); is Passage running? (--url)` });
    }
    const text = await res.text();
    if (!res.ok) {
      let p: Problem = { status: res.status, code: 'http_error', detail: text };
      try {
        p = JSON.parse(text) as Problem;
      } catch {
        // not a problem document: keep the text
      }
      throw new ApiError(p);
    }
    return text === '' ? { ok: true } : JSON.parse(text);
  };
  const tenantId = async (t: string): Promise<string> => {
    if (/^[0-9a-f]{16}$/.test(t)) return t;
    const { data } = (await call('GET', '/v1/admin/tenants')) as { data: { id: string; name: string }[] };
    const hit = data.find((x) => x.name === t);
    return hit === undefined ? fail('tenant', `${t} is neither a tenant id nor a tenant name`) : hit.id;
  };
  const list = (v: string | undefined) =>
    v
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const time = (v: string | undefined) => (v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : v);
  const query = (q: Record<string, string | undefined>) => {
    const s = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return s === '' ? '' : `?${s}`;
  };

  try {
    let answer: unknown;
    const action = `${noun} ${verb ?? ''}`.trim();
    switch (action) {
      case 'tenants create':
        answer = await call('POST', '/v1/admin/tenants', { name: need('name', values.name) });
        break;
      case 'tenants list':
        answer = await call('GET', '/v1/admin/tenants');
        break;
      case 'tenants get':
        answer = await call('GET', `/v1/admin/tenants/${await tenantId(need('<tenant>', id))}`);
        break;
      case 'tenants delete':
        answer = await call('DELETE', `/v1/admin/tenants/${await tenantId(need('<tenant>', id))}`);
        break;
      case 'keys create': {
        const role = need('role', values.role);
        answer = await call('POST', '/v1/admin/keys', {
          role,
          ...(values.tenant !== undefined
            ? { tenantId: await tenantId(values.tenant) }
            : role === 'admin'
              ? {}
              : fail('tenant', 'is required')),
          ...(values.owner !== undefined ? { owner: values.owner } : {}),
          ...(values.sources !== undefined ? { sources: list(values.sources) } : {}),
        });
        break;
      }
      case 'keys list':
        answer = await call(
          'GET',
          `/v1/admin/keys${query({ tenantId: values.tenant === undefined ? undefined : await tenantId(values.tenant) })}`,
        );
        break;
      case 'keys get':
        answer = await call('GET', `/v1/admin/keys/${encodeURIComponent(need('<keyId>', id))}`);
        break;
      case 'keys delete':
        answer = await call('DELETE', `/v1/admin/keys/${encodeURIComponent(need('<keyId>', id))}`);
        break;
      case 'grants create': {
        const res = Number(need('min-resolution', values['min-resolution']));
        if (!Number.isInteger(res)) fail('min-resolution', 'must be an integer 7 to 10');
        let area: unknown;
        if (values.area !== undefined) {
          try {
            area = JSON.parse(readFileSync(values.area, 'utf8'));
          } catch (err) {
            fail('area', `cannot be read as GeoJSON: ${(err as Error).message}`);
          }
        }
        answer = await call('POST', '/v1/admin/grants', {
          tenantId: await tenantId(need('tenant', values.tenant)),
          dataset: need('dataset', values.dataset),
          ...(values.cells !== undefined ? { cells: list(values.cells) } : {}),
          ...(area !== undefined ? { area } : {}),
          ...(values.zone !== undefined ? { zone: values.zone } : {}),
          minResolution: res,
          ...(values.from !== undefined ? { from: time(values.from) } : {}),
          ...(values.to !== undefined ? { to: time(values.to) } : {}),
        });
        break;
      }
      case 'grants list':
        answer = await call(
          'GET',
          `/v1/admin/grants${query({ tenantId: values.tenant === undefined ? undefined : await tenantId(values.tenant), dataset: values.dataset })}`,
        );
        break;
      case 'grants get':
        answer = await call('GET', `/v1/admin/grants/${encodeURIComponent(need('<grantId>', id))}`);
        break;
      case 'grants delete':
        answer = await call('DELETE', `/v1/admin/grants/${encodeURIComponent(need('<grantId>', id))}`);
        break;
      case 'audit':
        answer = await call(
          'GET',
          `/v1/admin/audit${query({
            tenantId: values.tenant === undefined ? undefined : await tenantId(values.tenant),
            keyId: values['key-id'],
            limit: values.limit,
          })}`,
        );
        break;
      default:
        error(`unknown command "passage admin ${action}"\n${USAGE}`);
        return 2;
    }
    write(JSON.stringify(answer, null, 2));
    return 0;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const p = err.problem;
    error(`${p.status} ${p.code}: ${p.detail}${(p.errors ?? []).map((e) => `\n  ${e.field}: ${e.reason}`).join('')}`);
    return 1;
  }
}
