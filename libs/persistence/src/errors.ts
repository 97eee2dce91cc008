/**
 * Is a database failure worth waiting out? Connection problems, resource exhaustion, an
 * operator's shutdown, serialisation failures and deadlocks pass (SQLSTATE classes 08, 53, 57P,
 * 40) and so does a failure without a SQLSTATE (a refused socket, a pool timeout); any other
 * SQLSTATE (22 data exception, 23 integrity violation, …) and a programming error are about the
 * records themselves and will fail the same way every time.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return false;
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57P|40)/.test(code);
  return true;
}
