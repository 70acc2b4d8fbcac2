// deno-lint-ignore-file no-import-prefix
/**
 * Installs the full SASLprep (`@mongodb-js/saslprep`, the Unicode 3.2
 * tables of RFC 3454) for Deno: `mod.ts` and the Deno transports import this
 * module for its effect. It stays out of the browser entry, which uses the
 * built-in subset (see `src/saslprep.ts`). Its import is the one npm import
 * outside `src/deps.ts`, for that reason.
 *
 * @module
 */
import { saslprep } from "npm:@mongodb-js/saslprep@^1.3.0";
import { useSaslPrep } from "./saslprep.ts";

useSaslPrep((text) => saslprep(text, { allowUnassigned: true }));
