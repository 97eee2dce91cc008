import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** The OpenADR 3.1.1 document the VTN implements (libs/contracts/openadr3/, copied unchanged), found from source or dist/. */
export function openAdrDocumentPath(start = __dirname): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'libs', 'contracts', 'openadr3', 'openadr3.yaml');
    if (existsSync(file)) return file;
  }
  throw new Error(`libs/contracts/openadr3/openadr3.yaml not found above ${start}`);
}

/** Its SHA-256: the OpenADR Alliance's 3.1.1 file as released (commit 179eae2 of grid-coordination/openadr3-specification). */
export const OPENADR_DOCUMENT_SHA256 = '0a85f28a91565b3e2c7488d2a7a7a9afb11ce3ef6b35afddb328484720077006';

type Json = Record<string, any>;
const DOCUMENT_ID = 'openadr3';

/**
 * The OpenADR 3.1.1 document's schemas, loaded from the YAML file and never copied: the VTN checks
 * what a client sends against them (`subscriptionRequest`, `reportRequest`, …) and the tests check
 * every answer and notification against them. The document is OpenAPI 3.0, whose schemas are JSON
 * Schema with `nullable` (which Ajv reads) and draft 4's boolean exclusive bounds (converted below).
 */
export class OpenAdrSchemas {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly document: Json;

  /** `adjust` may change a copy of the components before they are compiled (a named erratum, in tests only). */
  constructor(file = openAdrDocumentPath(), adjust?: (components: Json) => void) {
    this.document = parse(readFileSync(file, 'utf8')) as Json;
    const components = structuredClone(this.document.components) as Json;
    adjust?.(components);
    addFormats(this.ajv);
    // OpenAPI's numeric formats, not JSON Schema's: the type already says what they say here.
    for (const format of ['int32', 'int64', 'float', 'double']) this.ajv.addFormat(format, true);
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: draft7(components) });
  }

  /** What is wrong with a value against one of the document's schemas (e.g. `subscriptionRequest`): empty when nothing. */
  errorsOf(name: string, value: unknown): string[] {
    return this.errorsAgainst({ $ref: `#/components/schemas/${name}` }, value);
  }

  /** The same against a schema of the document written inline (a response's content schema). */
  errorsAgainst(schema: Json, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(draft7(JSON.parse(key.replaceAll('"#/components/', `"${DOCUMENT_ID}#/components/`))));
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`);
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
