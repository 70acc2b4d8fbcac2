/**
 * Fetching one cid from a peer: an IQ get, the answer verified (cid, type,
 * max-age, size, SHA-1 of the bytes), then cached through `set_bob` unless
 * max-age is 0.
 *
 * @module
 */
import { xml } from "../../src/xml.ts";
import type { BobData } from "../../src/bob_data.ts";
import { NS_BOB, readBobElement } from "../../src/bob_element.ts";
import { VerificationError } from "../../src/errors.ts";
import type { Api } from "../registry/api.ts";
import type { PluginHost } from "../plugin/define.ts";
import { markChecked } from "./ops.ts";

/** What a fetch needs. */
export interface FetchInput {
  /** The plugin's API (`set_bob`). */
  api: Api;
  /** The client (`iq`). */
  host: PluginHost;
  /** The peer to ask. */
  jid: string;
  /** The cid (canonical). */
  cid: string;
  /** IQ timeout in ms. */
  timeout?: number;
  /** Largest accepted payload in bytes. */
  maxSize: number;
}

/**
 * Fetch, verify and cache one cid.
 *
 * @param input The peer, the cid and the plumbing.
 * @returns The verified entry.
 * @throws {VerificationError} An answer that does not verify.
 */
export async function fetchBob(input: FetchInput): Promise<BobData> {
  const { api, host, jid, cid, timeout, maxSize } = input;
  const answer = await host.iq(
    xml("iq", { type: "get", to: jid }, xml("data", { xmlns: NS_BOB, cid })),
    timeout === undefined ? undefined : { timeout },
  );
  const el = answer.getChild("data", NS_BOB);
  if (el === undefined) {
    throw new VerificationError(
      `Cannot accept bob ${cid}: the answer from ${jid} has no <data/>`,
    );
  }
  const bob = markChecked(readBobElement(el, { maxSize, cid }));
  // max-age 0: returned, never stored.
  if (bob.maxAge !== 0) await api.run("set_bob", { args: bob });
  return bob;
}
