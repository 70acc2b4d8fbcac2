/**
 * XEP-0198 stream management against a scripted server: the situations a
 * real server produces only by chance, among them the known bugs of xmpp.js
 * and Stanza, each as its own case.
 */
import { DenoConnection } from "../actors/connection/deno.ts";
import type { ConnectionOptions } from "../actors/connection/connection.ts";
import type { ConnectionStatus } from "../actors/connection/machine.ts";
import { type Element, xml } from "../src/deps.ts";
import { ConnectionError, StreamError } from "../src/errors.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  bodyMessage as message,
  fakeAuth,
  fakeBind,
  fakeLogin,
  fakeLoginSm as loginSm,
  fakeResume as readResume,
  NS_SM,
  SERVER_HEADER,
  startFakeServers,
} from "./_helpers.ts";

const SM = NS_SM;

function client(port: number, extra: Partial<ConnectionOptions> = {}) {
  return new DenoConnection({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    reconnect: { initialDelay: 1, jitter: 0 },
    // these scripts never answer the last <r/> of stop()
    stopTimeout: 300,
    ...extra,
    streamManagement: {
      ackEvery: 1000,
      ackInterval: 60_000,
      ...extra.streamManagement,
    },
  });
}

function incoming(body: string): string {
  return `<message from='bob@localhost/b' to='alice@localhost/fake'><body>${body}</body></message>`;
}

function statusOf(c: DenoConnection) {
  const seen: ConnectionStatus[] = [];
  c.on("status", (s) => seen.push(s));
  return seen;
}

function when<T>(register: (done: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

const count = (text: string, part: string) => text.split(part).length - 1;

Deno.test("XEP-0198: a stanza before <enabled/> is delivered but not counted (xmpp.js #822)", async () => {
  let answer = "";
  const server = startFakeServers(async (s) => {
    await fakeAuth(s, true);
    await fakeBind(s);
    await s.readUntil('resume="true"/>');
    await s.write(incoming("early"));
    await s.write(`<enabled xmlns='${SM}' id='s1' resume='true'/>`);
    await s.write(incoming("counted"));
    await s.write(`<r xmlns='${SM}'/>`);
    answer = await s.readUntil("/>");
    await s.readUntil("</stream:stream>");
  });
  const c = client(server.port);
  const bodies: string[] = [];
  c.on("stanza", (st) => bodies.push(st.getChildText("body") ?? ""));
  try {
    const both = when<void>((done) =>
      c.on("stanza", () => bodies.length === 2 && done())
    );
    await c.start();
    await both;
    await c.stop();
    await server.done;
    assertEquals(bodies, ["early", "counted"]);
    assert(answer.includes(`<a xmlns="${SM}" h="1"/>`), answer);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: the outgoing queue is kept across a resume and only the unacked is re-sent (xmpp.js #1119)", async () => {
  let resume = { previd: "", h: -1 };
  let afterResume = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      await s.readUntil("m3</body></message>");
      await s.write(`<a xmlns='${SM}' h='2'/>`);
      await new Promise((r) => setTimeout(r, 50));
      // the link dies here
    },
    async (s) => {
      resume = await readResume(s);
      await s.write(`<resumed xmlns='${SM}' previd='s1' h='2'/>`);
      afterResume = await s.readUntil("m4</body></message>");
      await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port);
  const st = statusOf(c);
  try {
    await c.start();
    c.send(message("m1"));
    c.send(message("m2"));
    c.send(message("m3"));
    const resumed = when<string>((done) => c.on("resumed", done));
    c.on("offline", () => c.send(message("m4")));
    assertEquals(await resumed, "alice@localhost/fake");
    await c.stop();
    await server.done;
    assertEquals(resume, { previd: "s1", h: 0 });
    assertEquals(count(afterResume, "<body>m1</body>"), 0);
    assertEquals(count(afterResume, "<body>m2</body>"), 0);
    assertEquals(count(afterResume, "<body>m3</body>"), 1);
    assert(afterResume.indexOf("m3") < afterResume.indexOf("m4"), "in order");
    assert(st.includes("resuming") && !st.includes("failed"));
    assertEquals(st.filter((s) => s === "binding").length, 1, "no re-bind");
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: the handled counter survives a resume, so nothing is re-sent twice (Stanza #494/#495)", async () => {
  let resume = { previd: "", h: -1 };
  let answer = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      for (const b of ["a", "b", "c"]) await s.write(incoming(b));
      await new Promise((r) => setTimeout(r, 100));
    },
    async (s) => {
      resume = await readResume(s);
      await s.write(`<resumed xmlns='${SM}' previd='s1' h='0'/>`);
      await s.write(incoming("d"));
      await s.write(`<r xmlns='${SM}'/>`);
      answer = await s.readUntil("/>");
      await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port);
  const bodies: string[] = [];
  c.on("stanza", (st) => bodies.push(st.getChildText("body") ?? ""));
  try {
    await c.start();
    const four = when<void>((done) =>
      c.on("stanza", () => bodies.length === 4 && done())
    );
    await four;
    await new Promise((r) => setTimeout(r, 50));
    await c.stop();
    await server.done;
    assertEquals(resume, { previd: "s1", h: 3 });
    assert(answer.includes(`h="4"`), answer);
    assertEquals(bodies, ["a", "b", "c", "d"]);
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: an unanswered ack request does not block requests after a failed resume (Stanza #382)", async () => {
  let second = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      await s.readUntil("m1</body></message>");
      await s.readUntil(`<r xmlns="${SM}"/>`); // never answered
    },
    async (s) => {
      await readResume(s);
      await s.write(
        `<failed xmlns='${SM}'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`,
      );
      await fakeBind(s);
      await s.readUntil('resume="true"/>');
      await s.write(`<enabled xmlns='${SM}' id='s2' resume='true'/>`);
      second = await s.readUntil(`<r xmlns="${SM}"/>`);
      await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port, { streamManagement: { ackInterval: 30 } });
  try {
    await c.start();
    c.send(message("m1"));
    const fresh = when<void>((done) =>
      c.on("online", () => c.send(message("m2")) ?? done())
    );
    await fresh;
    while (!second) await new Promise((r) => setTimeout(r, 10));
    await c.stop();
    await server.done;
    assert(second.includes("<body>m2</body>"), second);
    assert(second.endsWith(`<r xmlns="${SM}"/>`));
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: after a failed resume the unacked are reported failed, not acked, once (Stanza #423)", async () => {
  let afterFail = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s);
      await s.readUntil("</iq>");
    },
    async (s) => {
      await readResume(s);
      await s.write(
        `<failed xmlns='${SM}' h='1'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`,
      );
      await fakeBind(s);
      await s.readUntil('resume="true"/>');
      await s.write(`<enabled xmlns='${SM}' id='s2' resume='true'/>`);
      afterFail = await s.readUntil("</stream:stream>");
    },
  );
  const c = client(server.port);
  const acked: string[] = [];
  const failed: string[][] = [];
  c.on("acked", (ss) => acked.push(...ss.map((s) => s.toString())));
  c.on("failedStanzas", (ss, error) => {
    assert(error instanceof ConnectionError);
    failed.push(ss.map((s) => s.getChildText("body") ?? s.name));
  });
  try {
    await c.start();
    c.send(message("m1"));
    c.send(message("m2"));
    c.send(message("m3"));
    const iq = assertRejects(
      c.iq(xml(
        "iq",
        { type: "get", to: "localhost" },
        xml("ping", {
          xmlns: "urn:xmpp:ping",
        }),
      )),
      ConnectionError,
    );
    const online = when<void>((done) => c.on("online", () => done()));
    await iq;
    await online;
    assertEquals(acked.length, 1);
    assert(acked[0].includes("m1"));
    assertEquals(failed, [["m2", "m3", "iq"]]);
    await c.stop();
    await server.done;
    assertEquals(failed.length, 1, "nothing reported twice");
    assert(!afterFail.includes("<body>m2"), "not re-sent on the new session");
  } finally {
    await c.stop();
    await server.close();
  }
});

Deno.test("XEP-0198: a saved state resumes in a new connection (page reload)", async () => {
  let resume = { previd: "", h: -1 };
  let afterResume = "";
  const server = startFakeServers(
    async (s) => {
      await loginSm(s, "saved");
      await s.write(incoming("x"));
      await s.readUntil("m1</body></message>");
      await s.readUntil("\0").catch(() => {}); // until the client goes away
    },
    async (s) => {
      resume = await readResume(s);
      await s.write(`<resumed xmlns='${SM}' previd='saved' h='0'/>`);
      afterResume = await s.readUntil("m1</body></message>");
      await s.readUntil("</stream:stream>");
    },
  );
  const first = client(server.port);
  try {
    await first.start();
    await when<Element>((done) => first.on("stanza", done));
    first.send(message("m1"));
    await new Promise((r) => setTimeout(r, 20));
    const state = first.streamManagementState();
    assert(state);
    const saved = JSON.parse(JSON.stringify(state));
    assertEquals(saved.id, "saved");
    assertEquals(saved.handled, 1);
    assertEquals(saved.unacked.length, 1);
    first.actor.stop(); // the page goes away: no clean close
    const second = client(server.port, {
      streamManagement: { state: saved },
    });
    try {
      await second.start();
      assertEquals(second.jid, "alice@localhost/fake");
      await second.stop();
      await server.done;
      assertEquals(resume, { previd: "saved", h: 1 });
      assertEquals(count(afterResume, "<body>m1</body>"), 1);
    } finally {
      await second.stop();
    }
  } finally {
    await server.close();
  }
});

Deno.test("see-other-host is followed once, to a host of the same domain only", async (t) => {
  await t.step("followed to localhost:<port>", async () => {
    const target = startFakeServers(fakeLogin, async (s) => {
      await s.readUntil("\0").catch(() => {});
    });
    const first = startFakeServers(async (s) => {
      await s.readUntil("'>");
      await s.write(
        SERVER_HEADER +
          `<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>localhost:${target.port}</see-other-host></stream:error></stream:stream>`,
      );
      await s.readUntil("</stream:stream>");
    });
    const c = client(first.port, { streamManagement: { enabled: false } });
    try {
      await c.start();
      assertEquals(c.jid, "alice@localhost/fake");
      assertEquals(
        c.actor.getSnapshot().context.service.url,
        `xmpp://localhost:${target.port}`,
      );
    } finally {
      await c.stop();
      await first.close();
      await target.close();
    }
  });
  await t.step("refused to another domain", async () => {
    const first = startFakeServers(async (s) => {
      await s.readUntil("'>");
      await s.write(
        SERVER_HEADER +
          `<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>evil.example:5222</see-other-host></stream:error></stream:stream>`,
      );
      await s.readUntil("</stream:stream>");
    });
    const c = client(first.port);
    try {
      const err = await assertRejects(c.start(), StreamError);
      assertEquals(err.condition, "see-other-host");
    } finally {
      await c.stop();
      await first.close();
    }
  });
});

Deno.test("XEP-0198 ackDelay: requests within the delay share one <a/> counting every stanza handled until it goes; 0 answers each", async (t) => {
  for (const ackDelay of [0, 1000]) {
    await t.step(`ackDelay ${ackDelay}`, async () => {
      let answers = "";
      const server = startFakeServers(async (s) => {
        await loginSm(s);
        // three requests, each after a stanza, in separate reads (this
        // script's socket has Nagle on: a write can wait ~40 ms for the
        // ACK of the one before)
        for (const body of ["1", "2", "3"]) {
          await s.write(incoming(body) + `<r xmlns='${SM}'/>`);
          await new Promise((r) => setTimeout(r, 150));
        }
        answers = await s.readUntil("/>");
        if (ackDelay === 0) {
          answers += await s.readUntil("/>");
          answers += await s.readUntil("/>");
        }
        await s.readUntil("</stream:stream>");
      });
      const c = client(server.port, { streamManagement: { ackDelay } });
      const bodies: string[] = [];
      c.on("stanza", (st) => bodies.push(st.getChildText("body") ?? ""));
      try {
        await c.start();
        // the scripted server reads until all its answers came (or the
        // test's timeout ends it)
        while (answers === "") await new Promise((r) => setTimeout(r, 10));
        const hs = [...answers.matchAll(/<a [^>]*h="(\d+)"/g)].map((m) => m[1]);
        console.log(JSON.stringify(server.received().slice(-400)));
        assertEquals(bodies, ["1", "2", "3"]);
        assertEquals(hs, ackDelay === 0 ? ["1", "2", "3"] : ["3"]);
      } finally {
        await c.stop();
        await server.close();
      }
    });
  }
});

Deno.test("XEP-0198 ackDelay: stop() sends the count at once, without waiting for the delay", async () => {
  let text = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.write(incoming("1") + `<r xmlns='${SM}'/>`);
    text = await s.readUntil("</stream:stream>");
  });
  const c = client(server.port, { streamManagement: { ackDelay: 10_000 } });
  const got = when<void>((done) => c.on("stanza", () => done()));
  try {
    await c.start();
    await got;
    await c.stop(); // the script never acks: stopTimeout (300 ms) ends it
    assertEquals(count(text, `<a xmlns="${SM}" h="1"/>`), 1, text);
    assert(text.indexOf("<a ") < text.indexOf("</stream:stream>"));
  } finally {
    await server.close();
  }
});

Deno.test("XEP-0198 ackDelay: an <r/> whose <a/> waits is ACKed at once by a whitespace, so a server with Nagle on does not hold its next stanza", async () => {
  let first = "";
  const server = startFakeServers(async (s) => {
    await loginSm(s);
    await s.write(incoming("1") + `<r xmlns='${SM}'/>`);
    first = await s.readUntil(" "); // what the client writes next
    await s.readUntil("</stream:stream>");
  });
  const c = client(server.port, { streamManagement: { ackDelay: 10_000 } });
  try {
    await c.start();
    while (first === "") await new Promise((r) => setTimeout(r, 10));
    assertEquals(first, " "); // the whitespace, not the waiting <a/>
  } finally {
    await c.stop();
    await server.close();
  }
});
