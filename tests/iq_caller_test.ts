import { assert, assertEquals, assertRejects } from "./_helpers.ts";
import { type Element, xml } from "../src/deps.ts";
import {
  ClientStoppedError,
  ConnectionError,
  StanzaError,
  TimeoutError,
} from "../src/errors.ts";
import { iqCaller } from "../actors/connection/iq_caller.ts";
import { harness } from "./support/harness.ts";

const ALICE = { local: "alice", domain: "localhost" };

function start(timeout = 1000) {
  const h = harness(iqCaller, { jid: ALICE, timeout });
  let n = 0;
  const call = (to?: string, callTimeout?: number) => {
    const id = `q${++n}`;
    const stanza = xml("iq", { type: "get", id, ...(to ? { to } : {}) });
    const answer = new Promise<Element>((resolve, reject) =>
      h.child.send({
        type: "iq.call",
        id,
        stanza,
        timeout: callTimeout,
        resolve,
        reject,
      })
    );
    return { id, answer };
  };
  const result = (id: string, from?: string) =>
    h.child.send({
      type: "iq.result",
      id,
      from,
      stanza: xml("iq", { type: "result", id, ...(from ? { from } : {}) }),
    });
  return { ...h, call, result };
}

Deno.test("iqCaller sends each call to the connection and settles it with its answer", async () => {
  const s = start();
  const { id, answer } = s.call("bob@localhost/b");
  assertEquals(s.seen.map((e) => [e.type, e.id]), [["iq.send", id]]);
  s.result(id, "bob@localhost/b");
  assertEquals((await answer).attrs.type, "result");

  const failing = s.call("bob@localhost/b");
  const error = new StanzaError("item-not-found");
  s.child.send({
    type: "iq.error",
    id: failing.id,
    from: "bob@localhost/b",
    stanza: xml("iq", { type: "error", id: failing.id }),
    error,
  });
  assertEquals(await assertRejects(failing.answer, StanzaError), error);
  s.stop();
});

Deno.test("iqCaller takes an answer only from the JID the request went to", async () => {
  const s = start();
  const { id, answer } = s.call("bob@localhost/b");
  let settled = false;
  answer.finally(() => (settled = true));
  s.result(id, "carol@localhost/c");
  await Promise.resolve();
  assertEquals(settled, false);
  const passedOn = s.seen.at(-1)!;
  assertEquals(
    passedOn.type,
    "iq.unclaimed",
    "a foreign answer goes on as a stanza",
  );
  s.result(id, "bob@localhost/b");
  await answer;

  // A request to the server (no `to`) may be answered by the domain.
  const server = s.call();
  s.result(server.id, "localhost");
  await server.answer;
  // A request to our bare JID may be answered by our bound JID.
  s.child.send({ type: "iq.online", jid: "alice@localhost/r" });
  const own = s.call("alice@localhost");
  s.result(own.id, "alice@localhost/r");
  await own.answer;
  s.stop();
});

Deno.test("iqCaller times out per call; a queued IQ that expires is taken out of the queue", async () => {
  const s = start(5000);
  const sent = s.call("bob@localhost/b", 10);
  const queued = s.call("bob@localhost/b", 20);
  s.child.send({ type: "iq.queued", id: queued.id });
  const err = await assertRejects(sent.answer, TimeoutError);
  assert(err.message.includes("no reply"), err.message);
  await assertRejects(queued.answer, TimeoutError);
  const expired = s.seen.filter((e) => e.type === "iq.expired");
  assertEquals(expired.map((e) => e.id), [queued.id]);
  s.stop();
});

Deno.test("iqCaller rejects written IQs when the session ends, and keeps queued ones", async () => {
  const s = start();
  const sent = s.call("bob@localhost/b");
  const queued = s.call("bob@localhost/b");
  s.child.send({ type: "iq.queued", id: queued.id });
  s.child.send({
    type: "iq.offline",
    error: new ConnectionError("Cannot get IQ answer: the session ended"),
  });
  await assertRejects(sent.answer, ConnectionError);
  s.child.send({ type: "iq.online", jid: "alice@localhost/r" });
  s.result(queued.id, "bob@localhost/b");
  await queued.answer;
  s.stop();
});

Deno.test("iqCaller rejects everything on rejectAll and when it stops", async () => {
  const s = start();
  const a = s.call("bob@localhost/b");
  s.child.send({
    type: "iq.rejectAll",
    error: new ClientStoppedError("Cannot send: the connection stopped"),
  });
  await assertRejects(a.answer, ClientStoppedError);

  const b = s.call("bob@localhost/b");
  const c = s.call();
  s.child.send({ type: "iq.queued", id: c.id });
  s.stop();
  await assertRejects(b.answer, ClientStoppedError);
  await assertRejects(c.answer, ClientStoppedError);
});

Deno.test("iqCaller refuses a second call with an id already waiting", async () => {
  const s = start();
  const first = s.call("bob@localhost/b");
  const again = new Promise<Element>((resolve, reject) =>
    s.child.send({
      type: "iq.call",
      id: first.id,
      stanza: xml("iq", { type: "get", id: first.id }),
      resolve,
      reject,
    })
  );
  await assertRejects(again, TypeError, /already waiting/);
  assertEquals(s.seen.filter((e) => e.type === "iq.send").length, 1);
  s.child.send({
    type: "iq.refused",
    id: first.id,
    error: new TypeError("refused"),
  });
  await assertRejects(first.answer, TypeError, /refused/);
  s.stop();
});

Deno.test("iqCaller answers an actor's call (replyTo) through its parent: result, spoofed answer, timeout, duplicate id", async () => {
  const s = start();
  const me = s.child; // any actor ref will do as the addressee
  const call = (id: string, to: string, timeout?: number) =>
    s.child.send({
      type: "iq.call",
      id,
      stanza: xml("iq", { type: "get", id, to }),
      timeout,
      replyTo: me,
    });
  const replies = () =>
    s.seen.filter((e) => e.type === "iq.reply") as unknown as {
      to: unknown;
      answer: { type: string; id: string; stanza?: Element; error?: Error };
    }[];

  call("a1", "bob@localhost/b");
  // An answer from someone else is not the answer (RFC 6120 §8.1.2.1).
  s.result("a1", "mallory@evil.example/x");
  assertEquals(replies().length, 0);
  s.result("a1", "bob@localhost/b");
  const [ok] = replies();
  assert(ok.to === me);
  assertEquals([ok.answer.type, ok.answer.id], ["iq.answer", "a1"]);
  assertEquals(ok.answer.stanza?.attrs.type, "result");

  call("a2", "bob@localhost/b", 10);
  for (let i = 0; i < 50 && replies().length < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert(replies()[1].answer.error instanceof TimeoutError);

  call("a3", "bob@localhost/b");
  call("a3", "bob@localhost/b");
  assert(replies()[2].answer.error instanceof TypeError);
  s.stop();
});
