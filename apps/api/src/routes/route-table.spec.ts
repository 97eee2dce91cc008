import { readFileSync } from 'node:fs';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { parse } from 'yaml';
import { openAdrDocumentPath } from '@wattline/contracts';
import { RequestMethod } from '@nestjs/common';
import { ApiModule } from '../api.module';
import { ROLE_KEY } from '../auth/api-key.guard';
import { ROUTE_KEY, nestPath, successStatus } from './route.decorator';
import { ROUTES, type RouteSpec } from './route-table';

/** HTML pages and their assets: served by the API app, but not operations of the REST API (not in /openapi.json). */
const PAGES = ['display/:regionId', 'dashboard', 'assets/:name', 'docs', 'docs/assets/:file'];

/** Every handler of the API's controllers: its method, path, role, status and route entry as Nest will see them. */
function handlers() {
  const controllers = Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, ApiModule) as (new (...args: never[]) => object)[];
  return controllers.flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
    return Object.getOwnPropertyNames(controller.prototype)
      .filter((name) => name !== 'constructor')
      .map((name) => (controller.prototype as Record<string, unknown>)[name])
      .filter((fn): fn is (...args: unknown[]) => unknown => typeof fn === 'function' && Reflect.hasMetadata(PATH_METADATA, fn))
      .map((fn) => ({
        where: `${controller.name}.${fn.name}`,
        prefix,
        path: String(Reflect.getMetadata(PATH_METADATA, fn)),
        method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as number],
        role: Reflect.getMetadata(ROLE_KEY, fn) as string | undefined,
        status: Reflect.getMetadata('__httpCode__', fn) as number | undefined,
        route: Reflect.getMetadata(ROUTE_KEY, fn) as RouteSpec | undefined,
      }));
  });
}

/** The OpenADR VTN's controller: its operations are the OpenADR document's (libs/contracts/openadr3), not this table's. */
const VTN_PREFIX = 'openadr/3';

describe('the route table', () => {
  const served = handlers().filter((h) => h.prefix !== VTN_PREFIX);
  const entries = Object.entries(ROUTES) as [string, RouteSpec][];

  it('is served: every entry by exactly one controller method, with its method, path, role and status', () => {
    for (const [name, spec] of entries.filter(([, s]) => !s.platform)) {
      const by = served.filter((h) => h.route === spec);
      expect([name, by.map((h) => h.where).length]).toEqual([name, 1]);
      const [h] = by;
      expect([name, h.prefix, h.method, h.path, h.role ?? null, h.status]).toEqual([
        name,
        '/',
        spec.method,
        nestPath(spec),
        spec.role,
        successStatus(spec),
      ]);
    }
  });

  it('is the only source of API routes: every routed handler but the pages has an entry, controllers have no path of their own', () => {
    const unrouted = served.filter((h) => !h.route).map((h) => h.path);
    expect(unrouted.sort()).toEqual([...PAGES].sort());
    expect(new Set(served.map((h) => h.prefix))).toEqual(new Set(['/']));
  });

  it('names each path and method once, and documents the platform routes every app serves', () => {
    const keys = entries.map(([, s]) => `${s.method} ${s.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(entries.filter(([, s]) => s.platform).map(([, s]) => s.path)).toEqual(['/health', '/metrics']);
  });
});

describe('the VTN', () => {
  it('serves only operations of the OpenADR document it implements, and the document itself', () => {
    const document = parse(readFileSync(openAdrDocumentPath(), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const vtn = handlers().filter((h) => h.prefix === VTN_PREFIX);
    expect(vtn.length).toBeGreaterThanOrEqual(10);
    // A handler may serve several paths (Nest's array form: the topic endpoints Wattline does not publish on).
    const operations = vtn.flatMap((h) =>
      String(h.path)
        .split(',')
        .map((p) => `${h.method.toLowerCase()} /${p.replace(/:(\w+)/g, '{$1}')}`),
    );
    expect(operations.filter((op) => op !== 'get /openapi.yaml' && !document.paths[op.split(' ')[1]]?.[op.split(' ')[0]])).toEqual([]);
    // Every operation of the document is served but business logic's writes of programs and events (README, "OpenADR 3.1").
    const documented = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'delete'].includes(m))
        .map((m) => `${m} ${path}`),
    );
    expect(documented.filter((op) => !operations.includes(op)).sort()).toEqual(
      [
        'post /programs',
        'put /programs/{programID}',
        'delete /programs/{programID}',
        'post /events',
        'put /events/{eventID}',
        'delete /events/{eventID}',
      ].sort(),
    );
  });
});
