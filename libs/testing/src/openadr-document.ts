import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

type Json = Record<string, any>;
const DOCUMENT_ID = 'openadr3';

/**
 * Answers of the VTN and its notifications checked against the OpenADR 3.1.1 document itself
 * (an OpenAPI 3.0 document: its schemas are JSON Schema with `nullable`, which Ajv reads), loaded
 * from the YAML file, never copied: the route and status must be documented, the media type must
 * be the documented one, and the body must match the documented schema.
 */
export class OpenAdrDocument {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly document: Json;
  private readonly routes: { template: string; pattern: RegExp; params: number; operations: Json }[];

  constructor(file: string) {
    this.document = parse(readFileSync(file, 'utf8')) as Json;
    addFormats(this.ajv);
    // OpenAPI's numeric formats, not JSON Schema's: the type already says what they say here.
    for (const format of ['int32', 'int64', 'float', 'double']) this.ajv.addFormat(format, true);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: draft7(this.document.components) });
    this.routes = Object.entries(this.document.paths as Json)
      .map(([template, operations]) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
        operations: operations as Json,
      }))
      .sort((a, b) => a.params - b.params);
  }

  /** Throws, naming what differs, when an answer is not what the document says. `path` is below the VTN's base path. */
  checkResponse(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
    const what = `${method} ${path} → ${status}`;
    const route = this.routes.find((r) => r.pattern.test(path));
    if (!route) throw new Error(`${what}: not a path of the OpenADR document`);
    const operation = route.operations[method.toLowerCase()];
    if (!operation) throw new Error(`${what}: ${method} is not an operation of ${route.template}`);
    let response = operation.responses?.[String(status)];
    if (!response) throw new Error(`${what}: status ${status} is not documented for ${method} ${route.template}`);
    if (response.$ref) response = this.resolve(response.$ref);
    const mediaType = (contentType ?? '').split(';')[0].trim();
    const content = response.content?.[mediaType];
    if (!content)
      throw new Error(`${what}: answered ${mediaType || 'no content type'}, documented ${Object.keys(response.content ?? {}).join(', ')}`);
    this.check(`${what} (${route.template})`, content.schema, body);
  }

  /** Checks a value against one of the document's schemas (e.g. `notification`). */
  checkSchema(name: string, value: unknown): void {
    this.check(`#/components/schemas/${name}`, { $ref: `#/components/schemas/${name}` }, value);
  }

  private check(what: string, schema: Json, value: unknown): void {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(draft7(JSON.parse(key.replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`))));
      this.compiled.set(key, validate);
    }
    if (!validate(value)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`);
      throw new Error(`${what}: does not match the OpenADR document: ${errors.join('; ')}`);
    }
  }

  private resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node: Json, key) => node[key], this.document);
  }
}

/**
 * OpenAPI 3.0's schema dialect where it differs from the JSON Schema Ajv reads: a boolean
 * `exclusiveMaximum`/`exclusiveMinimum` qualifies `maximum`/`minimum` (draft 4); from draft 6 on
 * it is the bound itself. Everything else is read as written.
 */
function draft7(node: unknown): any {
  if (Array.isArray(node)) return node.map(draft7);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, draft7(v)]));
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else delete out[flag];
  }
  return out;
}
