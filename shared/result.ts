// The result union of processing steps (STYLE: steps return values, not exceptions): a step either
// yields its value, or says why the input goes to the dead-letter topic or is dropped.

export type Reason = string;

export type StepResult<T> = { kind: 'ok'; value: T } | { kind: 'dlq'; reason: Reason; error: string } | { kind: 'drop'; reason: Reason };

export const ok = <T>(value: T): StepResult<T> => ({ kind: 'ok', value });
export const dlq = (reason: Reason, error: string): StepResult<never> => ({ kind: 'dlq', reason, error });
export const drop = (reason: Reason): StepResult<never> => ({ kind: 'drop', reason });
