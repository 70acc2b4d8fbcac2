/**
 * The presence `resendPresence` re-sends (a plugin's hook: caps, avatar
 * hash, idle) belongs to one session. A new session (not a resumed one)
 * starts with no presence: a resend asked for while offline, or in the new
 * session before the user sent one, sends nothing; once the user sends one
 * in it, resends work again. A resumed session keeps its presence: a resend
 * asked for while offline is sent after the resumption.
 *
 * Scripted in-process servers (`startFakeServers` in `./_helpers.ts`).
 *
 * @module
 */
import { createClient, definePlugin } from "../mod.ts";
import type { PluginHost } from "../actors/plugin/define.ts";
import { xml } from "../src/deps.ts";
import {
  assert,
  assertEquals,
  fakeLogin,
  fakeLoginSm,
  fakeResume,
  NS_SM,
  startFakeServers,
} from "./_helpers.ts";

function client(port: number) {
  const xmpp = createClient({
    jid: "alice@localhost",
    password: "pw",
    service: `xmpp://127.0.0.1:${port}`,
    allowPlainWithoutTls: true,
    allowUnencrypted: true,
    reconnect: { initialDelay: 1 },
  });
  let host!: PluginHost;
  xmpp.registerPlugin(definePlugin({
    name: "probe",
    create: (p) => {
      host = p.host;
    },
  }));
  return { xmpp, host: () => host };
}

function away(): ReturnType<typeof xml> {
  return xml("presence", {}, xml("show", {}, "away"));
}

function count(text: string, what: string): number {
  return text.split(what).length - 1;
}

Deno.test("resendPresence: a new session starts with no presence; a resend while offline or before the user's own sends nothing", async () => {
  let second = "";
  const server = startFakeServers(async (s) => {
    await fakeLogin(s);
    await s.readUntil("</presence>");
    // the link is cut when the script returns
  }, async (s) => {
    await fakeLogin(s);
    const start = s.received.length;
    await s.readUntil('id="mark"');
    await s.readUntil("</presence>");
    await s.readUntil("</presence>");
    await s.readUntil("</stream:stream>");
    second = s.received.slice(start);
  });
  const { xmpp, host } = client(server.port);
  let onlines = 0;
  let back!: () => void;
  const online2 = new Promise<void>((r) => back = r);
  xmpp.on("status", (st) => {
    // offline between the sessions: nothing to decide yet
    if (st === "reconnecting") host().resendPresence();
    if (st === "online" && ++onlines === 2) back();
  });
  try {
    await xmpp.start();
    xmpp.send(away());
    await online2;
    // in the new session, before the user sent a presence: nothing
    host().resendPresence();
    xmpp.send(xml("message", { to: "bob@localhost", id: "mark" }));
    // the user's presence in this session, then a resend of it
    xmpp.send(xml("presence", {}, xml("show", {}, "dnd")));
    host().resendPresence();
    await xmpp.stop();
    await server.done;
    const beforeMark = second.slice(0, second.indexOf("mark"));
    assertEquals(count(beforeMark, "<presence"), 0, second);
    assertEquals(count(second, "<presence"), 2, second);
    assertEquals(count(second, "<show>dnd</show>"), 2, second);
    assert(!second.includes("away"), second);
  } finally {
    await xmpp.stop();
    await server.close();
  }
});

Deno.test("resendPresence: a resumed session keeps its presence; a resend asked for while offline is sent after the resumption", async () => {
  let second = "";
  const server = startFakeServers(async (s) => {
    await fakeLoginSm(s);
    await s.readUntil("</presence>");
  }, async (s) => {
    await fakeResume(s);
    await s.write(`<resumed xmlns='${NS_SM}' previd='s1' h='1'/>`);
    const start = s.received.length;
    await s.readUntil("</presence>");
    // stop() waits until everything is acknowledged
    await s.readUntil("<r ");
    await s.write(`<a xmlns='${NS_SM}' h='2'/>`);
    await s.readUntil("</stream:stream>");
    second = s.received.slice(start);
  });
  const { xmpp, host } = client(server.port);
  let resumed!: () => void;
  const wasResumed = new Promise<void>((r) => resumed = r);
  xmpp.on("status", (st) => {
    if (st === "reconnecting") host().resendPresence();
  });
  xmpp.on("resumed", () => resumed());
  try {
    await xmpp.start();
    xmpp.send(away());
    await wasResumed;
    await xmpp.stop();
    await server.done;
    assertEquals(count(second, "<show>away</show>"), 1, second);
  } finally {
    await xmpp.stop();
    await server.close();
  }
});
