import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

/**
 * argon2id (memory-hard; OWASP's minimum parameters: 19 MiB, 2 passes) for secrets a person
 * may have chosen, and for device hashes made before issued secrets got their own scheme
 * (`hashIssuedSecret`). API keys are 256-bit random tokens, so a fast SHA-256 lookup hash
 * is enough for them (no dictionary to guess from).
 */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * A random secret, base64url. Never one starting with `-`: a CSV cell starting so is neutralised
 * against formula injection with a leading `'` (the bulk provisioning's credentials file would then
 * carry a wrong password — seen once in 64 such files, the odds of a leading `-`), and a
 * command line reads it as an option (`mosquitto_pub -P -x…`). Drawn again instead: 6 bits of
 * the first character's 6 lose under 0.03 bits of entropy.
 */
export function generateSecret(bytes = 24): string {
  for (;;) {
    const secret = randomBytes(bytes).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/**
 * Secrets the platform issues (device, display and service credentials) are 192-bit random
 * tokens, shown once. A memory-hard hash exists to slow the guessing of secrets people choose;
 * nobody can guess 2^192, so an issued secret is stored as a salted SHA-256 and checked in
 * microseconds — a district reconnecting after a credential-cache loss costs no 30 ms of CPU
 * per device (a million meters: nine hours of one core with argon2id). A stolen hash table
 * still yields no secret. argon2id stays for hashes made before, and for any secret a person
 * chooses.
 */
export function hashIssuedSecret(secret: string): string {
  const salt = randomBytes(16).toString('base64url');
  return `sha256$${salt}$${sha256(`${salt}\u0000${secret}`)}`;
}

/** Checks a secret against its stored hash, whichever of the two kinds it is. */
export async function verifySecret(hash: string, secret: string): Promise<boolean> {
  if (hash.startsWith('sha256$')) {
    const [, salt, digest] = hash.split('$');
    return safeEqual(digest, sha256(`${salt}\u0000${secret}`));
  }
  return verifyPassword(hash, secret);
}

export function sha256(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
