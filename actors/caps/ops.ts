/**
 * The default handlers of XEP-0115's internal API, with slixmpp 1.8.3's op
 * names and arguments (`plugins/xep_0115/static.py`), over the
 * `*_record` storage ops of the plugin's own namespace (`xep_0115`):
 *
 * - `cache_caps` (`{ verstring, info, hash? }`) stores `info` under its
 *   `ver` only if the hash of `info` is `verstring`: a forged or lying
 *   answer is refused with a `VerificationError` and nothing is written;
 * - `get_caps` (`{ verstring }`) reads it back and checks the hash again, so
 *   an entry damaged or planted in a shared store (file, Redis) is never
 *   returned;
 * - `assign_verstring` (`{ verstring }`) / `get_verstring` remember which
 *   `ver` a JID announced;
 * - `supports` / `has_identity` answer from the verified cache for a JID
 *   with no node, else ask XEP-0030.
 *
 * @module
 */
import type { Api } from "../registry/api.ts";
import type { ApiHandler } from "../registry/protocol.ts";
import { VerificationError } from "../../src/errors.ts";
import {
  CAPS_HASHES,
  CapsError,
  type DiscoInfo,
  toDiscoInfo,
  verString,
} from "../../src/caps_ver.ts";
import { recordKey } from "../disco/store.ts";
import type { DiscoPlugin } from "../disco/plugin.ts";

/** The op names of XEP-0115's internal API, as in slixmpp. */
export const CAPS_OPS = [
  "cache_caps",
  "get_caps",
  "assign_verstring",
  "get_verstring",
  "supports",
  "has_identity",
] as const;

/** Longest `ver` kept (a SHA-512 in base64 is 88 characters). */
export const MAX_VER_LENGTH = 128;

/**
 * Whether `ver` can be a verification string: base64 of 20 to 64 bytes.
 * @param ver The candidate.
 * @returns `true` when it is worth hashing against.
 */
export function isVerString(ver: unknown): ver is string {
  return typeof ver === "string" && ver.length <= MAX_VER_LENGTH &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(ver) && ver.length % 4 === 0;
}

const tick = () => Promise.resolve();

/**
 * Whether `info` hashes to `ver` with `hash`.
 * @param info The disco#info data.
 * @param ver The claimed verification string.
 * @param hash The IANA hash name.
 * @returns `true` when it does; `false` for a mismatch or an ill-formed info.
 */
export async function verifies(
  info: DiscoInfo,
  ver: string,
  hash: string,
): Promise<boolean> {
  try {
    return await verString(info, hash) === ver;
  } catch (e) {
    if (e instanceof CapsError) return false;
    throw e;
  }
}

/**
 * Build the default handlers of every op in {@linkcode CAPS_OPS}.
 * @param api The caps plugin's API.
 * @param disco The XEP-0030 facade.
 * @returns The handlers, by op.
 */
export function capsDefaults(
  api: Api,
  disco: DiscoPlugin,
): Record<(typeof CAPS_OPS)[number], ApiHandler> {
  const arg = (args: unknown, name: string) =>
    (args as Record<string, unknown> | undefined)?.[name];

  async function cached(ver: unknown): Promise<DiscoInfo | undefined> {
    if (!isVerString(ver)) return undefined;
    await tick();
    const rec = await api.run<
      { ver?: unknown; hash?: unknown; info?: unknown } | undefined
    >("get_record", { args: recordKey("ver", ver) });
    if (rec === undefined || rec === null) return undefined;
    let info: DiscoInfo;
    try {
      info = toDiscoInfo(rec.info, "read caps entry");
    } catch {
      return undefined;
    }
    const hash = typeof rec.hash === "string" ? rec.hash : "sha-1";
    // Checked on every read: a store shared with others (or a file edited
    // by hand) returns nothing that does not hash to its key.
    return rec.ver === ver && await verifies(info, ver, hash)
      ? info
      : undefined;
  }
  async function capsOf(jid: string | undefined, args: unknown) {
    const ver = arg(args, "verstring") ??
      (jid === undefined ? undefined : await verOf(jid));
    return cached(ver);
  }
  async function verOf(jid: string): Promise<string | undefined> {
    await tick();
    const rec = await api.run<{ jid?: unknown; ver?: unknown } | undefined>(
      "get_record",
      { args: recordKey("jid", jid) },
    );
    return rec?.jid === jid && isVerString(rec.ver) ? rec.ver : undefined;
  }

  return {
    async cache_caps(_jid, _node, _ifrom, args) {
      const ver = arg(args, "verstring");
      const hash = arg(args, "hash") ?? "sha-1";
      if (!isVerString(ver)) {
        throw new VerificationError("Cannot cache caps: not a ver string");
      }
      if (typeof hash !== "string" || !Object.hasOwn(CAPS_HASHES, hash)) {
        throw new VerificationError("Cannot cache caps: unknown hash");
      }
      const info = toDiscoInfo(arg(args, "info"), "run cache_caps");
      if (!await verifies(info, ver, hash)) {
        throw new VerificationError(
          `Cannot cache caps: the info does not hash to ${ver}`,
        );
      }
      await api.run("set_record", {
        args: {
          key: recordKey("ver", ver),
          value: { ver, hash, info: info as never },
        },
      });
    },
    get_caps: (jid, _node, _ifrom, args) => capsOf(jid, args),
    async assign_verstring(jid, _node, _ifrom, args) {
      const ver = arg(args, "verstring");
      if (typeof jid !== "string" || jid === "" || !isVerString(ver)) {
        throw new TypeError(
          "Cannot run assign_verstring: needs a jid and a ver string",
        );
      }
      await tick();
      await api.run("set_record", {
        args: { key: recordKey("jid", jid), value: { jid, ver } },
      });
    },
    get_verstring: (jid) =>
      typeof jid === "string" && jid !== "" ? verOf(jid) : undefined,
    async supports(jid, node, ifrom, args) {
      const feature = arg(args, "feature");
      if (typeof feature !== "string" || feature === "") return false;
      if (!node) {
        const info = await capsOf(jid, undefined);
        if (info?.features.includes(feature)) return true;
      }
      return disco.api.run("supports", { jid, node, ifrom, args });
    },
    async has_identity(jid, node, ifrom, args) {
      const a = (args ?? {}) as Record<string, unknown>;
      if (!node) {
        const info = await capsOf(jid, undefined);
        const found = info?.identities.some((i) =>
          i.category === a.category && i.type === (a.itype ?? a.type) &&
          (i.lang ?? null) === (a.lang ?? null)
        );
        if (found) return true;
      }
      return disco.api.run("has_identity", { jid, node, ifrom, args });
    },
  };
}
