/**
 * A third-party plugin built with the public plugin API: XEP-0092 Software
 * Version. It answers `jabber:iq:version` queries from the name and version
 * kept in its own storage namespace (op `get_version`, storage-backed, so
 * `api.bind(fileStorage(...))` persists it and `api.register(fn,
 * "get_version")` overrides it, as in slixmpp), and asks peers for theirs.
 *
 * Run: `XMPP_SERVICE=xmpp://127.0.0.1:5222 XMPP_JID=alice@localhost
 * XMPP_PASSWORD=pw [XMPP_CA=ca.pem] deno run -A examples/version_plugin.ts
 * [peer-jid]` —
 * without `XMPP_SERVICE` it only stores and reads its version locally.
 *
 * @module
 */
import {
  type Api,
  createClient,
  definePlugin,
  type JsonValue,
  type Plugin,
  StanzaError,
  xml,
} from "../mod.ts";

/** Namespace of XEP-0092. */
export const NS_VERSION = "jabber:iq:version";

/** What XEP-0092 reports. */
export interface SoftwareVersion {
  /** The software's name. */
  name: string;
  /** Its version. */
  version: string;
  /** The operating system, if disclosed. */
  os?: string;
}

function fromJson(value: JsonValue | undefined): SoftwareVersion | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return undefined;
  }
  const { name, version, os } = value;
  if (typeof name !== "string" || typeof version !== "string") return undefined;
  return typeof os === "string" ? { name, version, os } : { name, version };
}

/** The facade: `xmpp.plugin["xep_0092"]`. */
export interface VersionPlugin {
  /** Its internal API (slixmpp's `plugin.api`): bind storage, override ops. */
  readonly api: Api;
  /** Set what we answer. */
  setVersion(v: SoftwareVersion): Promise<void>;
  /** What we answer (`undefined` until set). */
  getVersion(): Promise<SoftwareVersion | undefined>;
  /** Ask a peer (a full JID) for its software version. */
  query(jid: string, options?: { timeout?: number }): Promise<SoftwareVersion>;
}

/** The XEP-0092 plugin. */
export const versionPlugin: Plugin<"xep_0092", VersionPlugin> = definePlugin({
  name: "xep_0092",
  features: [NS_VERSION],
  ops: {
    get_version: {
      request: () => ({ type: "storage.get", key: "self" }),
      result: (value) => fromJson(value as JsonValue | undefined),
    },
    set_version: {
      request: (v) => ({
        type: "storage.set",
        key: "self",
        value: { ...(v as SoftwareVersion) },
      }),
    },
  },
  handlers: [{
    kind: "iq",
    match: { type: "get", name: "query", xmlns: NS_VERSION },
    async handle(stanza, { api }) {
      const v = await api.run<SoftwareVersion | undefined>("get_version", {
        ifrom: stanza.attrs.from,
      });
      if (v === undefined) throw new StanzaError("service-unavailable");
      return xml(
        "query",
        { xmlns: NS_VERSION },
        xml("name", {}, v.name),
        xml("version", {}, v.version),
        ...(v.os === undefined ? [] : [xml("os", {}, v.os)]),
      );
    },
  }],
  create: ({ api, host }) => ({
    api,
    async setVersion(v) {
      if (typeof v?.name !== "string" || typeof v.version !== "string") {
        throw new TypeError(
          "Cannot set version: name and version must be strings",
        );
      }
      await api.run("set_version", { args: v });
    },
    getVersion: () => api.run<SoftwareVersion | undefined>("get_version"),
    async query(jid, options) {
      const answer = await host.iq(
        xml(
          "iq",
          { type: "get", to: jid },
          xml("query", { xmlns: NS_VERSION }),
        ),
        options,
      );
      const q = answer.getChild("query", NS_VERSION);
      const v = fromJson({
        name: q?.getChildText("name") ?? null,
        version: q?.getChildText("version") ?? null,
        os: q?.getChildText("os") ?? null,
      });
      if (v === undefined) {
        throw new StanzaError(
          "bad-request",
          `no version in answer from ${jid}`,
        );
      }
      return v;
    },
  }),
});

if (import.meta.main) {
  const service = Deno.env.get("XMPP_SERVICE");
  const ca = Deno.env.get("XMPP_CA");
  const xmpp = createClient({
    jid: Deno.env.get("XMPP_JID") ?? "alice@localhost",
    password: Deno.env.get("XMPP_PASSWORD") ?? "",
    ...(service ? { service } : {}),
    ...(ca ? { tls: { caCerts: [await Deno.readTextFile(ca)] } } : {}),
  });
  try {
    const version = xmpp.registerPlugin(versionPlugin);
    await version.setVersion({ name: "xmpp-actors", version: "0.1.0" });
    const mine = await version.getVersion();
    if (mine?.name !== "xmpp-actors") {
      throw new Error(
        `Stored version reads back wrong: ${JSON.stringify(mine)}`,
      );
    }
    console.log(`local: ${mine.name} ${mine.version}`);
    if (service) {
      await xmpp.start();
      const peer = Deno.args[0] ?? xmpp.jid;
      const theirs = await version.query(peer);
      console.log(`${peer}: ${theirs.name} ${theirs.version}`);
    }
  } finally {
    await xmpp.stop();
  }
}
