/**
 * `deno task server`: a throwaway local Prosody to try the library against,
 * the one the tests start (`tests/support/prosody.ts`): a test CA and a
 * `localhost` certificate signed by it, accounts `alice`, `bob` and `carol`
 * (password `pw`), STARTTLS, direct TLS, WebSocket and secure WebSocket on
 * loopback. It asks for the well-known ports (5222, 5223, 5280, 5281) and
 * takes free ones when any is in use, writes the CA to `./ca.pem` (or
 * `--ca <file>`), prints it all, and removes everything on Ctrl-C.
 *
 *     npx -y deno@2 task server [--ca <file>]
 *
 * @module
 */
import {
  hasProsody,
  type Prosody,
  startProsody,
} from "../tests/support/prosody.ts";

const WELL_KNOWN = { c2s: 5222, directTls: 5223, http: 5280, https: 5281 };

function free(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Start the server; resolves once it accepts connections.
 *
 * @param caFile Where to write the CA certificate (PEM).
 * @returns The running server.
 */
export async function serve(caFile: string): Promise<Prosody> {
  const ports = Object.values(WELL_KNOWN).every(free) ? WELL_KNOWN : undefined;
  const server = await startProsody({
    accounts: { alice: "pw", bob: "pw", carol: "pw" },
    ...(ports ? { ports } : {}),
  });
  await Deno.writeTextFile(caFile, server.caPem);
  return server;
}

if (import.meta.main) {
  if (!hasProsody()) {
    console.error(
      "deno task server needs Prosody, which is not installed (no `prosody` " +
        "on PATH).\nOn Debian or Ubuntu: sudo apt-get update && sudo " +
        "apt-get install -y prosody openssl\n(`bash .ci/run`, as root, " +
        "installs it with everything the tests need.)",
    );
    Deno.exit(1);
  }
  const i = Deno.args.indexOf("--ca");
  const caFile = i >= 0 && Deno.args[i + 1] ? Deno.args[i + 1] : "ca.pem";
  const server = await serve(caFile);
  console.log(`Prosody for localhost is running (data in ${server.dir})
  accounts:     alice@localhost, bob@localhost, carol@localhost (password "pw")
  STARTTLS:     xmpp://127.0.0.1:${server.c2sPort}
  direct TLS:   xmpps://localhost:${server.directTlsPort}
  WebSocket:    ${server.wsUrl}
  secure WS:    ${server.wssUrl}
  CA (trust it with tls: { caCerts: [pem] }): ${caFile}
Ctrl-C stops it and removes its files.`);
  const stop = async () => {
    await server.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
