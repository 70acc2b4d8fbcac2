/**
 * Fetching one cid from a peer: an IQ get, the answer verified (cid, type,
 * max-age, size, digest of the bytes under a hash we can check), then kept
 * in the peer cache unless max-age is 0 — never written to your storage.
 *
 * @module
 */
import { xml } from "../../src/xml.ts";
import type { BobData } from "../../src/bob_data.ts";
import { NS_BOB, readBobElement } from "../../src/bob_element.ts";
import { VerificationError } from "../../src/errors.ts";
import type { PluginHost } from "../plugin/define.ts";
import { markChecked } from "./ops.ts";
import type { PeerCache } from "./peer_cache.ts";

/** What a fetch needs. */
export interface FetchInput {
  /** Where a verified answer is kept (max-age other than 0); none: not kept. */
  cache?: PeerCache;
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
 * Fetch, verify and cache one cid (in the peer cache).
 *
 * @param input The peer, the cid and the plumbing.
 * @returns The verified entry.
 * @throws {VerificationError} An answer that does not verify.
 */
export async function fetchBob(input: FetchInput): Promise<BobData> {
  const { cache, host, jid, cid, timeout, maxSize } = input;
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
  // max-age 0: returned, never kept (PeerCache.add knows).
  cache?.add(bob);
  return bob;
}
