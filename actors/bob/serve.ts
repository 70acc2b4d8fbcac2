/**
 * The network side of XEP-0231 as pure steps the BoB machine
 * (`./machine.ts`) runs in its actions: what to answer a peer's IQ get, how
 * to check a fetched answer, what to make of inline `<data/>`. No I/O here:
 * the machine sends every message.
 *
 * @module
 */
import type { Element } from "../../src/deps.ts";
import type { BobData } from "../../src/bob_data.ts";
import {
  bobElement,
  NS_BOB,
  readBobElement,
  requestedCid,
} from "../../src/bob_element.ts";
import { StanzaError, VerificationError } from "../../src/errors.ts";
import { checkGot, markChecked } from "./ops.ts";

const asError = (e: unknown) => e instanceof Error ? e : new Error(String(e));

/**
 * What a peer's IQ get asks for, or why it is refused: a malformed cid is
 * `bad-request`; a peer with `maxServing` requests in flight gets
 * `resource-constraint` (type `wait`).
 *
 * @param iq The IQ get.
 * @param inFlight How many of this peer's requests are being served.
 * @param maxServing The most served at once to one peer.
 * @returns The peer and the canonical cid, or the error to answer.
 */
export function serveRequest(
  iq: Element,
  inFlight: number,
  maxServing: number,
): { peer: string; cid: string } | { error: Error } {
  if (inFlight >= maxServing) {
    const busy = new StanzaError(
      "resource-constraint",
      "too many requests in flight",
    );
    busy.type = "wait";
    return { error: busy };
  }
  try {
    return {
      peer: iq.attrs.from ?? "",
      cid: requestedCid(iq.getChild("data", NS_BOB)),
    };
  } catch (e) {
    return { error: asError(e) };
  }
}

/**
 * The `<data/>` payload that answers a peer, from what `get_bob` gave.
 *
 * @param got What `get_bob` answered.
 * @param cid The cid asked for.
 * @param maxSize The largest payload served.
 * @returns The payload.
 * @throws {ItemNotFound} Nothing stored.
 * @throws {StanzaError} `not-acceptable` for an entry over `maxSize`.
 */
export function servedPayload(
  got: unknown,
  cid: string,
  maxSize: number,
): Element {
  const bob = checkGot(got, cid);
  if (bob.data.length > maxSize) {
    throw new StanzaError(
      "not-acceptable",
      `data is over the ${maxSize}-byte limit`,
    );
  }
  return bobElement(bob);
}

/**
 * Check a peer's answer to our IQ get for `cid`: its `<data/>` must verify
 * (cid, type, max-age, size, digest under a hash we can check).
 *
 * @param answer The result IQ.
 * @param jid The peer asked.
 * @param cid The cid asked for.
 * @param maxSize The largest accepted payload.
 * @returns The verified entry.
 * @throws {VerificationError} An answer that does not verify.
 */
export function fetchedBob(
  answer: Element,
  jid: string,
  cid: string,
  maxSize: number,
): BobData {
  const el = answer.getChild("data", NS_BOB);
  if (el === undefined) {
    throw new VerificationError(
      `Cannot accept bob ${cid}: the answer from ${jid} has no <data/>`,
    );
  }
  return markChecked(readBobElement(el, { maxSize, cid }));
}

/**
 * The `<data/>` elements of a message or presence, each verified or refused.
 *
 * @param stanza The stanza.
 * @param maxSize The largest accepted payload.
 * @returns One outcome per `<data/>`, in order.
 */
export function inlineBobs(
  stanza: Element,
  maxSize: number,
): Array<{ bob: BobData } | { error: Error }> {
  return stanza.getChildren("data", NS_BOB).map((data: Element) => {
    try {
      return { bob: markChecked(readBobElement(data, { maxSize })) };
    } catch (e) {
      return { error: asError(e) };
    }
  });
}
