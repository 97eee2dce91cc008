import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A certificate authority of a test's own, made with openssl in `dir` (valid two days): it signs
 * server certificates (for 127.0.0.1 and localhost) and client certificates by CN, and makes
 * self-signed ones it did not sign.
 */
export function testCertificateAuthority(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const days = ['-days', '2'];
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Wattline test CA', ...days);
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const ca = {
    /** `{name}.key` and `{name}.crt` signed by the CA; a server's carries 127.0.0.1 and localhost. */
    sign(name: string, cn: string, options: { server?: boolean } = {}) {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      run(
        ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`],
        ...days,
        ...(options.server ? ['-extfile', 'server.ext'] : []),
      );
      return ca;
    },
    /** `{name}.key` and `{name}.crt`, self-signed: not the CA's. */
    selfSigned(name: string, cn: string) {
      run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${cn}`, ...days);
      return ca;
    },
    file: (name: string) => readFileSync(path.join(dir, name)),
    path: (name: string) => path.join(dir, name),
  };
  return ca;
}
