/**
 * Three clients (alice, bob, carol) logged in to a fresh harness Prosody
 * for the length of one test: the setup the BoB network tests share.
 *
 * @module
 */
import { createClient } from "../../mod.ts";
import { startProsody } from "./prosody.ts";

/** A client of the harness. */
export type PeerClient = ReturnType<typeof createClient>;

/** What {@linkcode withPeers} hands the test. */
export interface Peers {
  /** `alice@localhost/<resource>`. */
  alice: PeerClient;
  /** `bob@localhost/<resource>`. */
  bob: PeerClient;
  /** `carol@localhost/<resource>`. */
  carol: PeerClient;
  /** The running server. */
  server: Awaited<ReturnType<typeof startProsody>>;
}

/** Resources of the three accounts. */
export interface PeerResources {
  /** @default {"a"} */
  alice?: string;
  /** @default {"b"} */
  bob?: string;
  /** @default {"c"} */
  carol?: string;
}

/**
 * Start Prosody, log alice, bob and carol in (STARTTLS with the test CA),
 * run `fn`, then stop the clients and the server whatever happened.
 *
 * @param fn The test body.
 * @param resources The resource of each account.
 */
export async function withPeers(
  fn: (peers: Peers) => Promise<void>,
  resources: PeerResources = {},
): Promise<void> {
  const { alice: ra = "a", bob: rb = "b", carol: rc = "c" } = resources;
  const server = await startProsody();
  const common = {
    password: "pw",
    service: `xmpp://127.0.0.1:${server.c2sPort}`,
    tls: { caCerts: [server.caPem] },
  };
  const alice = createClient({ jid: `alice@localhost/${ra}`, ...common });
  const bob = createClient({ jid: `bob@localhost/${rb}`, ...common });
  const carol = createClient({ jid: `carol@localhost/${rc}`, ...common });
  try {
    await Promise.all([alice.start(), bob.start(), carol.start()]);
    await fn({ alice, bob, carol, server });
  } finally {
    await Promise.all([alice.stop(), bob.stop(), carol.stop()]);
    await server.stop();
  }
}
