/**
 * Nothing sent is lost silently (issue 21, items 7, 8 and 10), against a
 * scripted bad server: `h` values out of range (too high, backwards, in
 * `<resumed/>` and `<failed/>`), a server that never acks (the unacked
 * queue stops at its bound), and `stop()` against servers that neither ack
 * nor close nor read.
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import { type Element, xml } from "../src/deps.ts";
import {
  ClientStoppedError,
  QueueOverflowError,
  StreamError,
  UnackedOverflowError,
} from "../src/errors.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
  bodyMessage as message,
  fakeAuth,
  fakeBind,
  fakeLoginSm as loginSm,
  type FakeSession,
  NS_SM,
  startFakeServers,
} from "./_helpers.ts";

const SM = NS_SM;

function client(port: number, extra: Partial<ConnectionOptions> = {}) {
  return new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    reconnect: { enabled: false },
    closeTimeout: 200,
    stopTimeout: 500,
    ...extra,
    streamManagement: {
      ackEvery: 1000,
      ackInterval: 60_000,
      ...extra.streamManagement,
    },
  });
}

/** What the client reports: acked and failed bodies, errors, statuses. */
function watch(c: DenoConnection) {
  const seen = {
    acked: [] as string[],
    failed: [] as string[][],
    errors: [] as Error[],
    status: [] as string[],
  };
  const body = (s: Element) => s.getChildText("body") ?? s.name;
  c.on("acked", (ss) => seen.acked.push(...ss.map(body)));
  c.on("failedStanzas", (ss) => seen.failed.push(ss.map(body)));
  c.on("error", (e) => seen.errors.push(e));
  c.on("status", (s) => seen.status.push(s));
  return seen;
}

function until(test: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (test()) return resolve();
      if (Date.now() > deadline) return reject(new Error("timed out"));
      setTimeout(tick, 5);
    };
    tick();
  });
}

const TOO_HIGH = `<handled-count-too-high xmlns="${SM}"`;
const UNDEFINED =
  `<undefined-condition xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`;

Deno.test("XEP-0198 bad server: <a h='10'/> after 3 stanzas is a handled-count-too-high stream error and acks nothing", async () => {
  let after = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.readUntil("m3</body></message>");
    await s.write(`<a xmlns='${SM}' h='10'/>`);
    after = await s.readUntil("</stream:stream>");
  });
  const c = client(server.port);
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2", "m3"]) c.send(message(b));
    await until(() =>
      seen.failed.length > 0 && seen.status.at(-1) === "failed"
    );
    await server.done;
    assert(after.includes(UNDEFINED), after);
    assert(after.includes(`${TOO_HIGH} h="10" send-count="3"/>`), after);
    assertEquals(seen.acked, [], "nothing counted acked");
    assertEquals(seen.failed, [["m1", "m2", "m3"]]);
    const err = seen.errors.find((e) => e instanceof StreamError);
    assert(err instanceof StreamError, String(seen.errors));
    assertEquals(err.condition, "undefined-condition");
    assertEquals(err.application?.name, "handled-count-too-high");
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198 bad server: an h going backwards is a stream error; only the validly acked count", async () => {
  let after = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.readUntil("m3</body></message>");
    await s.write(`<a xmlns='${SM}' h='2'/>`);
    await s.write(`<a xmlns='${SM}' h='1'/>`);
    after = await s.readUntil("</stream:stream>");
  });
  const c = client(server.port);
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2", "m3"]) c.send(message(b));
    await until(() =>
      seen.failed.length > 0 && seen.status.at(-1) === "failed"
    );
    await server.done;
    assert(after.includes(`${TOO_HIGH} h="1" send-count="3"/>`), after);
    assertEquals(seen.acked, ["m1", "m2"]);
    assertEquals(seen.failed, [["m3"]]);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198 bad server: <resumed h='4000000000'/> is a stream error; nothing acked, nothing re-sent, all reported", async () => {
  let afterResume = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      await s.readUntil("m3</body></message>");
      // the link dies here
    },
    async (s) => {
      await fakeAuth(s, true);
      await s.readUntil("/>"); // <resume/>
      await s.write(`<resumed xmlns='${SM}' previd='s1' h='4000000000'/>`);
      afterResume = await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port, {
    reconnect: { initialDelay: 1, jitter: 0, maxAttempts: 1 },
  });
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2", "m3"]) c.send(message(b));
    await until(() => seen.failed.length > 0);
    await server.done;
    assert(
      afterResume.includes(`${TOO_HIGH} h="4000000000" send-count="3"/>`),
      afterResume,
    );
    assert(!afterResume.includes("<body>m1"), "not re-sent");
    assertEquals(seen.acked, []);
    assertEquals(seen.failed, [["m1", "m2", "m3"]]);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198 bad server: <failed h='7'/> after 3 stanzas is a stream error; nothing acked, reported once", async () => {
  let afterFail = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      await s.readUntil("m3</body></message>");
    },
    async (s) => {
      await fakeAuth(s, true);
      await s.readUntil("/>");
      await s.write(
        `<failed xmlns='${SM}' h='7'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`,
      );
      afterFail = await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port, {
    reconnect: { initialDelay: 1, jitter: 0, maxAttempts: 1 },
  });
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2", "m3"]) c.send(message(b));
    await until(() => seen.failed.length > 0);
    await server.done;
    await c.stop();
    assert(afterFail.includes(`${TOO_HIGH} h="7" send-count="3"/>`), afterFail);
    assertEquals(seen.acked, []);
    assertEquals(seen.failed, [["m1", "m2", "m3"]]);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: h wraps around at 2^32 (a resumed h of 1 acks 3 stanzas sent from 4294967294)", async () => {
  let afterResume = "";
  const server = startFakeServers(async (s) => {
    await fakeAuth(s, true);
    await s.readUntil("/>");
    await s.write(`<resumed xmlns='${SM}' previd='w' h='1'/>`);
    afterResume = await s.readUntil("</stream:stream>");
  });
  const state = {
    id: "w",
    jid: "alice@localhost/fake",
    handled: 0,
    acked: 2 ** 32 - 2,
    unacked: ["m1", "m2", "m3"].map((b) => message(b).toString()),
  };
  const c = client(server.port, { streamManagement: { state } });
  const seen = watch(c);
  try {
    await c.start();
    await until(() => seen.acked.length === 3);
    assertEquals(seen.acked, ["m1", "m2", "m3"]);
    await c.stop();
    await server.done;
    assert(!afterResume.includes("handled-count-too-high"), afterResume);
    assert(!afterResume.includes("<body>m"), "nothing re-sent");
    assertEquals(seen.failed, []);
  } finally {
    await c.stop();
    await server.close();
  }
});

/** A server that enables stream management and never acks. */
function neverAcks(script?: (s: FakeSession) => Promise<void>) {
  return startFakeServers(async (s) => {
    await loginSm(s);
    if (script) await script(s);
    await s.readUntil("</stream:stream>");
  });
}

Deno.test("XEP-0198 never-acking server: the unacked queue stops at maxUnacked with UnackedOverflowError", async () => {
  let ack!: () => void;
  const acked = new Promise<void>((r) => ack = r);
  const server = neverAcks(async (s) => {
    await acked;
    await s.write(`<a xmlns='${SM}' h='5'/>`);
  });
  const c = client(server.port, { streamManagement: { maxUnacked: 20 } });
  const errors: Error[] = [];
  c.on("error", (e) => errors.push(e));
  try {
    await c.start();
    for (let i = 0; i < 20; i++) c.send(message(`m${i}`));
    const err = assertThrows(
      () => c.send(message("m20")),
      UnackedOverflowError,
    );
    assert(err instanceof QueueOverflowError);
    assertEquals(err.limit, 20);
    assertEquals(c.streamManagementState()?.unacked.length, 20);
    await assertRejects(
      () =>
        c.iq(xml(
          "iq",
          { type: "get", to: "localhost" },
          xml("ping", {
            xmlns: "urn:xmpp:ping",
          }),
        )),
      UnackedOverflowError,
    );
    assertEquals(c.streamManagementState()?.unacked.length, 20);
    assertEquals(c.status, "online", "the session stays up");
    ack();
    await until(() => c.streamManagementState()?.unacked.length === 15);
    for (let i = 0; i < 5; i++) c.send(message(`n${i}`));
    assertThrows(() => c.send(message("n5")), UnackedOverflowError);
    assertEquals(c.streamManagementState()?.unacked.length, 20);
  } finally {
    c.actor.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: the unacked bound holds across a resume (the queue outlives the session)", async () => {
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      await s.readUntil("m2</body></message>");
      // the link dies here
    },
    async (s) => {
      await fakeAuth(s, true);
      await s.readUntil("/>");
      await s.write(`<resumed xmlns='${SM}' previd='s1' h='0'/>`);
      await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port, {
    reconnect: { initialDelay: 1, jitter: 0 },
    streamManagement: { maxUnacked: 3 },
  });
  try {
    await c.start();
    for (const b of ["m0", "m1", "m2"]) c.send(message(b));
    assertThrows(() => c.send(message("m3")), UnackedOverflowError);
    const resumed = new Promise<void>((r) => c.on("resumed", () => r()));
    await resumed;
    assertEquals(c.streamManagementState()?.unacked.length, 3);
    assertThrows(() => c.send(message("m4")), UnackedOverflowError);
    assertEquals(c.streamManagementState()?.unacked.length, 3);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198 never-acking server: the unacked queue stops at maxUnackedSize", async () => {
  const server = neverAcks();
  const c = client(server.port, {
    streamManagement: { maxUnackedSize: 10_000 },
  });
  try {
    await c.start();
    const big = "x".repeat(1000);
    let sent = 0;
    assertThrows(() => {
      for (; sent < 100; sent++) c.send(message(big));
    }, UnackedOverflowError);
    assert(sent >= 9 && sent <= 11, `stopped after ${sent}`);
    assertEquals(c.streamManagementState()?.unacked.length, sent);
  } finally {
    c.actor.stop();
    await server.close();
  }
});

Deno.test("streamManagement.maxUnacked and maxUnackedSize are checked at construction", () => {
  for (const v of [0, -1, 1.5, NaN]) {
    assertThrows(
      () => client(1, { streamManagement: { maxUnacked: v } }),
      RangeError,
      /maxUnacked/,
    );
    assertThrows(
      () => client(1, { streamManagement: { maxUnackedSize: v } }),
      RangeError,
      /maxUnackedSize/,
    );
  }
  assertThrows(() => client(1, { stopTimeout: -1 }), RangeError, /stopTimeout/);
});

Deno.test("stop() with stream management asks for a final ack and reports what the server did not acknowledge in stopTimeout", async () => {
  let after = "";
  const server = neverAcks(async (s) => {
    after = await s.readUntil(`<r xmlns="${SM}"/>`);
  });
  const c = client(server.port, { stopTimeout: 300 });
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2", "m3"]) c.send(message(b));
    const result = await c.stop();
    await server.done;
    assert(after.includes("m3</body>"), after);
    assertEquals(result.complete, false);
    assertEquals(
      result.undelivered.map((s) => s.getChildText("body")),
      ["m1", "m2", "m3"],
    );
    assertEquals(seen.failed, [["m1", "m2", "m3"]]);
    assertEquals(seen.acked, []);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("stop() with stream management: all acked before the close, nothing reported", async () => {
  let close = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.readUntil(`<r xmlns="${SM}"/>`);
    await s.write(`<a xmlns='${SM}' h='3'/>`);
    close = await s.readUntil("</stream:stream>");
    await s.write("</stream:stream>");
  });
  const c = client(server.port, { stopTimeout: 5000 });
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2", "m3"]) c.send(message(b));
    const result = await c.stop();
    await server.done;
    assertEquals(result, { complete: true, undelivered: [] });
    assertEquals(seen.acked, ["m1", "m2", "m3"]);
    assertEquals(seen.failed, []);
    assert(close.endsWith("</stream:stream>"), close);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("stop() with stream management: all acked, a server that never closes its stream does not make it incomplete", async () => {
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.readUntil(`<r xmlns="${SM}"/>`);
    await s.write(`<a xmlns='${SM}' h='2'/>`);
    await s.readUntil("</stream:stream>");
    await s.readUntil("\0").catch(() => {}); // no close: until the client goes
  });
  const c = client(server.port, { stopTimeout: 5000 });
  const seen = watch(c);
  try {
    await c.start();
    for (const b of ["m1", "m2"]) c.send(message(b));
    const result = await c.stop();
    assertEquals(result, { complete: true, undelivered: [] });
    assertEquals(seen.acked, ["m1", "m2"]);
    await server.done;
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("stop() without stream management reports what a server that stopped reading never got", async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  const server = startFakeServers(async (s) => {
    await fakeAuth(s, false);
    await fakeBind(s);
    await held; // reads nothing more
  });
  const c = client(server.port, { stopTimeout: 300 });
  const seen = watch(c);
  try {
    await c.start();
    const body = "z".repeat(60_000);
    for (let i = 0; i < 500; i++) c.send(message(body));
    const result = await c.stop();
    assertEquals(result.complete, false);
    assert(result.undelivered.length > 0, "some could not be written");
    assertEquals(seen.failed.flat().length, result.undelivered.length);
    assert(seen.failed.flat().every((b) => b === body));
  } finally {
    release();
    await c.stop();
    await server.close();
  }
});

Deno.test("stop() while reconnecting reports the queued stanzas it drops", async () => {
  const server = startFakeServers(async (s) => {
    await fakeAuth(s, false);
    await fakeBind(s);
    // the link dies; nothing listens any more
  });
  const c = client(server.port, {
    reconnect: { initialDelay: 60_000, jitter: 0 },
    streamManagement: { enabled: false },
  });
  const seen = watch(c);
  try {
    await c.start();
    await until(() => c.status === "reconnecting");
    c.send(message("q1"));
    c.send(message("q2"));
    const result = await c.stop();
    assertEquals(result.complete, false);
    assertEquals(result.undelivered.map((s) => s.getChildText("body")), [
      "q1",
      "q2",
    ]);
    assertEquals(seen.failed, [["q1", "q2"]]);
    assertThrows(() => c.send(message("q3")), ClientStoppedError);
  } finally {
    await c.stop();
    await server.close();
  }
});
