/**
 * The data path under XState's inspection API (issue 22): every message one
 * of the client's actors gets from another is sent the XState way (`sendTo`,
 * `sendParent`, a callback's `sendBack`...), so the inspector sees who sent
 * it (`sourceRef`). Only a call that starts in user code may arrive without
 * a source, and only once per call, at the facade. And a client is one
 * actor system: one root.
 *
 * The cases use the public API only: `createClient({ inspect })` and what
 * it returns (the recorder's own check runs on a toy machine). Events
 * are recorded during a window (after setup, before teardown); the failure
 * messages group the offenders as `event.type → target id` with counts, a
 * to-do list for whoever moves the code.
 *
 * @module
 */
import { assert } from "./deps.ts";
import {
  type BobPlugin,
  type Client,
  createClient,
  fileStorage,
  type InspectionEvent,
} from "../mod.ts";
import { hasProsody, requireServers, startProsody } from "./support/prosody.ts";
import { createActor, createMachine, sendTo } from "../src/deps.ts";

/**
 * The events that may arrive with no `sourceRef`, as regexes over
 * `"<event.type> → <target actor id>"`. A call that starts in user code
 * (`getBob()`, `api.bind()`, `send()`...) has no actor to send from: it
 * enters the actor tree once, at the facade, as one event to one actor.
 * Everything after that entry is actor to actor and must carry its source.
 * To narrow an entry to its target, write the id after the arrow, e.g.
 * `/^bob\.fetch → network$/`.
 */
const FACADE_ENTRIES: RegExp[] = [
  /^api\.call → /,
  // The direct path of a storage op outside a migration (`callDirect`).
  /^storage\.(get|set|del) → storage/,
  /^api\.bind → /,
  /^connection\.send → /,
  /^iq\.call → /,
  /^bob\.set → /,
  /^bob\.del → /,
  /^bob\.fetch → /,
  /^client\.load_plugin → /,
];

const enc = new TextEncoder();
const ignore = !hasProsody() && !requireServers();

/** Lets queued messages and promise callbacks run (no wall-clock bound). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}

/** The public `id` of an actor ref (`ActorRefLike`'s type omits it). */
function idOf(ref: unknown): string {
  return String((ref as { id?: unknown } | undefined)?.id ?? "?");
}

// How XState 5.33 reports messages (`@xstate.event`), as this test reads it:
// `sendTo`, `sendParent`, a delayed `raise` and a callback's `sendBack` carry
// the sender as `sourceRef`; `ref.send()` carries none; a plain `raise` is
// not reported at all (it never leaves the machine); an `emit` is not an
// event either. A root's `xstate.init` has no source, so a root made during
// the window shows up as a sourceless `xstate.init`. `rootId` is the
// `sessionId` of the root of the system whose code sent: a message from one
// system to an actor of another carries the sender's `rootId`.

/** What one client's inspection observer saw. */
class Recorder {
  /** The client's name in the failure message. */
  readonly name: string;
  /** Root ids of every `@xstate.actor` event, for the client's whole life. */
  readonly roots = new Map<string, string>();
  /** `@xstate.event`s seen with no `sourceRef` in the window, by key. */
  readonly sourceless = new Map<string, number>();
  /** `@xstate.event`s seen in the window. */
  events = 0;
  /** User calls made on this client in the window. */
  calls = 0;
  #recording = false;

  constructor(name: string) {
    this.name = name;
  }

  /** The observer to give `createClient({ inspect })`. */
  readonly inspect = (ev: InspectionEvent): void => {
    if (ev.type === "@xstate.actor") {
      // `rootId` is the root's `sessionId`: one per actor system.
      const name = this.roots.get(ev.rootId);
      if (name === undefined || ev.actorRef.sessionId === ev.rootId) {
        this.roots.set(
          ev.rootId,
          ev.actorRef.sessionId === ev.rootId ? idOf(ev.actorRef) : "?",
        );
      }
    }
    if (!this.#recording || ev.type !== "@xstate.event") return;
    this.events++;
    if (ev.sourceRef !== undefined) return;
    const key = `${ev.event.type} → ${idOf(ev.actorRef)}`;
    this.sourceless.set(key, (this.sourceless.get(key) ?? 0) + 1);
  };

  /** Open the window. */
  start(): void {
    this.#recording = true;
  }

  /** Close the window (after queued work has run). */
  async stop(): Promise<void> {
    await settle();
    this.#recording = false;
  }

  /** Count one user call made on this client, and return what it returns. */
  call<T>(p: Promise<T>): Promise<T> {
    this.calls++;
    return p;
  }

  /** What is wrong with what was seen: empty when nothing. */
  problems(): string[] {
    const out: string[] = [];
    const total = [...this.sourceless.values()].reduce((a, b) => a + b, 0);
    const bad = [...this.sourceless].filter(([key]) =>
      !FACADE_ENTRIES.some((re) => re.test(key))
    ).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (bad.length > 0) {
      const n = bad.reduce((a, [, c]) => a + c, 0);
      out.push(
        `${this.name}: ${n} sourceless event(s) that are not facade entries:\n` +
          bad.map(([key, c]) => `    ${String(c).padStart(5)} × ${key}`)
            .join("\n"),
      );
    }
    if (total > this.calls) {
      const allowed = [...this.sourceless].filter(([key]) =>
        FACADE_ENTRIES.some((re) => re.test(key))
      ).map(([key, c]) => `${c} × ${key}`);
      out.push(
        `${this.name}: ${total} sourceless event(s) for ${this.calls} user ` +
          `call(s) (at most one per call); facade entries among them: ` +
          `${allowed.length > 0 ? allowed.join(", ") : "none"}`,
      );
    }
    if (this.roots.size !== 1) {
      out.push(
        `${this.name}: ${this.roots.size} actor systems (one expected), ` +
          `roots: ${[...this.roots.values()].join(", ")}`,
      );
    }
    return out;
  }

  /** One line for the log: what was seen, whatever the verdict. */
  summary(): string {
    const total = [...this.sourceless.values()].reduce((a, b) => a + b, 0);
    return `${this.name}: ${this.events} events, ${total} sourceless, ` +
      `${this.calls} user calls, ${this.roots.size} root(s)`;
  }
}

/** Fail with every problem of every recorder, grouped per client. */
function check(what: string, recorders: Recorder[]): void {
  for (const r of recorders) console.log(`${what}: ${r.summary()}`);
  const problems = recorders.flatMap((r) => r.problems());
  assert(
    problems.length === 0,
    `${what}: the data path has events XState's inspector cannot attribute:\n  ` +
      problems.join("\n  "),
  );
}

/** A client with a recorder on its inspection stream. */
function recorded(
  name: string,
  options: Omit<Parameters<typeof createClient>[0], "inspect">,
): { client: Client; rec: Recorder } {
  const rec = new Recorder(name);
  return { client: createClient({ ...options, inspect: rec.inspect }), rec };
}

// The checker itself: what it lets through and what it reports.
Deno.test("actor messages: the recorder allows one facade entry per call and reports the rest", () => {
  const rec = new Recorder("toy");
  const toy = createMachine({
    id: "toy",
    invoke: { id: "child", src: createMachine({ on: { "storage.get": {} } }) },
    on: {
      "api.call": { actions: sendTo("child", { type: "storage.get" }) },
    },
  });
  const root = createActor(toy, { id: "toy", inspect: rec.inspect }).start();
  rec.start();
  rec.calls++;
  // The facade entry, then the root's sendTo to its child (which has a
  // source): allowed.
  root.send({ type: "api.call" });
  assert(rec.problems().length === 0, rec.problems().join("\n"));
  root.send({ type: "storage.get" }); // sourceless and not an entry
  const found = rec.problems();
  assert(found.length === 2, found.join("\n"));
  assert(found[0].includes("1 × storage.get → toy"), found[0]);
  assert(/2 sourceless event\(s\) for 1 user call/.test(found[1]), found[1]);
  // A second root in the same client's stream is a second actor system.
  const other = createActor(createMachine({ id: "other" }), {
    id: "other",
    inspect: rec.inspect,
  }).start();
  assert(
    rec.problems().some((p) => /2 actor systems.*toy, other/.test(p)),
    rec.problems().join("\n"),
  );
  root.stop();
  other.stop();
});

Deno.test({
  name:
    "actor messages: serving BoB over Prosody, every event of both clients has a source but one per user call",
  ignore,
  fn: async () => {
    const server = await startProsody();
    const common = {
      password: "pw",
      service: `xmpp://127.0.0.1:${server.c2sPort}`,
      tls: { caCerts: [server.caPem] },
    };
    const a = recorded("alice (fetching)", {
      jid: "alice@localhost/a",
      ...common,
    });
    const b = recorded("bob (serving)", { jid: "bob@localhost/b", ...common });
    try {
      await Promise.all([a.client.start(), b.client.start()]);
      const mine = a.client.registerPlugin("xep_0231");
      const theirs = b.client.registerPlugin("xep_0231");
      const cids: string[] = [];
      for (let i = 0; i < 5; i++) {
        cids.push(await theirs.setBob(enc.encode(`item ${i}`), "text/plain"));
      }
      // One fetch before the window: whatever is made on first use is setup.
      await mine.getBob({ cid: cids[0], jid: b.client.jid, cached: false });
      await settle();

      a.rec.start();
      b.rec.start();
      for (let i = 0; i < 20; i++) {
        const cid = cids[i % cids.length];
        await a.rec.call(
          mine.getBob({ cid, jid: b.client.jid, cached: false }),
        );
      }
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            a.rec.call(
              mine.getBob({
                cid: cids[i % cids.length],
                jid: b.client.jid,
                cached: false,
              }),
            )),
        );
      }
      await a.rec.stop();
      await b.rec.stop();
      assert(a.rec.calls === 50, `${a.rec.calls} calls`);
      assert(a.rec.events > 0 && b.rec.events > 0, "nothing was recorded");
      check("serving", [b.rec, a.rec]);
    } finally {
      await Promise.all([a.client.stop(), b.client.stop()]);
      await server.stop();
    }
  },
});

/** setBob, getBob, delBob ×20 on a client with no connection. */
async function localRounds(
  rec: Recorder,
  bob: BobPlugin,
): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const cid = await rec.call(
      bob.setBob(enc.encode(`local ${i}`), "text/plain"),
    );
    await rec.call(bob.getBob({ cid }));
    await rec.call(bob.delBob(cid));
  }
}

/** 60 local calls in a window, after a first use (its spawns are setup). */
async function localCase(
  name: string,
  prepare: (bob: BobPlugin) => Promise<void> = async () => {},
): Promise<void> {
  const { client, rec } = recorded(`local (${name})`, {
    jid: "alice@localhost",
    password: "pw",
  });
  try {
    const bob = client.registerPlugin("xep_0231");
    await prepare(bob);
    await bob.delBob(await bob.setBob(enc.encode("warm"), "text/plain"));
    await settle();
    rec.start();
    await localRounds(rec, bob);
    await rec.stop();
    assert(rec.calls === 60 && rec.events > 0, "nothing was recorded");
    check(`local ${name}`, [rec]);
  } finally {
    await client.stop();
  }
}

Deno.test("actor messages: local BoB in memory storage, no connection", () =>
  localCase("memory"));

Deno.test("actor messages: local BoB in file storage, no connection", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await localCase(
      "file",
      (bob) => bob.api.bind(fileStorage({ dir })).then(() => {}),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("actor messages: a migrating bind of 200 entries is one user call", async () => {
  const dir = await Deno.makeTempDir();
  const { client, rec } = recorded("migration", {
    jid: "alice@localhost",
    password: "pw",
  });
  try {
    const bob = client.registerPlugin("xep_0231");
    for (let i = 0; i < 200; i++) {
      await bob.setBob(enc.encode(`entry ${i}`), "text/plain");
    }
    const storage = fileStorage({ dir });
    await settle();
    rec.start();
    const report = await rec.call(bob.api.bind(storage, { migrate: true }));
    await rec.stop();
    assert(report.copied === 200, `${report.copied} entries copied`);
    assert(rec.events > 0, "nothing was recorded");
    check("migration", [rec]);
  } finally {
    await client.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
