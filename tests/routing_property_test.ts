/**
 * Property: any sequence of register / unregister / restoreDefault / run on
 * a plugin's internal API behaves as a model of slixmpp's `APIRegistry`
 * lookup (JID+node handler, else JID handler, else the global one; an op
 * never touched is unknown). Seed and runs: see tests/support/property.ts.
 *
 * @module
 */
import { assertEquals, fc } from "./deps.ts";
import { ApiError, createClient, definePlugin } from "../mod.ts";
import { sequences } from "./support/property.ts";

type Scope = { jid?: string; node?: string };
type Cmd =
  | { c: "register"; op: string; label: string; scope: Scope; def: boolean }
  | { c: "unregister"; op: string; scope: Scope }
  | { c: "restore"; op: string; scope: Scope }
  | { c: "run"; op: string };

const ops = fc.constantFrom("alpha", "beta", "toString");
const jids = fc.constantFrom(undefined, "j1@x", "j2@x");
const nodes = fc.constantFrom(undefined, "n1", "n2");
// A node scope needs a jid (register refuses it otherwise).
const scope = fc.tuple(jids, nodes).map(([jid, node]): Scope =>
  jid === undefined ? {} : node === undefined ? { jid } : { jid, node }
);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    c: fc.constant("register" as const),
    op: ops,
    label: fc.constantFrom("h1", "h2", "h3"),
    scope,
    def: fc.boolean(),
  }),
  fc.record({ c: fc.constant("unregister" as const), op: ops, scope }),
  fc.record({ c: fc.constant("restore" as const), op: ops, scope }),
  fc.record({ c: fc.constant("run" as const), op: ops }),
);
const registerCmd: fc.Arbitrary<Cmd> = fc.record({
  c: fc.constant("register" as const),
  op: ops,
  label: fc.constantFrom("h1", "h2", "h3"),
  scope,
  def: fc.boolean(),
});
// Some registrations first, then anything; every `run` asks every scope.
const program = fc.tuple(
  fc.array(registerCmd, { minLength: 2, maxLength: 10 }),
  fc.array(cmd, { minLength: 4, maxLength: 30 }),
).map(([a, b]) => [...a, ...b, { c: "run" as const, op: "alpha" }]);
const allScopes: Scope[] = [undefined, "j1@x", "j2@x"].flatMap((jid) =>
  [undefined, "n1", "n2"].map((node) =>
    jid === undefined ? {} : node === undefined ? { jid } : { jid, node }
  )
);

/** The model: per op, routes at global / jid / jid+node scopes, and a default. */
class Model {
  #ops = new Map<
    string,
    { routes: Map<string, string>; def: string | undefined }
  >();
  #table(op: string) {
    let t = this.#ops.get(op);
    if (t === undefined) {
      this.#ops.set(op, t = { routes: new Map(), def: undefined });
    }
    return t;
  }
  static key(s: Scope): string {
    return s.jid === undefined ? "" : `${s.jid}\u0000${s.node ?? ""}`;
  }
  register(op: string, label: string, s: Scope, def: boolean) {
    const t = this.#table(op);
    t.routes.set(Model.key(s), label);
    if (def) t.def = label;
  }
  unregister(op: string, s: Scope) {
    this.#table(op).routes.delete(Model.key(s));
  }
  restore(op: string, s: Scope) {
    const t = this.#table(op);
    if (t.def === undefined) t.routes.delete(Model.key(s));
    else t.routes.set(Model.key(s), t.def);
  }
  run(op: string, s: Scope, ownJid: string): string {
    const t = this.#ops.get(op);
    if (t === undefined) return "unknown op";
    const jid = s.jid ?? ownJid;
    if (s.node !== undefined) {
      const r = t.routes.get(`${jid}\u0000${s.node}`);
      if (r !== undefined) return r;
    }
    return t.routes.get(`${jid}\u0000`) ?? t.routes.get("") ??
      "no handler registered";
  }
}

const routing = definePlugin({
  name: "routing",
  create: (p) => ({ api: p.api }),
});

Deno.test("api routing matches a model of slixmpp's lookup order for any command sequence", async () => {
  await fc.assert(
    fc.asyncProperty(program, async (cmds) => {
      const own = "j1@x";
      const xmpp = createClient({ jid: own });
      const model = new Model();
      // A plugin with no ops of its own: every op starts unknown.
      const { api } = xmpp.registerPlugin(routing);
      try {
        for (const k of cmds) {
          if (k.c === "register") {
            const label = k.label;
            api.register(() => label, k.op, { ...k.scope, default: k.def });
            model.register(k.op, label, k.scope, k.def);
          } else if (k.c === "unregister") {
            api.unregister(k.op, k.scope);
            model.unregister(k.op, k.scope);
          } else if (k.c === "restore") {
            api.restoreDefault(k.op, k.scope);
            model.restore(k.op, k.scope);
          } else {
            for (const s of allScopes) await check(k.op, s);
          }
        }
      } finally {
        await xmpp.stop();
      }

      async function check(op: string, s: Scope) {
        const got = await api.run<string>(op, s).then(
          (v) => v,
          (e) =>
            e instanceof ApiError
              ? /unknown op/.test(e.message)
                ? "unknown op"
                : /no handler/.test(e.message)
                ? "no handler registered"
                : e.message
              : String(e),
        );
        assertEquals(got, model.run(op, s, own), `${op} ${JSON.stringify(s)}`);
      }
    }),
    sequences,
  );
});
