/**
 * A throwaway Prosody server for integration tests.
 *
 * Each call to {@linkcode startProsody} creates a temporary directory with its
 * own configuration, data, log and TLS certificates (a test CA and a leaf for
 * `localhost` signed by it), registers the accounts, starts `prosody` in the
 * foreground on free loopback ports and resolves once it accepts connections.
 *
 * Test files guard on the server being installed, but fail instead of skipping
 * when CI demands the servers (`XMPP_ACTORS_REQUIRE_SERVERS=1`):
 *
 * ```ts
 * import { hasProsody, requireServers, startProsody } from "./prosody.ts";
 *
 * Deno.test({
 *   name: "connects",
 *   ignore: !hasProsody() && !requireServers(),
 *   async fn() {
 *     const server = await startProsody();
 *     try {
 *       // dial 127.0.0.1:server.c2sPort as alice@localhost / "pw"
 *     } finally {
 *       await server.stop();
 *     }
 *   },
 * });
 * ```
 *
 * @module
 */

/** Options of {@linkcode startProsody}. */
export interface ProsodyOptions {
  /**
   * Accounts to create on the `localhost` domain, user name to password.
   * Defaults to alice, bob and carol, each with the password `"pw"`.
   */
  accounts?: Record<string, string>;
  /**
   * Whether the server demands TLS (STARTTLS or direct TLS) before
   * authentication. Defaults to `false`: plain PLAIN auth is allowed.
   */
  requireEncryption?: boolean;
  /**
   * Whether the plain c2s port offers STARTTLS. `false` makes a server
   * that leaves `<starttls/>` out of its features (and allows PLAIN in
   * clear): what a downgrading attacker shows a client. Direct TLS and
   * HTTPS are served either way.
   * @default {true}
   */
  starttls?: boolean;
  /**
   * Also serve {@linkcode TEST_DOMAIN} (`xmpp-actors.test`) as a second
   * virtual host with the same accounts, for tests that need a domain DNS
   * resolvers do not treat specially (`localhost` names never reach a
   * configured name server). The certificate covers it.
   */
  testDomain?: boolean;
  /**
   * Ports to listen on instead of free ones (`deno task server` asks for the
   * well-known 5222, 5223, 5280 and 5281). One that is taken fails the start.
   */
  ports?: Partial<ProsodyPorts>;
  /**
   * Turn Nagle off on the server's sockets (Prosody 0.12's
   * `network_settings = { nagle = false }`: `TCP_NODELAY` on every
   * connection). Prosody's default leaves Nagle on; a stanza that does not
   * end on a full segment then waits for the ACK of the one before, which
   * the client's kernel delays up to ~40 ms: measured here, a 60 KiB BoB
   * fetch ran at ~30/s for every client (bare sockets included) with the
   * default and ~200/s with this. The benchmarks measure both.
   * @default {false}
   */
  noDelay?: boolean;
}

/** The loopback ports a {@linkcode Prosody} listens on. */
export interface ProsodyPorts {
  /** Client-to-server, STARTTLS. */
  c2s: number;
  /** Client-to-server, direct TLS (XEP-0368). */
  directTls: number;
  /** HTTP (WebSocket at `/xmpp-websocket`). */
  http: number;
  /** HTTPS (secure WebSocket). */
  https: number;
}

/** The second virtual host of {@linkcode ProsodyOptions.testDomain}. */
export const TEST_DOMAIN = "xmpp-actors.test";

/** A running throwaway Prosody, as returned by {@linkcode startProsody}. */
export interface Prosody {
  /** The one virtual host, also the TLS server name. */
  domain: "localhost";
  /** Client-to-server port (plain TCP, STARTTLS offered) on 127.0.0.1. */
  c2sPort: number;
  /** Direct TLS (XEP-0368) client port on 127.0.0.1; dial it as `localhost`. */
  directTlsPort: number;
  /** HTTP port on 127.0.0.1 (WebSocket and BOSH). */
  httpPort: number;
  /** WebSocket endpoint: `ws://127.0.0.1:<httpPort>/xmpp-websocket`. */
  wsUrl: string;
  /** HTTPS port on 127.0.0.1 (certificate for `localhost` by the test CA). */
  httpsPort: number;
  /** Secure WebSocket endpoint: `wss://localhost:<httpsPort>/xmpp-websocket`. */
  wssUrl: string;
  /** PEM of the test CA that signed the server certificate. */
  caPem: string;
  /** The temporary directory holding config, data, certificates and log. */
  dir: string;
  /**
   * Kills the server (SIGKILL: nothing of it is kept, so no graceful
   * shutdown is waited for) and removes {@linkcode dir}. Idempotent.
   */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL, keeping its directory and data. */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same ports and data; resolves once the
   * ports accept connections. A still running instance is first shut down
   * gracefully (SIGTERM: clients get a stream close; up to ~1 s while
   * sessions close, SIGKILL after 5 s).
   */
  restart(): Promise<void>;
}

const DOMAIN = "localhost";
const DEFAULT_ACCOUNTS: Record<string, string> = {
  alice: "pw",
  bob: "pw",
  carol: "pw",
};
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** True when the environment demands real servers (`XMPP_ACTORS_REQUIRE_SERVERS=1`). */
export function requireServers(): boolean {
  try {
    return Deno.env.get("XMPP_ACTORS_REQUIRE_SERVERS") === "1";
  } catch {
    return false;
  }
}

let prosodyFound: boolean | undefined;

/** True when a `prosody` executable is on the `PATH`. */
export function hasProsody(): boolean {
  if (prosodyFound === undefined) prosodyFound = findOnPath("prosody") !== null;
  return prosodyFound;
}

function findOnPath(name: string): string | null {
  let path: string | undefined;
  try {
    path = Deno.env.get("PATH");
  } catch {
    return null;
  }
  for (const dir of (path ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${name}`;
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

interface CertSet {
  caPem: string;
  leafPem: string;
  leafKeyPem: string;
}

let certCache: Promise<CertSet> | undefined;

/** Makes (once per process) a test CA and a `localhost` leaf signed by it. */
function testCertificates(): Promise<CertSet> {
  if (certCache === undefined) {
    certCache = makeCertificates();
    certCache.catch(() => certCache = undefined);
  }
  return certCache;
}

async function makeCertificates(): Promise<CertSet> {
  const dir = await Deno.makeTempDir({ prefix: "xmpp-actors-ca-" });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    await run("openssl", [
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-keyout",
      `${dir}/ca.key`,
      "-out",
      `${dir}/ca.crt`,
      "-days",
      "3650",
      "-subj",
      "/CN=xmpp-actors test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    await run("openssl", [
      "req",
      "-new",
      ...ec,
      "-nodes",
      "-keyout",
      `${dir}/leaf.key`,
      "-out",
      `${dir}/leaf.csr`,
      "-subj",
      `/CN=${DOMAIN}`,
    ]);
    await Deno.writeTextFile(
      `${dir}/leaf.ext`,
      [
        "basicConstraints=CA:FALSE",
        `subjectAltName=DNS:${DOMAIN},DNS:${TEST_DOMAIN}`,
        "extendedKeyUsage=serverAuth",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "",
      ].join("\n"),
    );
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      `${dir}/leaf.csr`,
      "-CA",
      `${dir}/ca.crt`,
      "-CAkey",
      `${dir}/ca.key`,
      "-set_serial",
      String(Date.now()),
      "-out",
      `${dir}/leaf.crt`,
      "-days",
      "3650",
      "-extfile",
      `${dir}/leaf.ext`,
    ]);
    return {
      caPem: await Deno.readTextFile(`${dir}/ca.crt`),
      leafPem: await Deno.readTextFile(`${dir}/leaf.crt`),
      leafKeyPem: await Deno.readTextFile(`${dir}/leaf.key`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Runs a command to completion; throws with its output when it fails. */
async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const dec = new TextDecoder();
    throw new Error(
      `${cmd} ${args.join(" ")} failed (exit ${out.code}):\n` +
        dec.decode(out.stdout) + dec.decode(out.stderr),
    );
  }
}

/** Finds `count` distinct free TCP ports on 127.0.0.1. */
function freePorts(count: number): number[] {
  const listeners: Deno.TcpListener[] = [];
  try {
    for (let i = 0; i < count; i++) {
      listeners.push(Deno.listen({ hostname: "127.0.0.1", port: 0 }));
    }
    return listeners.map((l) => l.addr.port);
  } finally {
    for (const l of listeners) l.close();
  }
}

function luaString(s: string): string {
  return JSON.stringify(s);
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

type Ports = ProsodyPorts;

function configText(
  dir: string,
  ports: Ports,
  requireEncryption: boolean,
  testDomain: boolean,
  starttls: boolean,
  noDelay: boolean,
) {
  const modules = [
    "roster",
    "saslauth",
    ...(starttls ? ["tls"] : []),
    "disco",
    "ping",
    "presence",
    "message",
    "iq",
    "posix",
    "websocket",
    "bosh",
    "smacks",
    "carbons",
    // vcard-temp and jabber:iq:last (xep_0054/0153/0012 tests).
    "vcard",
    "lastactivity",
  ];
  return `-- generated by xmpp-actors tests/support/prosody.ts
run_as_root = ${isRoot()}
pidfile = ${luaString(`${dir}/prosody.pid`)}
data_path = ${luaString(`${dir}/data`)}
log = {
  { levels = { min = "info" }, to = "file", filename = ${
    luaString(`${dir}/prosody.log`)
  } };
}
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
${
    noDelay
      ? "network_settings = { nagle = false }\n"
      : ""
  }http_interfaces = { "127.0.0.1" }
https_interfaces = { "127.0.0.1" }
c2s_ports = { ${ports.c2s} }
c2s_direct_tls_ports = { ${ports.directTls} }
legacy_ssl_ports = { }
s2s_ports = { }
s2s_direct_tls_ports = { }
http_ports = { ${ports.http} }
https_ports = { ${ports.https} }
https_ssl = {
  certificate = ${luaString(`${dir}/certs/localhost.crt`)};
  key = ${luaString(`${dir}/certs/localhost.key`)};
}
modules_enabled = { ${modules.map(luaString).join(", ")} }
modules_disabled = { "limits" }
limits = {
  c2s = { rate = "100mb/s", burst = "10s" };
}
c2s_stanza_size_limit = 10 * 1024 * 1024
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = ${requireEncryption}
allow_unencrypted_plain_auth = ${!requireEncryption}
certificates = ${luaString(`${dir}/certs`)}
smacks_hibernation_time = 60
smacks_max_queue_size = 5000

VirtualHost ${luaString(DOMAIN)}
${
    testDomain
      ? `VirtualHost ${luaString(TEST_DOMAIN)}
`
      : ""
  }`;
}

/** Live children, killed if the test process unloads without stopping them. */
const live = new Set<Deno.ChildProcess>();
let unloadHooked = false;

function hookUnload(): void {
  if (unloadHooked) return;
  unloadHooked = true;
  globalThis.addEventListener("unload", () => {
    for (const child of live) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

async function logTail(dir: string, lines = 40): Promise<string> {
  try {
    const text = await Deno.readTextFile(`${dir}/prosody.log`);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One spawned prosody process and the collection of its console output. */
interface Running {
  child: Deno.ChildProcess;
  status: Promise<Deno.CommandStatus>;
  output: Promise<string>;
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string> {
  const dec = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += dec.decode(chunk, { stream: true });
    if (text.length > 16_384) text = text.slice(-8_192);
  }
  return text + dec.decode();
}

function spawn(cfg: string): Running {
  const child = new Deno.Command("prosody", {
    args: ["--config", cfg, "-F"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  live.add(child);
  hookUnload();
  const output = Promise.all([collect(child.stdout), collect(child.stderr)])
    .then(([o, e]) => o + e, () => "");
  const status = child.status.finally(() => live.delete(child));
  return { child, status, output };
}

/**
 * Starts a throwaway Prosody for `localhost` on free loopback ports.
 *
 * @example Start, use and stop a server
 * ```ts
 * const server = await startProsody({ accounts: { alice: "secret" } });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.c2sPort });
 * conn.close();
 * await server.stop();
 * ```
 *
 * @throws {Error} when `prosody` is not installed, or it does not come up in
 * time (the message then carries the tail of its log).
 */
export async function startProsody(
  opts: ProsodyOptions = {},
): Promise<Prosody> {
  if (!hasProsody()) {
    throw new Error(
      "prosody is not installed (no `prosody` on PATH): install the Debian " +
        "package `prosody`, or unset XMPP_ACTORS_REQUIRE_SERVERS to skip " +
        "server tests",
    );
  }
  const accounts = opts.accounts ?? DEFAULT_ACCOUNTS;
  const requireEncryption = opts.requireEncryption ?? false;
  const certs = await testCertificates();

  const dir = await Deno.makeTempDir({ prefix: "xmpp-actors-prosody-" });
  const [c2s, directTls, http, https] = freePorts(4);
  const ports = { c2s, directTls, http, https, ...opts.ports };
  const cfg = `${dir}/prosody.cfg.lua`;
  let running: Running | undefined;

  try {
    await Deno.mkdir(`${dir}/certs`);
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/certs/ca.crt`, certs.caPem);
    await Deno.writeTextFile(`${dir}/certs/localhost.crt`, certs.leafPem);
    await Deno.writeTextFile(`${dir}/certs/localhost.key`, certs.leafKeyPem, {
      mode: 0o600,
    });
    const testDomain = opts.testDomain ?? false;
    if (testDomain) {
      await Deno.writeTextFile(
        `${dir}/certs/${TEST_DOMAIN}.crt`,
        certs.leafPem,
      );
      await Deno.writeTextFile(
        `${dir}/certs/${TEST_DOMAIN}.key`,
        certs.leafKeyPem,
        { mode: 0o600 },
      );
    }
    await Deno.writeTextFile(
      cfg,
      configText(
        dir,
        ports,
        requireEncryption,
        testDomain,
        opts.starttls ?? true,
        opts.noDelay ?? false,
      ),
    );

    const domains = testDomain ? [DOMAIN, TEST_DOMAIN] : [DOMAIN];
    await Promise.all(
      domains.flatMap((domain) =>
        Object.entries(accounts).map(([user, password]) =>
          run("prosodyctl", [
            "--config",
            cfg,
            "register",
            user,
            domain,
            password,
          ])
        )
      ),
    );

    running = await launch(cfg, dir, ports);
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }

  let removed = false;

  async function halt(signal: Deno.Signal): Promise<void> {
    const current = running;
    running = undefined;
    if (!current) return;
    try {
      current.child.kill(signal);
    } catch {
      // already exited
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      current.status.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      try {
        current.child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    await current.status;
    await current.output;
  }

  return {
    domain: DOMAIN,
    c2sPort: ports.c2s,
    directTlsPort: ports.directTls,
    httpPort: ports.http,
    wsUrl: `ws://127.0.0.1:${ports.http}/xmpp-websocket`,
    httpsPort: ports.https,
    wssUrl: `wss://localhost:${ports.https}/xmpp-websocket`,
    caPem: certs.caPem,
    dir,
    async stop() {
      await halt("SIGKILL");
      if (!removed) {
        removed = true;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
    async kill() {
      await halt("SIGKILL");
    },
    async restart() {
      if (removed) throw new Error("prosody: restart() after stop()");
      await halt("SIGTERM");
      running = await launch(cfg, dir, ports);
    },
  };
}

/** Spawns prosody and waits until all its ports accept connections. */
async function launch(
  cfg: string,
  dir: string,
  ports: Ports,
): Promise<Running> {
  const running = spawn(cfg);
  let exited: Deno.CommandStatus | undefined;
  running.status.then((s) => exited = s);
  const deadline = Date.now() + START_TIMEOUT_MS;
  const pending = [ports.c2s, ports.directTls, ports.http, ports.https];
  while (pending.length > 0) {
    if (exited === undefined && await canConnect(pending[0])) {
      pending.shift();
      continue;
    }
    if (exited !== undefined || Date.now() > deadline) {
      const killed = exited === undefined;
      if (killed) {
        try {
          running.child.kill("SIGKILL");
        } catch {
          // gone
        }
      }
      const status = await running.status;
      const output = (await running.output).trim();
      throw new Error(
        `prosody did not come up on 127.0.0.1:${pending[0]} ` +
          (killed
            ? `within ${START_TIMEOUT_MS} ms (killed)`
            : `(it exited with code ${status.code})`) +
          `\nconfig: ${cfg}` +
          (output ? `\n--- prosody output ---\n${output}` : "") +
          `\n--- prosody log (tail) ---\n${await logTail(dir)}`,
      );
    }
    await delay(20);
  }
  return running;
}
