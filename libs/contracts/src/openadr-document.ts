import { existsSync } from 'node:fs';
import path from 'node:path';

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
