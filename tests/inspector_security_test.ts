/**
 * The inspector as an attacker sees it: another web page on the machine
 * (foreign `Origin`), a DNS rebinding page (foreign `Host`), someone without
 * the URL's token, a `/source` sender flooding it, and anyone reading the
 * frames or recordings of a real login for credentials.
 */
import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "./deps.ts";
import { createClient } from "../mod.ts";
import { createInspector } from "../actors/inspector/server.ts";
import type { PageMessage } from "../actors/inspector/frames.ts";
import { hmac, pbkdf2, sha1, sha256 } from "../src/deps.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";

const EVIL = "https://evil.example";

/** One HTTP/1.1 request written by hand; resolves to the status code. */
async function rawRequest(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const lines = [`GET ${path} HTTP/1.1`];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const buf = new Uint8Array(4096);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  } finally {
    conn.close();
  }
}

/** A WebSocket handshake by hand, as a browser page would send it. */
function upgrade(
  port: number,
  path: string,
  extra: Record<string, string> = {},
): Promise<number> {
  return rawRequest(port, path, {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...extra,
  });
}

/** A page made of a WebSocket (no Origin: a tool, not a browser). */
function openPage(url: string, headers?: Record<string, string>) {
  const messages: string[] = [];
  const ws = new WebSocket(
    `${url.replace(/^http/, "ws")}page`,
    // Deno's WebSocket takes extra handshake headers.
    { headers } as unknown as string[],
  );
  ws.onmessage = (e) => {
    messages.push(e.data);
    ws.send('{"kind":"ack"}');
  };
  const opened = new Promise<boolean>((r) => {
    ws.onopen = () => r(true);
    ws.onerror = () => r(false);
  });
  const close = async () => {
    if (ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  };
  return { ws, messages, opened, close };
}

async function until(pred: () => boolean, what: string) {
  for (let i = 0; i < 400 && !pred(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert(pred(), `timed out waiting for ${what}`);
}

Deno.test("createInspector(): a WebSocket from another web page (Origin: https://evil.example) is refused and gets no frame", async () => {
  await using inspector = createInspector();
  const path = new URL(inspector.url).pathname;
  const { port } = inspector;
  // Both endpoints, even with the right token (the page could have it from
  // a leaked link): a browser sends its page's origin, and it is not ours.
  assertStrictEquals(await upgrade(port, `${path}page`, { Origin: EVIL }), 403);
  assertStrictEquals(
    await upgrade(port, `${path}source`, { Origin: EVIL }),
    403,
  );
  assertStrictEquals(
    await upgrade(port, `${path}page`, { Origin: "null" }),
    403,
  );
  // As a real client: no init, no password.
  const client = createClient({
    jid: "alice@localhost",
    password: "s3cret-Passw0rd",
    inspect: inspector.inspect,
  });
  try {
    const evil = openPage(inspector.url, { origin: EVIL });
    const opened = await evil.opened;
    await new Promise((r) => setTimeout(r, 100));
    assertStrictEquals(opened, false);
    assertEquals(evil.messages, []);
    await evil.close();
    // Our own origin and tools without Origin are served.
    assertStrictEquals(
      await upgrade(port, `${path}page`, {
        Origin: `http://127.0.0.1:${port}`,
      }),
      101,
    );
    assertStrictEquals(
      await upgrade(port, `${path}page`, {
        Origin: `http://localhost:${port}`,
      }),
      101,
    );
    assertStrictEquals(await upgrade(port, `${path}page`), 101);
  } finally {
    await client.stop();
  }
});

Deno.test("createInspector(): a DNS rebinding request (Host: attacker.example) is refused", async () => {
  await using inspector = createInspector();
  const path = new URL(inspector.url).pathname;
  const { port } = inspector;
  for (const host of ["attacker.example", `attacker.example:${port}`]) {
    assertStrictEquals(await rawRequest(port, path, { Host: host }), 421);
    assertStrictEquals(
      await upgrade(port, `${path}page`, { Host: host }),
      421,
    );
  }
  // A loopback name on another port is another origin, too.
  assertStrictEquals(
    await rawRequest(port, path, { Host: `127.0.0.1:${port + 1}` }),
    421,
  );
  assertStrictEquals(
    await rawRequest(port, path, { Host: `127.0.0.1:${port}` }),
    200,
  );
  assertStrictEquals(
    await rawRequest(port, path, { Host: `localhost:${port}` }),
    200,
  );
});

Deno.test("createInspector(): nothing is served without the URL's token", async () => {
  await using inspector = createInspector();
  const { port } = inspector;
  const path = new URL(inspector.url).pathname;
  assert(/^\/[A-Za-z0-9_-]{22,}\/$/.test(path), path);
  const host = { Host: `127.0.0.1:${port}` };
  for (
    const p of [
      "/",
      "/index.html",
      "/inspector.js",
      "/page",
      "/source",
      `/${"A".repeat(22)}/`,
      `${path.slice(0, -2)}/`,
    ]
  ) {
    assertStrictEquals(await rawRequest(port, p, host), 404, p);
  }
  for (const p of ["/page", "/source", `/${"A".repeat(22)}/page`]) {
    assertStrictEquals(await upgrade(port, p), 404, p);
  }
  assertStrictEquals(await rawRequest(port, path, host), 200);
  // Every inspector has its own token; a chosen one must be as hard to guess.
  await using other = createInspector();
  assert(new URL(other.url).pathname !== path);
  assertThrows(() => createInspector({ token: "guessable" }), TypeError);
  assertThrows(
    () => createInspector({ token: "a/b/../c-long-enough" }),
    TypeError,
  );
});

// ---- a real login, recorded through the inspector --------------------------

/** A TCP tap between client and server: keeps what each side wrote. */
function startTap(targetPort: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sent: string[] = [];
  const received: string[] = [];
  const conns = new Set<Deno.Conn>();
  const pump = async (from: Deno.Conn, to: Deno.Conn, log: string[]) => {
    const buf = new Uint8Array(65536);
    const dec = new TextDecoder();
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        log.push(dec.decode(buf.subarray(0, n)));
        await to.write(buf.subarray(0, n));
      }
    } catch { /* closed */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({
        hostname: "127.0.0.1",
        port: targetPort,
      });
      conns.add(client).add(server);
      pump(client, server, sent);
      pump(server, client, received);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    sent,
    received,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

const SASL_TEXT =
  /<(auth|response|challenge|success)\b[^>]*xmpp-sasl[^>]*>([^<]*)</g;

/** Every secret of the exchange the tap saw, in the forms it could leak in. */
function secretsOf(
  password: string,
  sent: string,
  received: string,
): string[] {
  const out = new Set<string>([password]);
  const add = (s: string | undefined) => {
    if (s && s.length >= 8) out.add(s);
  };
  const payloads: string[] = [];
  for (
    const m of [...sent.matchAll(SASL_TEXT), ...received.matchAll(SASL_TEXT)]
  ) {
    const b64 = m[2].trim();
    if (b64 === "" || b64 === "=") continue;
    add(b64);
    const text = atob(b64);
    payloads.push(text);
    add(text);
  }
  const hex = (b: Uint8Array) =>
    [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  const enc = new TextEncoder();
  for (const text of payloads) {
    add(/(?:^|,)p=([^,]+)/.exec(text)?.[1]); // client proof
    add(/^v=([^,]+)/.exec(text)?.[1]); // server signature
    const first = /^r=[^,]+,s=([^,]+),i=(\d+)/.exec(text);
    if (first) {
      const salt = Uint8Array.fromBase64(first[1]);
      const c = Number(first[2]);
      for (const hash of [sha1, sha256]) {
        const salted = pbkdf2(hash, enc.encode(password), salt, {
          c,
          dkLen: hash.outputLen,
        });
        const clientKey = hmac(hash, salted, enc.encode("Client Key"));
        const serverKey = hmac(hash, salted, enc.encode("Server Key"));
        for (const k of [salted, clientKey, serverKey, hash(clientKey)]) {
          add(k.toBase64());
          add(hex(k));
        }
      }
    }
  }
  return [...out];
}

// (The harness Prosody stores SCRAM-SHA-1 credentials: it offers no -256.)
for (const mechanism of ["PLAIN", "SCRAM-SHA-1"] as const) {
  Deno.test({
    name:
      `createInspector(): a real ${mechanism} login (and a failed one) leaves no credential in frames, recordings or errors`,
    ignore: !hasProsody() && !requireServers(),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const password = "Tr0ub4dor&3-correct-horse";
      const wrong = "Wr0ng&Battery-staple-42";
      const server = await startProsody({ accounts: { alice: password } });
      const tap = startTap(server.c2sPort);
      const inspector = createInspector();
      // The page opens first, and another one afterwards: live frames and
      // an init both go through the check.
      const page = openPage(inspector.url);
      const errors: string[] = [];
      try {
        assert(await page.opened);
        const login = (pw: string) =>
          createClient({
            jid: "alice@localhost/inspect",
            password: pw,
            // In clear through the tap (the tap must read the exchange);
            // PLAIN in clear needs the explicit opt-out.
            service: `xmpp://127.0.0.1:${tap.port}`,
            tls: { starttls: false },
            allowPlainWithoutTls: true,
            saslMechanisms: [mechanism],
            reconnect: { enabled: false },
            inspect: inspector.inspect,
          });
        const ok = login(password);
        ok.on("error", (e) => errors.push(`${e.name}: ${e.message}`));
        await ok.start();
        await ok.stop();
        const bad = login(wrong);
        bad.on("error", (e) => errors.push(`${e.name}: ${e.message}`));
        const failed = await bad.start().then(() => undefined, (e) => e);
        assert(failed instanceof Error, "the wrong password was accepted");
        errors.push(`${failed.name}: ${failed.message}`, String(failed.cause));
        await bad.stop();
        await until(
          () => page.messages.some((m) => m.includes("sasl.success")),
          "frames of the login",
        );
        const late = openPage(inspector.url);
        await until(() => late.messages.length > 0, "a late page's init");
        await late.close();
        const frames = [...page.messages, ...late.messages];
        // A recording is the frames as the page got them, one per line.
        const recording = frames.flatMap((m) => {
          const msg = JSON.parse(m) as PageMessage;
          return msg.kind === "init"
            ? [...msg.actors, ...msg.events]
            : msg.frames;
        }).map((f) => JSON.stringify(f)).join("\n");
        // The exchange did happen, and the page did see it.
        assert(recording.includes("sasl.write"));
        assert(
          tap.sent.join("").includes(`mechanism='${mechanism}'`) ||
            tap.sent.join("").includes(`mechanism="${mechanism}"`),
        );
        const secrets = [
          ...secretsOf(password, tap.sent.join(""), tap.received.join("")),
          wrong,
          btoa(`\0alice\0${password}`),
          btoa(`\0alice\0${wrong}`),
        ];
        assert(secrets.length > (mechanism === "PLAIN" ? 3 : 12));
        const texts = {
          frames: frames.join("\n"),
          recording,
          // JSON escapes NUL: look for the raw text too.
          decoded: frames.map((m) => JSON.stringify(JSON.parse(m))).join(),
          errors: errors.join("\n"),
        };
        for (const [where, text] of Object.entries(texts)) {
          for (const secret of secrets) {
            assert(
              !text.includes(secret),
              `${where} contain a secret (${secret.slice(0, 6)}…)`,
            );
          }
        }
        assert(!texts.frames.includes("\\u0000alice\\u0000"));
      } finally {
        await page.close();
        await inspector.close();
        tap.close();
        await server.stop();
      }
    },
  });
}

Deno.test("createInspector(): an external source's events are redacted too", async () => {
  await using inspector = createInspector();
  const page = openPage(inspector.url);
  assert(await page.opened);
  const src = new WebSocket(inspector.sourceUrl);
  await new Promise((r) => src.onopen = r);
  src.send(JSON.stringify({
    type: "@xstate.event",
    sessionId: "x:1",
    event: {
      type: "LOGIN",
      password: "hunter2-hunter2",
      auth: btoa("\0bob\0hunter2-hunter2"),
    },
  }));
  await until(
    () => page.messages.some((m) => m.includes("LOGIN")),
    "the source's event",
  );
  const all = page.messages.join("");
  assert(!all.includes("hunter2"), all);
  assert(!all.includes(btoa("\0bob\0hunter2-hunter2")), all);
  src.close();
  await page.close();
});

// ---- /source floods --------------------------------------------------------

/** Send frames to `/source`, then close: resolves once the server has read them all. */
async function flood(url: string, frames: Iterable<string>): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  for (const f of frames) {
    ws.send(f);
    // Let the socket drain now and then (memory of this test, not timing).
    if (ws.bufferedAmount > 8_000_000) {
      while (ws.bufferedAmount > 1_000_000) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  // The server answers our close after every frame before it.
  const closed = new Promise((r) => ws.onclose = r);
  ws.close();
  await closed;
}

function* actors(n: number, name: (i: number) => string, extra = {}) {
  for (let i = 0; i < n; i++) {
    yield JSON.stringify({
      type: "@xstate.actor",
      sessionId: `x:${i}`,
      name: name(i),
      snapshot: { status: "active", value: "idle" },
      ...extra,
    });
  }
}

async function lateInit(url: string): Promise<PageMessage> {
  const page = openPage(url);
  await until(() => page.messages.length > 0, "a late page's init");
  await page.close();
  return JSON.parse(page.messages[0]);
}

Deno.test("createInspector(): 50k external actors keep at most maxActors; a page opened afterwards gets its init", async () => {
  await using inspector = createInspector();
  await flood(inspector.sourceUrl, actors(50_000, (i) => `actor-${i}`));
  const s = inspector.stats();
  assert(s.actors <= 1000, `${s.actors} external actors kept`);
  assert(s.limited >= 49_000, `${s.limited} limited`);
  const init = await lateInit(inspector.url);
  assert(init.kind === "init");
  assert(init.actors.length > 0 && init.actors.length <= 1000);
});

Deno.test("createInspector(): 400 frames with 900 KB names keep nothing; large definitions stop at maxKept", async () => {
  await using inspector = createInspector();
  const big = "n".repeat(900_000);
  await flood(inspector.sourceUrl, actors(400, (i) => `${i}${big}`));
  let s = inspector.stats();
  assertStrictEquals(s.actors, 0);
  assertStrictEquals(s.limited, 400);
  // Names just under the frame bound, over the name bound.
  await flood(
    inspector.sourceUrl,
    actors(100, (i) => `${i}${"m".repeat(200_000)}`),
  );
  s = inspector.stats();
  assertStrictEquals(s.actors, 0);
  assertStrictEquals(s.limited, 500);
  // Distinct definitions of 250 KB: kept until maxKept (16 MiB).
  const definition = (i: number) =>
    JSON.stringify({
      id: `m${i}`,
      initial: "a",
      states: { a: {} },
      description: "d".repeat(250_000),
    });
  await flood(
    inspector.sourceUrl,
    (function* () {
      for (let i = 0; i < 200; i++) {
        yield JSON.stringify({
          type: "@xstate.actor",
          sessionId: `d:${i}`,
          name: `d${i}`,
          definition: definition(i),
          snapshot: { status: "active" },
        });
      }
    })(),
  );
  s = inspector.stats();
  assert(s.externalKept <= 16_777_216, `${s.externalKept} kept`);
  assert(s.actors > 0 && s.actors < 200, `${s.actors} kept`);
  const init = await lateInit(inspector.url);
  assert(init.kind === "init");
  assertStrictEquals(init.actors.length, s.actors);
});

Deno.test("createInspector(): a source over its frame budget has the rest dropped and counted", async () => {
  await using inspector = createInspector({
    sources: { burst: 100, framesPerSecond: 0 },
  });
  const page = openPage(inspector.url);
  assert(await page.opened);
  await flood(
    inspector.sourceUrl,
    (function* () {
      for (let i = 0; i < 1000; i++) {
        yield JSON.stringify({
          type: "@xstate.event",
          sessionId: "x:1",
          event: { type: "E", i },
        });
      }
    })(),
  );
  const s = inspector.stats();
  assertStrictEquals(s.events, 100);
  assertStrictEquals(s.limited, 900);
  // Snapshots of actors it never announced keep nothing either.
  await flood(
    inspector.sourceUrl,
    (function* () {
      for (let i = 0; i < 50; i++) {
        yield JSON.stringify({
          type: "@xstate.snapshot",
          sessionId: `ghost:${i}`,
          snapshot: { status: "active", value: `v${i}` },
        });
      }
    })(),
  );
  assertStrictEquals(inspector.stats().limited, 950);
  // Large frames cost more: 20 KB counts twice, so 50 of 100 get in.
  await flood(
    inspector.sourceUrl,
    (function* () {
      for (let i = 0; i < 100; i++) {
        yield JSON.stringify({
          type: "@xstate.event",
          sessionId: "x:1",
          event: { type: "BIG", pad: "p".repeat(20_000) },
        });
      }
    })(),
  );
  assertStrictEquals(inspector.stats().events, 150);
  assertStrictEquals(inspector.stats().limited, 1000);
  await page.close();
});

Deno.test("createClient(): a password SASLprep refuses is not repeated in the error or its causes", async () => {
  const password = "bad\u0007Secret-77-horse";
  let error: unknown;
  try {
    const c = createClient({
      jid: "alice@localhost",
      password,
      service: "xmpp://127.0.0.1:1",
    });
    await c.start().finally(() => c.stop());
  } catch (e) {
    error = e;
  }
  assert(error instanceof Error, "the password was accepted");
  const texts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    texts.push(e.message, e.stack ?? "", String(e));
  }
  for (const t of texts) {
    assert(!t.includes("Secret-77"), t);
  }
});

Deno.test("createClient(): a token or password in the service URL stays out of errors and frames", async () => {
  await using inspector = createInspector();
  const page = openPage(inspector.url);
  assert(await page.opened);
  // Nothing listens there: the connection fails, with the URL in its error.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const errors: string[] = [];
  for (
    const service of [
      `ws://127.0.0.1:${port}/xmpp?access_token=Tok3n-secret-123&lang=en`,
      `ws://alice:Secr3t-URL-pw@127.0.0.1:${port}/xmpp`,
    ]
  ) {
    const c = createClient({
      jid: "alice@localhost",
      password: "pw",
      service,
      reconnect: { enabled: false },
      inspect: inspector.inspect,
    });
    c.on("error", (e) => errors.push(`${e.name}: ${e.message}`));
    const failed = await c.start().then(() => undefined, (e) => e);
    await c.stop();
    assert(failed instanceof Error, "connected to nothing");
    for (let e: unknown = failed; e instanceof Error; e = e.cause) {
      errors.push(e.message);
    }
  }
  await until(
    () => page.messages.join().includes("xstate.init"),
    "frames of the attempt",
  );
  assert(errors.some((e) => e.includes("127.0.0.1")), errors.join("\n"));
  for (const text of [errors.join("\n"), page.messages.join("\n")]) {
    assert(!text.includes("Tok3n-secret-123"), text);
    assert(!text.includes("Secr3t-URL-pw"), text);
  }
  await page.close();
});
