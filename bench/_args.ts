/**
 * Command-line flags of the bench scripts: `--name value`.
 *
 * @module
 */

/**
 * The value after `--<name>` on the command line, or `fallback`.
 * @param name The flag, without its dashes.
 * @param fallback What a missing flag (or one with no value) means.
 * @returns The value, as text.
 */
export function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}
