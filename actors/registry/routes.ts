/**
 * The registry's op tables: find the handler of a call (slixmpp's lookup
 * order), and copy and edit a table (register, unregister, restore default).
 * Plain functions the registry machine's actions call.
 *
 * @module
 */
import type {
  OpTable,
  RegistryContext,
  RegistryEvent,
  Route,
  Scope,
} from "./protocol.ts";

function nodeKey(jid: string, node: string): string {
  return `${jid}\u0000${node}`;
}

/**
 * Find the handler for a call: JID+node first, then JID, then global, as in
 * slixmpp's `APIRegistry.run`.
 *
 * @param context The registry context.
 * @param op The op name.
 * @param jid The JID the call is for.
 * @param node The node the call is for.
 * @returns The route, `undefined` when nothing handles the op, or `null` when
 *   the op is unknown.
 */
export function resolveRoute(
  context: RegistryContext,
  op: string,
  jid: string | undefined,
  node: string | undefined,
): Route | undefined | null {
  // Own properties only: an op named `toString` is unknown, not a method.
  if (!Object.hasOwn(context.ops, op)) return null;
  const table = context.ops[op];
  if (jid !== undefined) {
    if (node !== undefined && node !== "") {
      const r = table.node.get(nodeKey(jid, node));
      if (r !== undefined) return r;
    }
    const r = table.jid.get(jid);
    if (r !== undefined) return r;
  }
  return table.global;
}

/** A copy of the op table of `op` (empty when the op is new). */
export function table(context: RegistryContext, op: string): OpTable {
  const t = Object.hasOwn(context.ops, op) ? context.ops[op] : undefined;
  if (t !== undefined) {
    return {
      global: t.global,
      jid: new Map(t.jid),
      node: new Map(t.node),
      default: t.default,
    };
  }
  return {
    global: undefined,
    jid: new Map(),
    node: new Map(),
    default: undefined,
  };
}

/** Put (or remove, with `undefined`) a route at a scope of a table. */
export function place(
  t: OpTable,
  route: Route | undefined,
  scope: Scope | undefined,
): void {
  if (scope?.jid === undefined) {
    t.global = route;
  } else if (scope.node === undefined) {
    if (route === undefined) t.jid.delete(scope.jid);
    else t.jid.set(scope.jid, route);
  } else {
    const k = nodeKey(scope.jid, scope.node);
    if (route === undefined) t.node.delete(k);
    else t.node.set(k, route);
  }
}

/**
 * The op tables after `api.register`, `api.unregister` or
 * `api.restore_default` (the others are shared, not copied).
 *
 * @param context The registry context.
 * @param event The edit.
 * @returns The new op tables.
 */
export function editOps(
  context: RegistryContext,
  event: Extract<
    RegistryEvent,
    { type: "api.register" | "api.unregister" | "api.restore_default" }
  >,
): Record<string, OpTable> {
  const t = table(context, event.op);
  if (event.type === "api.register") {
    place(t, event.route, event.scope);
    if (event.isDefault) t.default = event.route;
  } else {
    place(
      t,
      event.type === "api.unregister" ? undefined : t.default,
      event.scope,
    );
  }
  return { ...context.ops, [event.op]: t };
}
