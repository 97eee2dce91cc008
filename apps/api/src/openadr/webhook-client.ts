import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { WattlineConfig } from '@wattline/config';
import { CONFIG } from '@wattline/platform';

/** The definition's guideline for a VTN's webhook requests (Security, Webhooks: "between 10 and 30 seconds"). */
const TIMEOUT_MS = 10_000;
/** An echo answer is a few bytes; a notification's answer is read only to finish the exchange. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * Where a callback must not reach unless the operator allows it (OPENADR_WEBHOOK_PRIVATE_NETWORKS):
 * loopback, private, shared, link-local and unspecified addresses, IPv4 and IPv6 (OWASP SSRF).
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export class WebhookError extends Error {}

function isPrivate(address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? PRIVATE.check(mapped[1], 'ipv4') : PRIVATE.check(address, family);
}

/**
 * The VTN's HTTPS client for webhook callbacks, written to the definition's Security section:
 * HTTPS only, the echo challenge before a subscription is accepted, a timeout, no redirects
 * followed (node:https never follows one), and no request to a private address — checked on the
 * addresses the connection itself resolves (a `lookup` hook), so a name that resolves elsewhere
 * later (DNS rebinding) is refused at connect as well as at subscription.
 */
@Injectable()
export class WebhookClient {
  private readonly ca: string[] | undefined;
  private readonly allowPrivate: boolean;

  constructor(@Inject(CONFIG) config: WattlineConfig) {
    this.ca = config.OPENADR_WEBHOOK_CA ? [...rootCertificates, readFileSync(config.OPENADR_WEBHOOK_CA, 'utf8')] : undefined;
    this.allowPrivate = config.OPENADR_WEBHOOK_PRIVATE_NETWORKS;
  }

  /** Why a callback URL is refused before anything is sent to it, or null. */
  refusal(callbackUrl: string): string | null {
    let url: URL;
    try {
      url = new URL(callbackUrl);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'https:') return 'must be an https:// URL (the definition, Security: Webhooks)';
    if (url.username || url.password) return 'must not carry credentials: give a bearerToken instead';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !this.allowPrivate && isPrivate(host)) return `reaches a private address (${host})`;
    return null;
  }

  /** The definition's challenge: GET the callback with `echo`; it must answer 200 with the value in its body. */
  async verify(callbackUrl: string): Promise<void> {
    const echo = randomBytes(16).toString('hex');
    const url = new URL(callbackUrl);
    url.searchParams.set('echo', echo);
    const answer = await this.send('GET', url, null, null);
    if (answer.status !== 200) throw new WebhookError(`answered the echo challenge with ${answer.status}, not 200`);
    if (!answer.body.includes(echo)) throw new WebhookError('answered the echo challenge without the echo value in its body');
  }

  /** POSTs a notification; resolves with the status, rejects when no answer came (refused, timed out, TLS). */
  async post(callbackUrl: string, bearerToken: string | null, notification: unknown): Promise<number> {
    return (await this.send('POST', new URL(callbackUrl), bearerToken, JSON.stringify(notification))).status;
  }

  private send(method: 'GET' | 'POST', url: URL, bearer: string | null, body: string | null): Promise<{ status: number; body: string }> {
    const refusal = this.refusal(url.href);
    if (refusal) return Promise.reject(new WebhookError(`callback ${refusal}`));
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          lookup: this.lookup,
          timeout: TIMEOUT_MS,
          headers: {
            ...(body === null ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
            else res.destroy();
          });
          res.on('close', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new WebhookError(`no answer within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  }

  /** dns.lookup, refusing a private address unless allowed: the check is on what the socket connects to. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      const refused = this.allowPrivate ? undefined : addresses.find((a) => isPrivate(a.address));
      if (refused) return callback(new WebhookError(`callback ${hostname} resolves to a private address (${refused.address})`), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
