#!/usr/bin/python3
"""slixmpp 1.8.3 side of bench/bob_fetch.ts and bench/matrix.ts: BoB
fetches per second.

Two slixmpp clients, alice and bob, log in to a running server over plain
TCP (no TLS; `--tls starttls` or `--tls direct` with `--ca <file>` for the
TLS paths). Bob stores 32 distinct blobs of each payload size with
set_bob; alice fetches them with
get_bob(jid=<bob's full JID>, cid=..., cached=False) (cached=False: slixmpp
caches every result it receives, so a cached get would stop asking bob
after the first one). Worker k of C in flight always fetches blob k, so no
two requests in flight ask for the same cid (as in ours, which would share
one IQ between them). For each size: 50 warm-up fetches, then N fetches one
at a time, then N with 32 in flight (`--nbig` for sizes of 16 KiB and
more).

Usage (Debian's python3-slixmpp, so /usr/bin/python3):

    /usr/bin/python3 bench/_slixmpp_bob_fetch.py --port 5222 --n 2000 \
        --sizes 16,4096

Prints one JSON line: {"impl": "slixmpp", "n": N, "connect_s": ...,
"results": {"16": {"c1": fetches/s, "c32": fetches/s}, "4096": {...}}}.
Exits non-zero (message on stderr) when login or a fetch fails or
answers wrong bytes.
"""

import argparse
import asyncio
import json
import logging
import struct
import sys
import time

from _slixmpp_common import disconnect_all, login, make_client

IN_FLIGHT = 32




def blob(k, size):
    """Blob k of the given size: a counter, padded (the same bytes as ours)."""
    head = struct.pack('>I', k)
    return (head + bytes((i * 7 + k) % 256 for i in range(size)))[:size]


async def run(host, port, domain, n, sizes, timeout, sm=False, tls='none',
              ca=None, nbig=None, warmup=50):
    alice = make_client('alice@%s/slix' % domain, 'pw', sm, ca)
    bob = make_client('bob@%s/slix' % domain, 'pw', sm, ca)
    try:
        t0 = time.perf_counter()
        await asyncio.gather(login(alice, host, port, timeout, tls),
                             login(bob, host, port, timeout, tls))
        connect_s = time.perf_counter() - t0
        bob_jid = bob.boundjid.full
        get = alice.plugin['xep_0231'].get_bob
        results = {}
        for size in sizes:
            blobs = [blob(k, size) for k in range(IN_FLIGHT)]
            cids = [await bob.plugin['xep_0231'].set_bob(b, 'image/png')
                    for b in blobs]

            async def fetch(k):
                iq = await get(jid=bob_jid, cid=cids[k], cached=False,
                               timeout=timeout)
                return iq

            first = await fetch(0)
            if first['bob']['data'] != blobs[0] or \
                    first['bob']['cid'] != cids[0]:
                raise RuntimeError('unexpected answer: %s' % first)
            # warm up (at most 20 of 16 KiB and more)
            for i in range(warmup if size < 16384 else min(warmup, 20)):
                await fetch(i % IN_FLIGHT)

            count = nbig if nbig and size >= 16384 else n

            async def timed(concurrency):
                remaining = count

                async def worker(k):
                    nonlocal remaining
                    while remaining > 0:
                        remaining -= 1
                        await fetch(k)

                t1 = time.perf_counter()
                await asyncio.gather(*(worker(k) for k in range(concurrency)))
                return round(count / (time.perf_counter() - t1))

            results[str(size)] = {'c1': await timed(1),
                                  'c32': await timed(IN_FLIGHT)}
        return {'impl': 'slixmpp', 'n': n, 'connect_s': round(connect_s, 3),
                'results': results}
    finally:
        await disconnect_all(alice, bob)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5222)
    parser.add_argument('--domain', default='localhost')
    parser.add_argument('--n', type=int, default=2000)
    parser.add_argument('--sizes', default='16,4096')
    parser.add_argument('--timeout', type=float, default=10.0)
    parser.add_argument('--sm', action='store_true')
    parser.add_argument('--tls', default='none',
                        choices=['none', 'starttls', 'direct'])
    parser.add_argument('--ca', default=None, help='CA file to trust')
    parser.add_argument('--warmup', type=int, default=50)
    parser.add_argument('--nbig', type=int, default=None,
                        help='N for payloads of 16 KiB and more')
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    sizes = [int(s) for s in args.sizes.split(',')]
    result = asyncio.run(run(args.host, args.port, args.domain, args.n,
                             sizes, args.timeout, args.sm, args.tls,
                             args.ca, args.nbig, args.warmup))
    sys.stdout.write(json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
