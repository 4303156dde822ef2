// Signature lists as GET /documents/{id}/signatures answers them, for the signature tests.
import type { DocSignature } from '../src/types';

export function sig(field: string, extra: Partial<DocSignature> = {}): DocSignature {
  return {
    field,
    signer: { common_name: `Người ký ${field}`, serial: '0a1b', issuer: 'CA thử' },
    signed_at: '2026-12-08T07:05:00Z',
    sub_filter: 'ETSI.CAdES.detached',
    valid: true,
    trusted: true,
    covers_whole_document: true,
    modified_after: false,
    ...extra,
  };
}

/** A record signed in order: every signature but the last has a later revision after it. */
export function signedInOrder(...fields: string[]): DocSignature[] {
  return fields.map((f, i) => sig(f, { modified_after: i < fields.length - 1, covers_whole_document: i === fields.length - 1 }));
}
