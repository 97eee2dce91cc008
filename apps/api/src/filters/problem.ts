import type { DomainErrorCode } from '@wattline/domain';
import type { ProblemResponse } from '../dtos/responses';

/** RFC 9457 problem details (the schema is the OpenAPI document's `Problem`). */
export type Problem = ProblemResponse;

export const STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  invalid_json: 400,
  invalid_payload: 400,
  batch_too_large: 400,
  invalid_timestamp: 400,
  timestamp_in_future: 400,
  invalid_period: 400,
  invalid_energy: 400,
  missing_energy: 400,
  invalid_seq: 400,
  invalid_status: 400,
  duplicate_conflict: 409,
  validation_failed: 400,
  unauthorized: 401,
  unsupported_media_type: 415,
  payload_too_large: 413,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
};

export const problemType = (code: string) => `https://wattline.dev/problems/${code.replace(/_/g, '-')}`;
