/**
 * Running slixmpp 1.8.3 (Debian `python3-slixmpp`, for `/usr/bin/python3`)
 * from tests.
 *
 * @module
 */

/** The Python that has Debian's slixmpp. */
export const PYTHON = "/usr/bin/python3";

/** Whether slixmpp can be imported by {@linkcode PYTHON}. */
export function hasSlixmpp(): boolean {
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", "import slixmpp"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Run a Python script with arguments; resolve with its stdout, reject with
 * its stderr when it fails.
 *
 * @param script Path of the script.
 * @param args Its arguments.
 * @returns What it printed.
 */
export async function runPython(
  script: string,
  args: string[],
): Promise<string> {
  const out = await new Deno.Command(PYTHON, {
    args: [script, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder();
  if (!out.success) {
    throw new Error(`${script} failed: ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout);
}

/** What {@linkcode startSlixmppPeer} runs: the peer script's options. */
export interface SlixmppPeerOptions {
  /** The Python script (a peer speaking the stdin JSON protocol). */
  script: string;
  /** Prosody's client port on 127.0.0.1 (plain TCP). */
  port: number;
  /** The JID to log in as, e.g. `"bob@localhost/slix"`. */
  jid: string;
  /** Its password; `"pw"` by default. */
  password?: string;
  /** Timeout of each command in the peer, and of each call here (+1 s), ms. */
  timeout?: number;
}

/** A running slixmpp peer, as returned by {@linkcode startSlixmppPeer}. */
export interface SlixmppPeer {
  /** Its bound full JID. */
  jid: string;
  /**
   * Send one command; resolve with its `result`, reject with an `Error`
   * carrying the peer's `condition` (when it got an XMPP error) otherwise.
   */
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Asks it to quit, kills it if it has not exited after 3 s. Idempotent. */
  close(): Promise<void>;
}

/** An error answer of a {@linkcode SlixmppPeer} command. */
export class SlixmppPeerError extends Error {
  /** The XMPP error condition the peer received, if any. */
  condition?: string;
  /**
   * @param message The peer's error text.
   * @param condition The XMPP error condition.
   */
  constructor(message: string, condition?: string) {
    super(message);
    this.name = "SlixmppPeerError";
    this.condition = condition;
  }
}

/**
 * Start a slixmpp peer script (e.g. `tests/support/slixmpp_bob_peer.py`) that
 * logs in, prints `{"ready": true, "jid": …}` and then answers JSON commands
 * read line by line on stdin with `{"id", "ok", "result" | "error"}` lines.
 *
 * @param options The script, server port and account.
 * @returns The peer once it is online.
 */
export async function startSlixmppPeer(
  options: SlixmppPeerOptions,
): Promise<SlixmppPeer> {
  const timeout = options.timeout ?? 10_000;
  const child = new Deno.Command(PYTHON, {
    args: [
      options.script,
      "--port",
      String(options.port),
      "--jid",
      options.jid,
      "--password",
      options.password ?? "pw",
      "--timeout",
      String(timeout / 1000),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  const lines = child.stdout
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(splitLines())
    [Symbol.asyncIterator]();
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  let closed = false;
  let exit: Promise<Deno.CommandStatus> | undefined;
  const close = async () => {
    if (!closed) {
      closed = true;
      await writer.write(new TextEncoder().encode('{"op":"quit"}\n'))
        .catch(() => {});
      await writer.close().catch(() => {});
    }
    exit ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((r) =>
        timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch {
            // already gone
          }
          r();
        }, 3000)
      );
      await Promise.race([child.status, killed]);
      clearTimeout(timer);
      const status = await child.status;
      await stderr;
      return status;
    })();
    await exit;
  };

  const first = await withTimeout(lines.next(), timeout + 5000, "login")
    .catch(async (e) => {
      await close();
      throw e;
    });
  const ready = first.done ? undefined : JSON.parse(first.value);
  if (!ready?.ready) {
    await close();
    throw new Error(
      `slixmpp peer did not start: ${ready?.error ?? ""} ${await stderr}`,
    );
  }
  // Route answers to their callers until stdout ends.
  (async () => {
    for (;;) {
      const next = await lines.next().catch(() => ({ done: true as const }));
      if (next.done) break;
      const reply = JSON.parse(next.value);
      const waiter = pending.get(reply.id);
      if (!waiter) continue;
      pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.result);
      else {
        waiter.reject(new SlixmppPeerError(reply.error, reply.condition));
      }
    }
    const err = new Error(`slixmpp peer exited: ${await stderr}`);
    for (const w of pending.values()) w.reject(err);
    pending.clear();
  })();

  let nextId = 0;
  return {
    jid: ready.jid,
    call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
      if (closed) return Promise.reject(new Error("slixmpp peer is closed"));
      const id = ++nextId;
      const answer = new Promise<T>((resolve, reject) =>
        pending.set(id, {
          resolve: resolve as (v: unknown) => void,
          reject,
        })
      );
      writer.write(
        new TextEncoder().encode(JSON.stringify({ ...args, id, op }) + "\n"),
      ).catch(() => {});
      return withTimeout(answer, timeout + 1000, op).finally(() =>
        pending.delete(id)
      );
    },
    close,
  };
}

function splitLines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, out) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const p of parts) if (p.trim() !== "") out.enqueue(p);
    },
    flush(out) {
      if (rest.trim() !== "") out.enqueue(rest);
    },
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) =>
      timer = setTimeout(
        () => reject(new Error(`slixmpp peer: ${what} timed out`)),
        ms,
      )
    ),
  ]).finally(() => clearTimeout(timer));
}
