import { generateSecret, hashIssuedSecret, hashPassword, verifySecret } from './secrets';

describe('issued secrets', () => {
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
