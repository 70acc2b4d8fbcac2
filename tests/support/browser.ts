// deno-lint-ignore-file no-import-prefix
/**
 * Headless Chromium for browser tests: Debian's `chromium` driven by
 * `npm:playwright-core` (Playwright cannot download a browser here).
 *
 * ```ts ignore
 * import { hasChromium, launchChromium } from "./browser.ts";
 * import { requireServers } from "./prosody.ts";
 *
 * Deno.test({
 *   name: "in a browser",
 *   ignore: !hasChromium() && !requireServers(),
 *   async fn() {
 *     const browser = await launchChromium();
 *     try {
 *       const page = await browser.newPage();
 *       // …
 *     } finally {
 *       await browser.close();
 *     }
 *   },
 * });
 * ```
 *
 * @module
 */
import { type Browser, chromium } from "npm:playwright-core@^1.50.0";
export type { Browser, Page } from "npm:playwright-core@^1.50.0";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium is installed. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/**
 * Launch headless Chromium with the flags this machine needs. Throws a
 * clear error when it is missing (tests that must not skip get it).
 */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium()) {
    throw new Error(
      `chromium is not installed (no ${CHROMIUM}): install the Debian ` +
        "package `chromium`, or unset XMPP_ACTORS_REQUIRE_SERVERS to skip " +
        "browser tests",
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A directory for test artifacts (screenshots, recordings), kept after the
 * run: `$XMPP_ACTORS_ARTIFACTS` if set, else a new temporary directory.
 */
export async function artifactDir(): Promise<string> {
  const dir = Deno.env.get("XMPP_ACTORS_ARTIFACTS");
  if (!dir) return await Deno.makeTempDir({ prefix: "xmpp-actors-artifacts-" });
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}
