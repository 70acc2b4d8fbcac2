// The inspector's hostile checks, in plain JavaScript so that one source runs
// on Deno (tests/inspector_node_test.ts, the node:http server under Deno) and
// on Node 22, Node 20 and Bun from the npm package (npm_inspector.mjs, run by
// tests/npm_package_test.ts): another web page (foreign Origin), a DNS
// rebinding page (foreign Host), no token, a /source flood, an oversized
// frame, credentials in events. Each check throws on failure.
import { connect } from "node:net";

const EVIL = "https://evil.example";

/** One HTTP/1.1 request written by hand; resolves to the status code. */
export function rawRequest(port, path, headers) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      text += chunk;
      if (text.includes("\r\n")) {
        socket.destroy();
        resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
      }
    });
    socket.on("close", () => resolve(0));
    const lines = [`GET ${path} HTTP/1.1`];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(lines.join("\r\n") + "\r\n\r\n");
  });
}

/** A WebSocket handshake by hand, as a browser page would send it. */
export function upgrade(port, path, extra = {}) {
  return rawRequest(port, path, {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...extra,
  });
}

function check(ok, what) {
  if (!ok) throw new Error(`failed: ${what}`);
}

async function until(pred, what) {
  for (let i = 0; i < 400 && !pred(); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  check(pred(), `timed out waiting for ${what}`);
}

function openPage(WS, url) {
  const messages = [];
  const ws = new WS(`${url.replace(/^http/, "ws")}page`);
  ws.onmessage = (e) => {
    messages.push(String(e.data));
    ws.send('{"kind":"ack"}');
  };
  const opened = new Promise((r) => {
    ws.onopen = () => r(true);
    ws.onerror = () => r(false);
  });
  const close = async () => {
    if (ws.readyState === 3) return;
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
  };
  return { messages, opened, close };
}

/** Send frames to `/source`, then close; resolves with the close code. */
async function flood(WS, url, frames) {
  const ws = new WS(url);
  await new Promise((r, j) => {
    ws.onopen = r;
    ws.onerror = j;
  });
  const closed = new Promise((r) => ws.onclose = (e) => r(e.code));
  for (const f of frames) {
    if (ws.readyState !== 1) break;
    ws.send(f);
    if (ws.bufferedAmount > 8_000_000) {
      while (ws.bufferedAmount > 1_000_000) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }
  // The server answers our close after every frame before it.
  if (ws.readyState === 1) ws.close();
  return await closed;
}

function* actors(n, name) {
  for (let i = 0; i < n; i++) {
    yield JSON.stringify({
      type: "@xstate.actor",
      sessionId: `x:${i}`,
      name: name(i),
      snapshot: { status: "active", value: "idle" },
    });
  }
}

/**
 * Run every check against `createInspector` (which may return a promise).
 *
 * @param api `{ createInspector, createClient, WebSocket }`.
 * @returns The names of the checks that ran.
 */
export async function hostileInspectorChecks(api) {
  const { createClient, WebSocket: WS } = api;
  const create = async (o) => await api.createInspector(o);
  const done = [];

  // Token: nothing without it, and a guessable one is refused.
  {
    const inspector = await create();
    const { port } = inspector;
    const path = new URL(inspector.url).pathname;
    check(/^\/[A-Za-z0-9_-]{22,}\/$/.test(path), path);
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
      check(await rawRequest(port, p, host) === 404, `404 for ${p}`);
    }
    for (const p of ["/page", "/source", `/${"A".repeat(22)}/page`]) {
      check(await upgrade(port, p) === 404, `404 upgrade for ${p}`);
    }
    check(await rawRequest(port, path, host) === 200, "200 with the token");
    check(
      await rawRequest(port, path.slice(0, -1), host) === 308,
      "308 to the slash",
    );
    let refused;
    try {
      await create({ token: "guessable" });
    } catch (e) {
      refused = e;
    }
    check(refused instanceof TypeError, `a guessable token: ${refused}`);
    await inspector.close();
    done.push("token");
  }

  // DNS rebinding: a foreign Host, on plain requests and upgrades.
  {
    const inspector = await create();
    const { port } = inspector;
    const path = new URL(inspector.url).pathname;
    for (const host of ["attacker.example", `attacker.example:${port}`]) {
      check(await rawRequest(port, path, { Host: host }) === 421, host);
      check(await upgrade(port, `${path}page`, { Host: host }) === 421, host);
    }
    check(
      await rawRequest(port, path, { Host: `127.0.0.1:${port + 1}` }) === 421,
      "another port",
    );
    // Node refuses a request without Host itself (400).
    const none = await rawRequest(port, path, {});
    check(none === 421 || none === 400, `no Host: ${none}`);
    check(
      await rawRequest(port, path, { Host: `localhost:${port}` }) === 200,
      "localhost",
    );
    await inspector.close();
    done.push("host");
  }

  // Another web page: a foreign Origin on either WebSocket.
  {
    const inspector = await create();
    const { port } = inspector;
    const path = new URL(inspector.url).pathname;
    for (const origin of [EVIL, "null"]) {
      for (const ep of ["page", "source"]) {
        check(
          await upgrade(port, `${path}${ep}`, { Origin: origin }) === 403,
          `${origin} on ${ep}`,
        );
      }
    }
    check(
      await rawRequest(port, path, {
        Host: `127.0.0.1:${port}`,
        Origin: EVIL,
      }) === 403,
      "a foreign Origin on the page",
    );
    check(
      await upgrade(port, `${path}page`, {
        Origin: `http://localhost:${port}`,
      }) === 101,
      "our own origin",
    );
    check(await upgrade(port, `${path}page`) === 101, "no Origin (a tool)");
    await inspector.close();
    done.push("origin");
  }

  // Credentials: a client's password and a source's are redacted.
  {
    const inspector = await create();
    const page = openPage(WS, inspector.url);
    check(await page.opened, "the page opens");
    const password = "s3cret-Passw0rd-horse";
    const client = createClient({
      jid: "alice@localhost",
      password,
      service: "xmpp://127.0.0.1:1",
      reconnect: { enabled: false },
      inspect: inspector.inspect,
    });
    await client.start().catch(() => {});
    await client.stop();
    const src = new WS(inspector.sourceUrl);
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
    const all = page.messages.join("\n");
    check(all.includes("xstate.init"), "the client's frames");
    check(!all.includes(password), "the client's password is redacted");
    check(!all.includes("hunter2"), "the source's password is redacted");
    check(!all.includes(btoa("\0bob\0hunter2-hunter2")), "SASL is redacted");
    src.close();
    await page.close();
    await inspector.close();
    done.push("redaction");
  }

  // Floods: many actors, frames over the bounds, a frame budget.
  {
    const inspector = await create();
    await flood(WS, inspector.sourceUrl, actors(20_000, (i) => `actor-${i}`));
    let s = inspector.stats();
    check(s.actors <= 1000, `${s.actors} external actors kept`);
    check(s.limited >= 19_000, `${s.limited} limited`);
    await flood(
      WS,
      inspector.sourceUrl,
      actors(20, (i) => `${i}${"n".repeat(900_000)}`),
    );
    s = inspector.stats();
    check(s.limited >= 19_020, `900 KB frames: ${s.limited} limited`);
    // Far over every bound: the source is cut off (ws: 1009) or the frame
    // is counted (Deno); either way nothing is kept and the server goes on.
    const before = inspector.stats();
    await flood(WS, inspector.sourceUrl, actors(1, () => "x".repeat(8 << 20)));
    s = inspector.stats();
    check(s.actors === before.actors, "an 8 MiB frame keeps nothing");
    const page = openPage(WS, inspector.url);
    await until(() => page.messages.length > 0, "a late page's init");
    const init = JSON.parse(page.messages[0]);
    check(init.kind === "init" && init.actors.length <= 1000, "init bounded");
    await page.close();
    await inspector.close();

    const budget = await create({
      sources: { burst: 100, framesPerSecond: 0 },
    });
    await flood(
      WS,
      budget.sourceUrl,
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
    s = budget.stats();
    check(
      s.events === 100 && s.limited === 900,
      `budget: ${JSON.stringify(s)}`,
    );
    await budget.close();
    done.push("flood");
  }
  return done;
}
