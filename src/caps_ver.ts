/**
 * XEP-0115 §5 verification strings: the disco#info data model (identities,
 * features, XEP-0128 data forms), its codec from and to `<query/>`, the
 * §5.4 well-formedness checks and the §5.1 hash, over WebCrypto.
 *
 * Pure: no actor, no storage. Hand-written because no npm package computes
 * caps strings over `@xmpp/xml` elements (xmpp.js has none).
 *
 * @module
 */
import type { Element } from "./deps.ts";
import { xml } from "./xml.ts";
import { encodeBase64 } from "./base64.ts";

/** Namespace of disco#info. */
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
/** Namespace of XEP-0004 data forms. */
export const NS_DATA_FORMS = "jabber:x:data";

/** A disco identity (XEP-0030 §3.1). */
export interface DiscoIdentity {
  /** E.g. `client`. */
  category: string;
  /** E.g. `bot`, `pc`. */
  type: string;
  /** A human name, if any. */
  name?: string;
  /** Its `xml:lang`, if any. */
  lang?: string;
}

/** A field of a data form. */
export interface FormField {
  /** The field's `var`. */
  var: string;
  /** Its `type` (`hidden` for `FORM_TYPE`), if given. */
  type?: string;
  /** Its values, in document order. */
  values: string[];
}

/** A XEP-0004 data form, as XEP-0128 puts it in disco#info. */
export interface DataForm {
  /** The form's `type` attribute (`result` in disco#info). */
  type: string;
  /** Its fields, in document order. */
  fields: FormField[];
}

/** What a disco#info answer carries. */
export interface DiscoInfo {
  /** Its identities. */
  identities: DiscoIdentity[];
  /** Its features (namespaces), as sent. */
  features: string[];
  /** Its extended info (XEP-0128 forms), if any. */
  forms?: DataForm[];
}

/**
 * The XEP-0115 hash names (IANA) this runtime computes, with their WebCrypto
 * names. (`md5` and `sha-224` are in the IANA registry but not in WebCrypto.)
 */
export const CAPS_HASHES: Readonly<Record<string, string>> = Object.freeze({
  "sha-1": "SHA-1",
  "sha-256": "SHA-256",
  "sha-384": "SHA-384",
  "sha-512": "SHA-512",
});

/**
 * Most identities, features, forms and form fields (each) a disco#info answer
 * may carry to be verified and cached; a larger answer is refused (it would
 * fill a shared store with one peer's data).
 */
export const MAX_INFO_ITEMS = 1024;
/** Most characters of one identity/feature/field string that is cached. */
export const MAX_INFO_STRING = 1024;

/** Why a disco#info answer cannot be verified (XEP-0115 §5.4 or a limit). */
export class CapsError extends Error {
  /**
   * Create the error.
   * @param message What is wrong with the answer.
   */
  constructor(message: string) {
    super(message);
    this.name = "CapsError";
  }
}

/** Compare by code point: the "i;octet" order of UTF-8 (XEP-0115 §5.1). */
function octetCompare(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function sorted(list: readonly string[]): string[] {
  return [...list].sort(octetCompare);
}

/**
 * The `FORM_TYPE` of a form: its field's single value (several equal values
 * count as one), or `undefined` when the form has no `FORM_TYPE`.
 * @param form The form.
 * @returns The value, or `undefined`.
 * @throws {CapsError} A `FORM_TYPE` with several different values (§5.4 3.5).
 */
export function formType(form: DataForm): string | undefined {
  const f = form.fields.find((x) => x.var === "FORM_TYPE");
  if (f === undefined) return undefined;
  const distinct = new Set(f.values);
  if (distinct.size > 1) {
    throw new CapsError("Cannot verify caps: FORM_TYPE has several values");
  }
  return f.values[0] ?? "";
}

/** The forms that enter the hash: a hidden FORM_TYPE (§5.4 3.6). */
function hashedForms(forms: readonly DataForm[]): DataForm[] {
  return forms.filter((form) =>
    formType(form) !== undefined &&
    form.fields.find((x) => x.var === "FORM_TYPE")!.type === "hidden"
  );
}

/**
 * Check a disco#info answer against XEP-0115 §5.4 (3.3–3.5) and the size
 * limits ({@linkcode MAX_INFO_ITEMS}, {@linkcode MAX_INFO_STRING}).
 * @param info The answer.
 * @throws {CapsError} Duplicate identities, features or `FORM_TYPE`s, a
 *   `FORM_TYPE` with different values, or too much data.
 *
 * @example Usage
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { checkCapsInfo } from "./caps_ver.ts";
 * throws(() => checkCapsInfo({ identities: [], features: ["a", "a"] }));
 * ```
 */
export function checkCapsInfo(info: DiscoInfo): void {
  checkInfoSize(info);
  const forms = info.forms ?? [];
  const ids = info.identities.map(identityString);
  if (new Set(ids).size !== ids.length) {
    throw new CapsError("Cannot verify caps: duplicate identity");
  }
  if (new Set(info.features).size !== info.features.length) {
    throw new CapsError("Cannot verify caps: duplicate feature");
  }
  const types = forms.map(formType).filter((t) => t !== undefined);
  if (new Set(types).size !== types.length) {
    throw new CapsError("Cannot verify caps: duplicate FORM_TYPE");
  }
}

/**
 * Check a disco#info answer against the size limits
 * ({@linkcode MAX_INFO_ITEMS}, {@linkcode MAX_INFO_STRING}) only: what may be
 * kept in a cache.
 * @param info The answer.
 * @throws {CapsError} Too many entries or too long a string.
 */
export function checkInfoSize(info: DiscoInfo): void {
  const forms = info.forms ?? [];
  const count = Math.max(
    info.identities.length,
    info.features.length,
    forms.length,
    ...forms.map((f) => f.fields.length),
  );
  if (count > MAX_INFO_ITEMS) {
    throw new CapsError(
      `Cannot verify caps: more than ${MAX_INFO_ITEMS} entries`,
    );
  }
  const strings = [
    ...info.identities.flatMap((i) => [i.category, i.type, i.name ?? ""]),
    ...info.features,
    ...forms.flatMap((f) => f.fields.flatMap((x) => [x.var, ...x.values])),
  ];
  if (strings.some((s) => s.length > MAX_INFO_STRING)) {
    throw new CapsError(
      `Cannot verify caps: a string longer than ${MAX_INFO_STRING} characters`,
    );
  }
}

function identityString(i: DiscoIdentity): string {
  return `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`;
}

/**
 * The string S of XEP-0115 §5.1 (what is hashed), after the §5.4 checks.
 * @param info Identities, features, forms.
 * @returns S.
 * @throws {CapsError} An answer §5.4 calls ill-formed.
 *
 * @example XEP-0115 §5.2
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { capsString } from "./caps_ver.ts";
 * strictEqual(
 *   capsString({
 *     identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
 *     features: ["http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info"],
 *   }),
 *   "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<",
 * );
 * ```
 */
export function capsString(info: DiscoInfo): string {
  checkCapsInfo(info);
  let s = "";
  for (const id of sorted(info.identities.map(identityString))) s += id + "<";
  for (const f of sorted(info.features)) s += f + "<";
  const forms = hashedForms(info.forms ?? []).map((f) => ({
    type: formType(f)!,
    form: f,
  })).sort((a, b) => octetCompare(a.type, b.type));
  for (const { type, form } of forms) {
    s += type + "<";
    const fields = form.fields.filter((x) => x.var !== "FORM_TYPE")
      .sort((a, b) => octetCompare(a.var, b.var));
    for (const field of fields) {
      s += field.var + "<";
      for (const v of sorted(field.values)) s += v + "<";
    }
  }
  return s;
}

/**
 * The XEP-0115 `ver` of a disco#info answer: base64 of the hash of S.
 * @param info Identities, features, forms.
 * @param hash An IANA hash name from {@linkcode CAPS_HASHES}.
 * @returns The verification string.
 * @throws {CapsError} An ill-formed answer or an unknown hash.
 *
 * @example XEP-0115 §5.2
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { verString } from "./caps_ver.ts";
 * strictEqual(
 *   await verString({
 *     identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
 *     features: [
 *       "http://jabber.org/protocol/caps",
 *       "http://jabber.org/protocol/disco#info",
 *       "http://jabber.org/protocol/disco#items",
 *       "http://jabber.org/protocol/muc",
 *     ],
 *   }),
 *   "QgayPKawpkPSDYmwT/WM94uAlu0=",
 * );
 * ```
 */
export async function verString(
  info: DiscoInfo,
  hash = "sha-1",
): Promise<string> {
  const algo = Object.hasOwn(CAPS_HASHES, hash) ? CAPS_HASHES[hash] : undefined;
  if (algo === undefined) {
    throw new CapsError(`Cannot compute caps: unknown hash ${hash}`);
  }
  const bytes = new TextEncoder().encode(capsString(info));
  const digest = await crypto.subtle.digest(algo, bytes);
  return encodeBase64(new Uint8Array(digest));
}

function parseForm(x: Element): DataForm {
  const fields: FormField[] = [];
  for (const f of x.getChildren("field")) {
    const v = f.attrs.var;
    if (typeof v !== "string") continue; // Fixed fields have no var.
    fields.push({
      var: v,
      ...(typeof f.attrs.type === "string" ? { type: f.attrs.type } : {}),
      values: f.getChildren("value").map((e: Element) => e.text()),
    });
  }
  return { type: String(x.attrs.type ?? ""), fields };
}

/**
 * Read a disco#info `<query/>` (duplicates kept, so that
 * {@linkcode checkCapsInfo} can see them). Identities without category or
 * type and features without `var` are left out.
 * @param query The `<query xmlns='…disco#info'/>` element.
 * @returns Its identities, features and forms.
 */
export function parseDiscoInfo(query: Element): DiscoInfo {
  const identities: DiscoIdentity[] = [];
  const features: string[] = [];
  const forms: DataForm[] = [];
  for (const child of query.getChildElements()) {
    const a = child.attrs;
    if (child.name === "identity" && a.category && a.type) {
      const lang = a["xml:lang"];
      identities.push({
        category: String(a.category),
        type: String(a.type),
        ...(typeof a.name === "string" ? { name: a.name } : {}),
        ...(typeof lang === "string" && lang !== "" ? { lang } : {}),
      });
    } else if (child.name === "feature" && typeof a.var === "string") {
      features.push(a.var);
    } else if (child.name === "x" && a.xmlns === NS_DATA_FORMS) {
      forms.push(parseForm(child));
    }
  }
  return forms.length > 0
    ? { identities, features, forms }
    : { identities, features };
}

/**
 * Build a disco#info `<query/>` element.
 * @param info Identities, features, forms.
 * @param node The node, if any.
 * @returns The element.
 */
export function discoInfoElement(info: DiscoInfo, node?: string): Element {
  const attrs: Record<string, string> = { xmlns: NS_DISCO_INFO };
  if (node !== undefined && node !== "") attrs.node = node;
  return xml(
    "query",
    attrs,
    ...info.identities.map((i) =>
      xml("identity", {
        category: i.category,
        type: i.type,
        ...(i.name === undefined ? {} : { name: i.name }),
        ...(i.lang === undefined ? {} : { "xml:lang": i.lang }),
      })
    ),
    ...info.features.map((f) => xml("feature", { var: f })),
    ...(info.forms ?? []).map(formElement),
  );
}

/**
 * Build a data form element.
 * @param form The form.
 * @returns `<x xmlns='jabber:x:data'/>`.
 */
export function formElement(form: DataForm): Element {
  return xml(
    "x",
    { xmlns: NS_DATA_FORMS, type: form.type || "result" },
    ...form.fields.map((f) =>
      xml(
        "field",
        { var: f.var, ...(f.type === undefined ? {} : { type: f.type }) },
        ...f.values.map((v) => xml("value", {}, v)),
      )
    ),
  );
}

/**
 * Check that a value is a {@linkcode DiscoInfo} (as read back from storage
 * or given by a handler) and return a clean copy.
 * @param value The candidate.
 * @param what What is being done, for the error.
 * @returns The info.
 * @throws {TypeError} Not a disco info.
 */
export function toDiscoInfo(value: unknown, what: string): DiscoInfo {
  const v = value as DiscoInfo;
  const str = (x: unknown) => typeof x === "string";
  const ok = typeof v === "object" && v !== null &&
    Array.isArray(v.identities) && Array.isArray(v.features) &&
    v.features.every(str) &&
    v.identities.every((i) =>
      typeof i === "object" && i !== null && str(i.category) && str(i.type) &&
      (i.name === undefined || str(i.name)) &&
      (i.lang === undefined || str(i.lang))
    ) &&
    (v.forms === undefined ||
      Array.isArray(v.forms) &&
        v.forms.every((f) =>
          typeof f === "object" && f !== null && str(f.type) &&
          Array.isArray(f.fields) && f.fields.every((x) =>
            typeof x === "object" && x !== null && str(x.var) &&
            (x.type === undefined || str(x.type)) && Array.isArray(x.values) &&
            x.values.every(str)
          )
        ));
  if (!ok) throw new TypeError(`Cannot ${what}: not a disco info`);
  const out: DiscoInfo = {
    identities: v.identities.map((i) => ({
      category: i.category,
      type: i.type,
      ...(i.name === undefined ? {} : { name: i.name }),
      ...(i.lang === undefined ? {} : { lang: i.lang }),
    })),
    features: [...v.features],
  };
  if (v.forms !== undefined && v.forms.length > 0) {
    out.forms = v.forms.map((f) => ({
      type: f.type,
      fields: f.fields.map((x) => ({
        var: x.var,
        ...(x.type === undefined ? {} : { type: x.type }),
        values: [...x.values],
      })),
    }));
  }
  return out;
}
