import { generateSecret, hashIssuedSecret, hashPassword, verifySecret } from './secrets';

describe('issued secrets', () => {
  it('never start with "-" (a CSV cell would be neutralised, a command line would read an option), and are base64url of their bytes', () => {
    const secrets = Array.from({ length: 5000 }, () => generateSecret(24));
    expect(secrets.filter((s) => s.startsWith('-'))).toEqual([]);
    expect(secrets.every((s) => /^[A-Za-z0-9_][A-Za-z0-9_-]{31}$/.test(s))).toBe(true);
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('verify against their salted SHA-256 and nothing else', async () => {
    const secret = generateSecret(24);
    const hash = hashIssuedSecret(secret);
    expect(hash).toMatch(/^sha256\$[\w-]{22}\$[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    await expect(verifySecret(hash, secret)).resolves.toBe(true);
    await expect(verifySecret(hash, `${secret}x`)).resolves.toBe(false);
    await expect(verifySecret(hash, '')).resolves.toBe(false);
    // Two hashes of one secret differ (salted).
    expect(hashIssuedSecret(secret)).not.toBe(hash);
  });

  it('keep verifying argon2id hashes made before', async () => {
    const hash = await hashPassword('an-older-device-secret');
    await expect(verifySecret(hash, 'an-older-device-secret')).resolves.toBe(true);
    await expect(verifySecret(hash, 'another')).resolves.toBe(false);
  });
});
