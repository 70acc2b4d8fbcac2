/**
 * Run one of the project's scripts in a child Deno, as a user would.
 *
 * @module
 */

/** What a finished script printed. */
export interface ScriptOutput {
  /** Exit code. */
  code: number;
  /** Standard output, decoded. */
  stdout: string;
  /** Standard error, decoded. */
  stderr: string;
}

/**
 * Run `path` (relative to the repository root) with `deno run --allow-all`.
 *
 * @param path The script, e.g. `examples/demo.ts`.
 * @param options Arguments and environment variables.
 * @returns Its exit code and output.
 */
export async function runScript(
  path: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ScriptOutput> {
  const script = new URL(`../../${path}`, import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, ...(options.args ?? [])],
    stdout: "piped",
    stderr: "piped",
    env: options.env,
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}
