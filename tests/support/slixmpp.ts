/**
 * Running slixmpp 1.8.3 (Debian `python3-slixmpp`, for `/usr/bin/python3`)
 * from tests.
 *
 * @module
 */

/** The Python that has Debian's slixmpp. */
export const PYTHON = "/usr/bin/python3";

/** Whether slixmpp can be imported by {@linkcode PYTHON}. */
export function hasSlixmpp(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import slixmpp"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Run a Python script with arguments; resolve with its stdout, reject with
 * its stderr when it fails.
 *
 * @param script Path of the script.
 * @param args Its arguments.
 * @returns What it printed.
 */
export async function runPython(
  script: string,
  args: string[],
): Promise<string> {
  const out = await new Deno.Command(PYTHON, {
    args: [script, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${script} failed: ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout);
}
