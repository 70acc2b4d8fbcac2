/**
 * A tiny authoritative DNS server on loopback UDP for tests: it parses one
 * question per query and answers SRV and A records from a table (NXDOMAIN
 * for a name it does not know, an empty answer for a type it has none of).
 *
 * @module
 */
import dgram from "node:dgram";

/** Records served for one name. */
export interface DnsRecords {
  /** SRV records. */
  srv?: { priority: number; weight: number; port: number; target: string }[];
  /** IPv4 addresses. */
  a?: string[];
}

/** A running test DNS server. */
export interface DnsServer {
  /** 127.0.0.1 */
  ipAddr: string;
  /** Its UDP port. */
  port: number;
  /** Questions asked, as `name TYPE`. */
  asked: string[];
  /** Stop it. */
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

function readName(buf: Uint8Array, offset: number): [string, number] {
  const labels: string[] = [];
  let i = offset;
  while (buf[i] !== 0) {
    const len = buf[i];
    labels.push(new TextDecoder().decode(buf.subarray(i + 1, i + 1 + len)));
    i += len + 1;
  }
  return [labels.join("."), i + 1];
}

function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.replace(/\.$/, "").split(".")) {
    if (!label) continue;
    const bytes = new TextEncoder().encode(label);
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];

function answer(
  query: Uint8Array,
  table: Record<string, DnsRecords>,
  asked: string[],
): Uint8Array {
  const [name, end] = readName(query, 12);
  const qtype = (query[end] << 8) | query[end + 1];
  asked.push(
    `${name} ${qtype === TYPE_SRV ? "SRV" : qtype === TYPE_A ? "A" : qtype}`,
  );
  const records = table[name.toLowerCase()];
  const rdatas: number[][] = [];
  if (records && qtype === TYPE_SRV) {
    for (const r of records.srv ?? []) {
      rdatas.push([
        ...u16(r.priority),
        ...u16(r.weight),
        ...u16(r.port),
        ...encodeName(r.target),
      ]);
    }
  } else if (records && qtype === TYPE_A) {
    for (const ip of records.a ?? []) rdatas.push(ip.split(".").map(Number));
  }
  const question = [...query.subarray(12, end + 4)];
  const flags = 0x8400 | 0x0100 | (records ? 0 : 3); // QR AA RD, NXDOMAIN
  const out = [
    query[0],
    query[1],
    ...u16(flags),
    ...u16(1),
    ...u16(rdatas.length),
    ...u16(0),
    ...u16(0),
    ...question,
  ];
  for (const rdata of rdatas) {
    out.push(
      0xc0,
      12,
      ...u16(qtype),
      ...u16(1),
      0,
      0,
      0,
      60,
      ...u16(rdata.length),
      ...rdata,
    );
  }
  return new Uint8Array(out);
}

/**
 * Start a DNS server on 127.0.0.1 answering from `table` (names lower case,
 * no trailing dot).
 *
 * @param table Records by name.
 * @returns The running server.
 */
export function startDns(
  table: Record<string, DnsRecords>,
): Promise<DnsServer> {
  const socket = dgram.createSocket("udp4");
  const asked: string[] = [];
  socket.on(
    "message",
    (msg: Uint8Array, rinfo: { port: number; address: string }) => {
      try {
        socket.send(
          answer(new Uint8Array(msg), table, asked),
          rinfo.port,
          rinfo.address,
        );
      } catch {
        // malformed query: no answer
      }
    },
  );
  return new Promise((resolve) => {
    socket.bind(0, "127.0.0.1", () => {
      resolve({
        ipAddr: "127.0.0.1",
        port: socket.address().port,
        asked,
        close: () => new Promise<void>((r) => socket.close(() => r())),
      });
    });
  });
}
