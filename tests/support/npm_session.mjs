// A session that uses only the installed npm package (tests/npm_package_test.ts
// runs it on Node 22 and Bun): STARTTLS and direct TLS with the test CA, BoB
// set/get, a fetch from a second client, a hot swap to file storage and then
// to Redis (the data survives both, and the client: a new one reads it from
// Redis), an unreachable Redis as a typed error, wss://, and an untrusted
// certificate as a typed error.
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import {
  ConnectionError,
  createClient,
  fileStorage,
  redisStorage,
  StorageError,
  TLSError,
} from "@xmpp-actors/runtime";

const { C2S, DIRECT_TLS, WSS, CA, DIR, REDIS } = process.env;
const tls = { caCerts: [readFileSync(CA, "utf8")] };
const text = (bytes) => new TextDecoder().decode(bytes);
const check = (ok, what) => {
  if (!ok) throw new Error(`failed: ${what}`);
};

const alice = createClient({
  jid: "alice@localhost",
  password: "pw",
  service: `xmpp://127.0.0.1:${C2S}`,
  tls,
});
const bob = createClient({
  jid: "bob@localhost",
  password: "pw",
  service: `xmpps://localhost:${DIRECT_TLS}`,
  tls,
});
await Promise.all([alice.start(), bob.start()]);
const a = alice.registerPlugin("xep_0231");
const b = bob.registerPlugin("xep_0231");
const cid = await a.setBob(new TextEncoder().encode("coucou"), "text/plain", {
  maxAge: 86400,
});
check(text((await a.getBob({ cid })).data) === "coucou", "local get");
check(
  text((await b.getBob({ cid, jid: alice.jid })).data) === "coucou",
  "fetch from a second client",
);

await a.api.bind(fileStorage({ dir: DIR }), { migrate: true });
check(existsSync(`${DIR}/${cid}`), "migrated to a file");
const cid2 = await a.setBob(new TextEncoder().encode("files"), "text/plain");
check(existsSync(`${DIR}/${cid2}`), "stored in a file");
check(
  text((await b.getBob({ cid: cid2, jid: alice.jid })).data) === "files",
  "fetch after the hot swap",
);

// Hot swap to Redis: what was in the files moves over, keeps being served.
const prefix = `npm-${process.pid}:`;
await a.api.bind(redisStorage({ url: REDIS, prefix }), { migrate: true });
check(
  text((await b.getBob({ cid: cid2, jid: alice.jid })).data) === "files",
  "fetch after the hot swap to Redis",
);
const cid3 = await a.setBob(new TextEncoder().encode("redis"), "text/plain");
check(text((await a.getBob({ cid })).data) === "coucou", "migrated to Redis");

// A Redis nobody listens on: a StorageError from bind, and alice goes on.
const dead = createServer();
await new Promise((r) => dead.listen(0, "127.0.0.1", r));
const deadPort = dead.address().port;
await new Promise((r) => dead.close(r));
let refused;
try {
  await a.api.bind(
    redisStorage({ url: `redis://127.0.0.1:${deadPort}`, connectTimeout: 300 }),
  );
} catch (e) {
  refused = e;
}
check(refused instanceof StorageError, `unreachable Redis: ${refused}`);
check(text((await a.getBob({ cid: cid3 })).data) === "redis", "still Redis");

const carol = createClient({
  jid: "carol@localhost",
  password: "pw",
  service: WSS,
  tls,
});
await carol.start();
check(
  text(
    (await carol.registerPlugin("xep_0231").getBob({ cid, jid: alice.jid }))
      .data,
  ) === "coucou",
  "fetch over wss://",
);
await carol.stop();

const eve = createClient({
  jid: "alice@localhost",
  password: "pw",
  service: `xmpp://127.0.0.1:${C2S}`,
});
let error;
try {
  await eve.start();
} catch (e) {
  error = e;
}
check(error instanceof TLSError, `untrusted certificate: ${error}`);
await eve.stop();

// Hostile servers: one that cuts the stream mid-stanza, one that answers
// STARTTLS with <proceed/> and then garbage instead of a TLS handshake. Each
// is a typed rejection of start(), and the process goes on.
const HEADER = "<?xml version='1.0'?><stream:stream from='localhost' id='h' " +
  "version='1.0' xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams'>";
const hostile = (script) => {
  const server = createServer((socket) => {
    let step = 0;
    socket.on("error", () => {});
    socket.on("data", () => script(socket, step++));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server))
  );
};
const cases = [
  [(s) => s.end(`${HEADER}<message><bo`), ConnectionError],
  [(s, step) => {
    if (step === 0) {
      s.write(
        `${HEADER}<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`,
      );
    } else if (step === 1) {
      s.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    } else s.end("this is not TLS\r\n".repeat(100));
  }, [TLSError, ConnectionError]],
];
for (const [script, expected] of cases) {
  const server = await hostile(script);
  const mallory = createClient({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${server.address().port}`,
    tls,
  });
  let failure;
  try {
    await mallory.start();
  } catch (e) {
    failure = e;
  }
  const classes = [expected].flat();
  check(
    classes.some((c) => failure instanceof c),
    `hostile server: ${failure?.name}: ${failure?.message}`,
  );
  await mallory.stop();
  server.close();
}

await Promise.all([alice.stop(), bob.stop()]);

// The data outlives the client: another one reads it from Redis.
const dave = createClient({ jid: "dave@localhost", password: "pw" });
const d = dave.registerPlugin("xep_0231");
await d.api.bind(redisStorage({ url: REDIS, prefix }));
for (const [c, want] of [[cid, "coucou"], [cid2, "files"], [cid3, "redis"]]) {
  check(text((await d.getBob({ cid: c })).data) === want, `Redis has ${c}`);
}
await dave.stop();
console.log(`session ok ${cid}`);
