/**
 * Shared settings of the property-based tests: a fixed seed and bounded runs
 * by default (fast and reproducible in CI), more with environment variables:
 *
 *     XMPP_ACTORS_PROPERTY_RUNS=100000 XMPP_ACTORS_PROPERTY_SEED=7 \
 *       deno test --allow-all tests/property_test.ts
 *
 * @module
 */

/** The default seed. */
export const DEFAULT_SEED = 20240611;
/** Runs per pure property in the default run. */
export const DEFAULT_RUNS = 500;
/** Runs per property whose run is a command sequence against actors. */
export const DEFAULT_SEQUENCE_RUNS = 100;

function envInt(name: string): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: the defaults
  }
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new TypeError(`${name} must be an integer`);
  }
  return n;
}

const RUNS = envInt("XMPP_ACTORS_PROPERTY_RUNS");
/** The seed in force. */
export const SEED: number = envInt("XMPP_ACTORS_PROPERTY_SEED") ?? DEFAULT_SEED;

/** fast-check parameters of a pure property. */
export const pure: { seed: number; numRuns: number } = {
  seed: SEED,
  numRuns: RUNS ?? DEFAULT_RUNS,
};

/** fast-check parameters of a command-sequence property (a hundredth of the runs, at least the default). */
export const sequences: { seed: number; numRuns: number } = {
  seed: SEED,
  numRuns: RUNS === undefined
    ? DEFAULT_SEQUENCE_RUNS
    : Math.max(DEFAULT_SEQUENCE_RUNS, Math.ceil(RUNS / 100)),
};
