// Stanza handlers that are actors: the connection machine hands each claimed
// stanza to the plugin actor, and the actor's router.answer is checked and
// written like a function handler's answer (one ordered list for both).
import { assert, assertEquals, assertRejects } from "./deps.ts";
import {
  definePlugin,
  type Element,
  type RouterAnswer,
  StanzaError,
  xml,
} from "../mod.ts";
import { assign, enqueueActions, setup } from "../src/deps.ts";
import type { AnyActorRef } from "../src/types.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { withPeers } from "./support/peers.ts";

const NS = "urn:example:actor-handler";
const ignore = !hasProsody() && !requireServers();

interface Delivery {
  type: string;
  stanza: Element;
  replyTo: { send(e: unknown): void };
}

// Answers <q mode='ok|fail|leak|huge'/>; counts messages it is handed.
const machine = setup({
  types: { context: {} as { messages: string[] }, events: {} as Delivery },
}).createMachine({
  context: { messages: [] },
  on: {
    "echo.iq": {
      actions: enqueueActions(({ event, enqueue }) => {
        const q = event.stanza.getChild("q");
        const mode = q?.attrs.mode;
        const answer = mode === "fail"
          ? { error: new StanzaError("not-allowed", "cancel", "secret /etc") }
          : mode === "leak"
          ? { error: new Error("db password is hunter2") }
          : mode === "huge"
          ? { payload: xml("q", { xmlns: NS }, "x".repeat(300_000)) }
          : { payload: xml("q", { xmlns: NS, echoed: q?.attrs.v ?? "" }) };
        const reply: RouterAnswer = {
          type: "router.answer",
          request: event.stanza,
          ...answer,
        };
        enqueue.sendTo(event.replyTo as AnyActorRef, reply as never);
      }),
    },
    "echo.message": {
      actions: assign({
        messages: ({ context, event }) => [
          ...context.messages,
          event.stanza.getChildText("body") ?? "",
        ],
      }),
    },
  },
});

const echo = definePlugin({
  name: "echo_actor",
  machine,
  handlers: [
    { kind: "iq", match: { type: "get", xmlns: NS }, event: "echo.iq" },
    { kind: "message", match: { name: "body" }, event: "echo.message" },
  ],
  create: ({ actor }) => ({ actor }),
});

Deno.test("definePlugin() refuses a handler with both or neither of handle and event", () => {
  for (const h of [{}, { event: "" }, { event: "x", handle: () => {} }]) {
    let threw = false;
    try {
      definePlugin({
        name: "bad_handler",
        handlers: [{ kind: "iq", match: {}, ...h }],
        create: () => ({}),
      });
    } catch (e) {
      threw = e instanceof TypeError;
    }
    assert(threw, JSON.stringify(h));
  }
});

Deno.test({
  name:
    "actor handlers over Prosody: answers, stanza errors, no leaked detail, oversized answers refused, messages delivered",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob }) => {
      const errors: Error[] = [];
      bob.on("error", (e) => void errors.push(e));
      const p = bob.registerPlugin(echo);
      const ask = (attrs: Record<string, string>) =>
        alice.iq(
          xml(
            "iq",
            { type: "get", to: bob.jid },
            xml("q", { xmlns: NS, ...attrs }),
          ),
        );

      const ok = await ask({ v: "7" });
      assertEquals(ok.getChild("q")?.attrs.echoed, "7");

      // A StanzaError is an answer: its condition, never its text.
      const denied = await assertRejects(
        () => ask({ mode: "fail" }),
        StanzaError,
      );
      assertEquals(denied.condition, "not-allowed");
      assert(!denied.message.includes("/etc"));

      // Any other failure: internal-server-error, detail only local.
      const leak = await assertRejects(
        () => ask({ mode: "leak" }),
        StanzaError,
      );
      assertEquals(leak.condition, "internal-server-error");
      assert(
        !String(leak.stanza ?? "").includes("hunter2") &&
          !leak.message.includes("hunter2"),
      );
      assert(errors.some((e) => e.message.includes("hunter2")));

      // An answer over the outgoing limit is not sent: the peer gets an error.
      const huge = await assertRejects(
        () => ask({ mode: "huge" }),
        StanzaError,
      );
      assertEquals(huge.condition, "internal-server-error");

      // Function handlers share the list: bob still answers other IQs, and
      // an unclaimed namespace is service-unavailable.
      const none = await assertRejects(
        () =>
          alice.iq(
            xml(
              "iq",
              { type: "get", to: bob.jid },
              xml("q", { xmlns: "urn:x:none" }),
            ),
          ),
        StanzaError,
      );
      assertEquals(none.condition, "service-unavailable");

      alice.send(xml("message", { to: bob.jid }, xml("body", {}, "hello")));
      for (let i = 0; i < 100; i++) {
        if (p.actor.getSnapshot().context.messages.length > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assertEquals(p.actor.getSnapshot().context.messages, ["hello"]);
    }),
});
