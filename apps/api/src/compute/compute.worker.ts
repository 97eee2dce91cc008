import { DomainError } from '@wattline/domain';
import { COMPUTE_TASKS, type ComputeTaskName } from './compute.tasks';

/**
 * The worker thread's entry (piscina loads it by file name). An error crossing the thread
 * boundary keeps only its message, so a domain refusal travels as data and is thrown again,
 * as itself, on the calling side (ComputePool).
 */
export default function run({ name, input }: { name: ComputeTaskName; input: unknown }): unknown {
  try {
    return { ok: true, value: (COMPUTE_TASKS[name] as (input: unknown) => unknown)(input) };
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, code: error.code, message: error.message, details: error.details };
    throw error;
  }
}
