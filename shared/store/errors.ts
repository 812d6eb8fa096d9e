// Translates ClickHouse errors (from chDB or the HTTP client) into PassageError, deciding which are
// worth retrying: transient server/network conditions yes, bad SQL or bad data never.

import { PassageError, errorMessage } from '../errors.js';

// ClickHouse error codes that describe a transient condition (see ClickHouse's ErrorCodes.cpp).
const RETRIABLE_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  252, // TOO_MANY_PARTS
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function clickhouseErrorCode(err: unknown): number | null {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const n = Number(err.code);
    if (Number.isInteger(n)) return n;
  }
  const m = /Code: (\d+)\./.exec(errorMessage(err));
  return m ? Number(m[1]) : null;
}

export function translateStoreError(err: unknown, what: string): PassageError {
  if (err instanceof PassageError) return err;
  const code = clickhouseErrorCode(err);
  const sysCode = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const retriable =
    (code !== null && RETRIABLE_CODES.has(code)) || NETWORK_CODES.has(sysCode) || /timeout|socket hang up/i.test(errorMessage(err));
  return new PassageError(retriable ? 'store_unavailable' : 'store_error', `${what}: ${errorMessage(err)}`, {
    retriable,
    status: retriable ? 503 : 500,
    cause: err,
  });
}
