/**
 * Domain errors carry a string code and no transport status; the API edge maps codes to
 * RFC 9457 problems and the broker maps them to `meters/{id}/errors` payloads.
 */
export type DomainErrorCode =
  | 'invalid_json'
  | 'invalid_payload'
  | 'batch_too_large'
  | 'invalid_timestamp'
  | 'timestamp_in_future'
  | 'invalid_period'
  | 'invalid_energy'
  | 'missing_energy'
  | 'invalid_seq'
  | 'duplicate_conflict'
  | 'invalid_status'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
