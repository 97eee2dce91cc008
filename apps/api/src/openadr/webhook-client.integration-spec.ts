import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@wattline/config';
import { testCertificateAuthority } from '@wattline/testing';
import { WebhookClient } from './webhook-client';
import { backoffMs } from './webhook-dispatcher.service';

/**
 * The VTN's webhook client against a real HTTPS server of the test's own (its certificate signed
 * by a test CA, on 127.0.0.1): the definition's echo challenge, no redirect followed, and no
 * request to a private address unless the operator allows it — checked on what the name resolves
 * to at connect, not only on the URL's text.
 */
describe('webhook client', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const seen: { method: string; url: string; authorization?: string; body: string }[] = [];
  let ca: ReturnType<typeof testCertificateAuthority>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wattline-webhook-'));
    ca = testCertificateAuthority(dir).sign('server', 'localhost', { server: true });
    server = createServer({ cert: ca.file('server.crt'), key: ca.file('server.key') }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        const url = new URL(req.url!, 'https://x');
        if (url.pathname === '/moved') return res.writeHead(302, { location: '/ok' }).end();
        if (url.pathname === '/wrong-echo') return res.writeHead(200).end('something else');
        res.writeHead(200).end(url.searchParams.get('echo') ?? 'ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (env: Record<string, string>) => new WebhookClient(loadConfig({ OPENADR_WEBHOOK_CA: path.join(dir, 'ca.crt'), ...env }));

  it('refuses what is not https, carries credentials, or names a private address', () => {
    const strict = client({});
    expect(strict.refusal('http://ven.example/cb')).toMatch(/https/);
    expect(strict.refusal('https://user:pw@ven.example/cb')).toMatch(/credentials/);
    expect(strict.refusal('https://127.0.0.1/cb')).toMatch(/private address \(127\.0\.0\.1\)/);
    expect(strict.refusal('https://[::1]/cb')).toMatch(/private address/);
    expect(strict.refusal('https://[::ffff:10.1.2.3]/cb')).toMatch(/private address/);
    expect(strict.refusal('https://ven.example/cb')).toBeNull();
    expect(client({ OPENADR_WEBHOOK_PRIVATE_NETWORKS: 'true' }).refusal('https://127.0.0.1/cb')).toBeNull();
  });

  it('refuses a name that resolves to a private address at connect, and sends nothing', async () => {
    const before = seen.length;
    await expect(client({}).verify(`https://localhost:${port}/cb`)).rejects.toThrow(/localhost resolves to a private address/);
    expect(seen.length).toBe(before);
  });

  it('passes the echo challenge only when the value comes back, and follows no redirect', async () => {
    const allowed = client({ OPENADR_WEBHOOK_PRIVATE_NETWORKS: 'true' });
    await expect(allowed.verify(`https://localhost:${port}/cb`)).resolves.toBeUndefined();
    const challenge = seen.at(-1)!;
    expect(challenge.method).toBe('GET');
    expect(new URL(challenge.url, 'https://x').searchParams.get('echo')).toMatch(/^[0-9a-f]{32}$/);
    await expect(allowed.verify(`https://localhost:${port}/wrong-echo`)).rejects.toThrow(/without the echo value/);
    const before = seen.length;
    await expect(allowed.verify(`https://localhost:${port}/moved`)).rejects.toThrow(/302, not 200/);
    expect(seen.slice(before).map((s) => new URL(s.url, 'https://x').pathname)).toEqual(['/moved']);
  });

  it('posts a notification as JSON with the bearer token the subscription gave', async () => {
    const status = await client({ OPENADR_WEBHOOK_PRIVATE_NETWORKS: 'true' }).post(`https://localhost:${port}/cb`, 'ven-token', {
      objectType: 'EVENT',
    });
    expect(status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ method: 'POST', authorization: 'Bearer ven-token', body: '{"objectType":"EVENT"}' });
  });

  it('does not trust a server its CA bundle does not sign', async () => {
    const withoutCa = new WebhookClient(loadConfig({ OPENADR_WEBHOOK_PRIVATE_NETWORKS: 'true' }));
    await expect(withoutCa.post(`https://localhost:${port}/cb`, null, {})).rejects.toThrow(/certificate/);
  });
});

describe('webhook back-off', () => {
  it('doubles from a second to at most five minutes, within ±20 %', () => {
    expect([0, 1, 2, 3].map((n) => backoffMs(n, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(20, () => 0.5)).toBe(300_000);
    expect(backoffMs(0, () => 0)).toBe(800);
    expect(backoffMs(0, () => 1)).toBe(1200);
  });
});
