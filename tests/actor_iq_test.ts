// An actor's IQ (iq.call with replyTo) over Prosody: its answer reaches the
// actor as iq.answer, from the JID it was sent to only — a forged answer
// from anyone else with the same id is not taken.
import { assert, assertEquals } from "./deps.ts";
import { definePlugin, type Element, xml } from "../mod.ts";
import { assign, setup } from "../src/deps.ts";
import type { AnyActorRef } from "../src/types.ts";
import { hasProsody, requireServers } from "./support/prosody.ts";
import { withPeers } from "./support/peers.ts";

const NS = "urn:example:actor-iq";
const ignore = !hasProsody() && !requireServers();

interface Answer {
  type: "iq.answer";
  id: string;
  stanza?: Element;
  error?: Error;
}

// Records every iq.answer it gets.
const asker = definePlugin({
  name: "asker",
  machine: setup({
    types: { context: {} as { answers: Answer[] }, events: {} as Answer },
  }).createMachine({
    context: { answers: [] },
    on: {
      "iq.answer": {
        actions: assign({
          answers: ({ context, event }) => [...context.answers, event],
        }),
      },
    },
  }),
  create: ({ actor, host }) => ({ actor, host }),
});

// Takes IQs in NS and never answers them (the test answers by hand).
const silent = definePlugin({
  name: "silent",
  machine: setup({}).createMachine({}),
  handlers: [{ kind: "iq", match: { xmlns: NS }, event: "silent.iq" }],
  create: () => ({}),
});

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
};

Deno.test({
  name:
    "an actor's IQ is answered by the JID it went to only; a forged answer with its id is ignored",
  ignore,
  fn: () =>
    withPeers(async ({ alice, bob, carol }) => {
      bob.registerPlugin(silent);
      const a = alice.registerPlugin(asker);
      const answers = () => a.actor.getSnapshot().context.answers as Answer[];
      const id = "actor-iq-1";
      a.host.iqCaller().send({
        type: "iq.call",
        id,
        stanza: xml(
          "iq",
          { type: "get", to: bob.jid, id },
          xml("q", { xmlns: NS }),
        ),
        replyTo: a.actor as AnyActorRef,
      });
      // Carol forges the answer (she learnt the id somehow).
      carol.send(xml("iq", { type: "result", to: alice.jid, id }));
      await new Promise((r) => setTimeout(r, 200));
      assertEquals(answers().length, 0, "a forged answer was taken");
      // Bob's real answer is.
      bob.send(
        xml(
          "iq",
          { type: "result", to: alice.jid, id },
          xml("q", { xmlns: NS, ok: "1" }),
        ),
      );
      await until(() => answers().length > 0);
      assertEquals(answers().length, 1);
      assertEquals(answers()[0].id, id);
      assertEquals(answers()[0].stanza?.getChild("q")?.attrs.ok, "1");
      assert(answers()[0].error === undefined);
      // Answered once: a second copy of the answer is not taken.
      bob.send(xml("iq", { type: "result", to: alice.jid, id }));
      await new Promise((r) => setTimeout(r, 200));
      assertEquals(answers().length, 1);
    }),
});
