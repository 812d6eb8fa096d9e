// One error family for Passage: a stable snake_case `code`, a `retriable` flag, and optional field
// details. Library errors (kafkajs, registry, ClickHouse) are translated to it at the boundary.

export interface FieldError {
  /** JSON-pointer-like path of the offending field, e.g. `/records/3/start` or `from`. */
  field: string;
  /** Human-readable reason, e.g. `must be before end`. */
  reason: string;
}

export class PassageError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly status: number;
  readonly fields: FieldError[];

  constructor(code: string, message: string, opts: { retriable?: boolean; status?: number; fields?: FieldError[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PassageError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.status = opts.status ?? 500;
    this.fields = opts.fields ?? [];
  }
}

/** A bad request from a client: never retriable, always a 4xx. */
export function badRequest(code: string, message: string, fields: FieldError[] = [], status = 400): PassageError {
  return new PassageError(code, message, { status, fields });
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof PassageError) return err.retriable;
  if (typeof err === 'object' && err !== null && 'retriable' in err) return Boolean(err.retriable);
  return false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
