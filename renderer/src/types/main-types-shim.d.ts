/**
 * preload/contract.ts names vSphere inventory types, and the modules that declare them also parse
 * SOAP answers with Node's Buffer. The renderer only type-checks that code (it never bundles or
 * runs it), so it gets this much of Buffer instead of all of @types/node, which would let renderer
 * code use Node globals unnoticed.
 */
declare global {
  interface Buffer extends Uint8Array {
    toString(encoding?: string): string;
  }
  const Buffer: { byteLength(text: string): number };
}

export {};
