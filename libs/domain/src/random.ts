/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): a small, fast, seeded stream of uniforms in
 * [0, 1). Pure code seeds it explicitly — the bootstrap's weights, a test's simulated panel, the
 * fuzzer — so the same seed repeats a result exactly. Not for secrets.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}
