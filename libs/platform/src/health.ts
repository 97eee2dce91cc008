import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Metrics } from './metrics';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** How long one dependency may take to answer before it counts as down: /health answers within a second. */
export const CHECK_TIMEOUT_MS = 800;

/**
 * The dependencies a process needs, each with a check that answers quickly. Apps register
 * what they use (database, stream and its consumers, Redis); /health runs all of them at once
 * and names the ones that fail.
 */
export class HealthRegistry {
  private readonly checks = new Map<string, () => Promise<CheckResult>>();

  register(name: string, check: () => Promise<CheckResult>): void {
    this.checks.set(name, check);
  }

  async run(timeoutMs = CHECK_TIMEOUT_MS): Promise<{ ok: boolean; checks: Record<string, CheckResult> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<CheckResult>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
        });
        const result = await Promise.race([check().catch((error: Error) => ({ ok: false, detail: error.message })), timeout]);
        clearTimeout(timer);
        return [name, result] as const;
      }),
    );
    return { ok: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
  }
}

export const HEALTH = Symbol('HEALTH');

/** Readiness and metrics of one process, served by every app (the standalone broker and aggregator too). */
@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH) private readonly registry: HealthRegistry,
    private readonly metrics: Metrics,
  ) {}

  /** 200 when every dependency answers, 503 naming the ones that do not. */
  @Get('health')
  async health(@Res() res: Response) {
    const { ok, checks } = await this.registry.run();
    const failing = Object.entries(checks)
      .filter(([, r]) => !r.ok)
      .map(([name]) => name);
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      ...(failing.length > 0 ? { failing } : {}),
      checks: Object.fromEntries(
        Object.entries(checks).map(([name, r]) => [name, { status: r.ok ? 'up' : 'down', ...(r.detail ? { detail: r.detail } : {}) }]),
      ),
    });
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
