// deno-lint-ignore-file no-import-prefix
/**
 * Installs the full SASLprep (`@mongodb-js/saslprep`, the Unicode 3.2
 * tables of RFC 3454) for Deno: `mod.ts` and the Deno transports import this
 * module for its effect. It stays out of the browser entry, which uses the
 * built-in subset (see `src/saslprep.ts`). Its npm import is outside
 * `src/deps.ts` (browser-safe) and `src/deps_deno.ts` (loaded lazily, for
 * the Redis client) because it is neither: Deno-only, and needed at once.
 *
 * @module
 */
import { saslprep } from "npm:@mongodb-js/saslprep@^1.3.0";
import { useSaslPrep } from "./saslprep.ts";

useSaslPrep((text) => saslprep(text, { allowUnassigned: true }));
