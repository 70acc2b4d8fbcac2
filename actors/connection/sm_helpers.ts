/**
 * Pure helpers of the stream management actor (`./sm.ts`): stanza sizes,
 * the error for an impossible `h`, parsing a saved state back.
 *
 * @module
 */
import { type Element, xml } from "../../src/deps.ts";
import { NS_SM } from "../../src/stanza.ts";
import { NS_STREAMS, StreamError } from "../../src/errors.ts";
import { XmlStream } from "../../src/xml_stream.ts";

/** Stream management counts wrap at 2³² (XEP-0198 §5). */
export const MOD = 2 ** 32;

/**
 * The approximate serialized size of a stanza, in characters: names,
 * attributes and text, without escaping (cheaper than serializing).
 * @param root The stanza.
 * @returns Its size in characters, near enough.
 */
export function sizeOf(root: Element): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node === "string") {
      n += node.length;
      continue;
    }
    const el = node as Element;
    if (typeof el?.name !== "string") continue;
    n += 2 * el.name.length + 5;
    for (const k in el.attrs) {
      const v = el.attrs[k];
      if (v != null) n += k.length + 4 + String(v).length;
    }
    for (const child of el.children as unknown[]) stack.push(child);
  }
  return n;
}

/**
 * The `<stream:error/>` for an `h` the server should not have sent
 * (XEP-0198 §6), and the error to report.
 * @param h The server's count.
 * @param acked What it had acknowledged before.
 * @param sent What we sent.
 * @param where Where the count came from (for the text).
 * @returns The element to send and the error.
 */
export function handledCountTooHigh(
  h: number,
  acked: number,
  sent: number,
  where: string,
): { element: Element; error: StreamError } {
  const backwards = h < acked && acked <= sent
    ? true
    : sent < acked && (acked - h + MOD) % MOD < MOD / 2;
  const text = backwards
    ? `${where} h went backwards from ${acked} to ${h} (${sent} sent)`
    : `${where} acknowledged up to ${h}, but only ${sent} were sent`;
  const application = xml("handled-count-too-high", {
    xmlns: NS_SM,
    h: String(h),
    "send-count": String(sent),
  });
  return {
    element: xml(
      "stream:error",
      {},
      xml("undefined-condition", { xmlns: NS_STREAMS }),
      application,
      xml("text", { xmlns: NS_STREAMS }, text),
    ),
    error: new StreamError(
      "undefined-condition",
      `Cannot accept the server's ack: ${text}`,
      application,
    ),
  };
}

/**
 * The stanzas of a saved stream management state, parsed back.
 * @param texts The serialized stanzas.
 * @returns The elements.
 * @throws {TypeError} A text that is not well-formed.
 */
export function parseStanzas(texts: readonly string[]): Element[] {
  const out: Element[] = [];
  const stream = new XmlStream({
    onElement: (el) => out.push(el),
    onError: (err) => {
      throw new TypeError(
        `Cannot restore stream management state: ${err.message}`,
      );
    },
  }, { framed: true });
  for (const text of texts) stream.write(text);
  return out;
}
