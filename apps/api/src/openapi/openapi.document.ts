import { z } from 'zod';
import { problemSchema, responses } from '../dtos/responses';
import { ROUTES, type RouteAnswer, type RouteSpec } from '../routes/route-table';
import { successStatus } from '../routes/route.decorator';

/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table (routes/route-table.ts)
 * that the controllers' decorators are applied from: paths, methods, roles and statuses as the
 * API serves them; request bodies and query parameters from the zod schemas the validation pipe
 * enforces; responses from the schemas the views are typed by (dtos/responses.ts). The
 * document cannot drift from what is routed, accepted or answered.
 */
const COMPONENTS = '#/components/schemas/';
type Json = Record<string, unknown>;

/** JSON Schema without the keywords a component or a parameter does not carry. */
function bare(schema: Json): Json {
  const { $schema: _s, $id: _i, id: _id, ...rest } = schema;
  return rest;
}

/**
 * zod writes its ISO-8601 check as a 400-character `pattern` beside `format: date-time`; the
 * format says the same (RFC 3339, offset required) to readers and validators alike.
 */
const JSON_SCHEMA = {
  unrepresentable: 'any',
  override: (ctx: { jsonSchema: Json }) => {
    if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
  },
} as const;

/** Every registered response schema as a component, referring to each other by `$ref`. */
function components(): Record<string, Json> {
  const { schemas } = z.toJSONSchema(responses, { ...JSON_SCHEMA, io: 'output', uri: (id) => `${COMPONENTS}${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, bare(schema as Json)]));
}

/** A `$ref` to a registered response schema (refused at start-up when it is not registered). */
function ref(schema: z.ZodType): Json {
  const id = responses.get(schema)?.id;
  if (!id) throw new Error('openapi: a response schema is not registered in dtos/responses.ts');
  return { $ref: `${COMPONENTS}${id}` };
}

const requestBody = (schema: z.ZodType, more: Json = {}) => ({
  required: true,
  content: { 'application/json': { schema: bare(z.toJSONSchema(schema, { ...JSON_SCHEMA, io: 'input' }) as Json) }, ...more },
});

/** A query schema's fields as OpenAPI query parameters. */
function query(schema: z.ZodType): Json[] {
  const json = z.toJSONSchema(schema, { ...JSON_SCHEMA, io: 'input' }) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: json.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) };
  });
}

const problem = { description: 'RFC 9457 problem', content: { 'application/problem+json': { schema: ref(problemSchema) } } };

function answer(a: RouteAnswer): Json {
  switch (a.kind) {
    case 'json':
      return { description: a.description ?? 'OK', content: { 'application/json': { schema: ref(a.schema) } } };
    case 'page':
      return {
        description: 'a page; `Accept: text/csv` for CSV, the next page in `nextCursor` and the `Link` header',
        content: { 'application/json': { schema: ref(a.schema) }, 'text/csv': { schema: { type: 'string' } } },
      };
    case 'json-or-csv':
      return {
        description: a.description,
        content: { 'application/json': { schema: ref(a.schema) }, 'text/csv': { schema: { type: 'string' } } },
      };
    case 'other':
      return { description: a.description, ...(a.content ? { content: a.content } : {}) };
  }
}

function operation(spec: RouteSpec): Json {
  const pathParams = [...spec.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: spec.pathSchemas?.[name] ?? { type: 'string' },
  }));
  const parameters = [...pathParams, ...(spec.query ? query(spec.query) : [])];
  const more =
    spec.answer.kind === 'other'
      ? Object.fromEntries(Object.entries(spec.answer.more ?? {}).map(([status, description]) => [status, { description }]))
      : {};
  const op: Json = {
    summary: spec.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.body ? { requestBody: requestBody(spec.body, spec.csvBody ? { 'text/csv': { schema: { type: 'string' } } } : {}) } : {}),
    responses: {
      [successStatus(spec)]: answer(spec.answer),
      ...more,
      ...Object.fromEntries((spec.problems ?? []).map((status) => [status, problem])),
    },
  };
  if (spec.role === null) {
    if (spec.answer.kind === 'other') return { ...op, ...(spec.description ? { description: spec.description } : {}) };
    return {
      ...op,
      ...(spec.description ? { description: spec.description } : {}),
      responses: { ...(op.responses as Json), 400: problem, 404: problem, default: problem },
    };
  }
  return {
    ...op,
    security: [{ apiKey: [] }],
    // The role the route requires (an analyst key reads, an admin key also changes): tools and the API-surface test read it.
    'x-wattline-role': spec.role,
    description: `${spec.description ?? ''} Role: ${spec.role}.`.trim(),
    responses: { ...(op.responses as Json), 400: problem, 401: problem, 403: problem, 404: problem, default: problem },
  };
}

/** Every route of the table under its path and method. */
function paths(): Record<string, Json> {
  const byPath: Record<string, Json> = {};
  for (const spec of Object.values(ROUTES) as RouteSpec[])
    byPath[spec.path] = { ...byPath[spec.path], [spec.method.toLowerCase()]: operation(spec) };
  return byPath;
}

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wattline API',
      version: '1',
      description:
        'Dynamic energy pricing fed by smart-meter data. Readings arrive over MQTT; this API provisions regions and devices and serves readings, interval aggregates, tariffs and bills.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <apiKey>' } },
      schemas: components(),
    },
    paths: paths(),
  };
}
