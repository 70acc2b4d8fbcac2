#!/usr/bin/python3
"""slixmpp 1.8.3 reference: XEP-0231 (BoB) IQ round trips per second.

Two slixmpp clients, alice and bob, log in to a running server over plain
TCP (no TLS). Bob stores one blob with set_bob; alice then fetches it with
get_bob(jid=<bob's full JID>, cid=..., cached=False) over the network: an IQ
get answered by bob's plugin. (cached=False because slixmpp caches every
result it receives, so a cached get would stop going to the network after
the first one.) Round trips are timed one at a time (--concurrency 1) or
with that many in flight.

Usage (Debian's python3-slixmpp, so /usr/bin/python3, not a pyenv python),
against a Prosody with accounts alice and bob (password "pw") and plain
auth allowed, e.g. one from tests/support/prosody.ts:

    /usr/bin/python3 bench/slixmpp_iq.py --host 127.0.0.1 --port 5222 \
        --domain localhost --n 2000 --concurrency 1
    /usr/bin/python3 bench/slixmpp_iq.py --port 5222 --concurrency 32

Prints one JSON line:
{"impl":"slixmpp","concurrency":...,"n":...,"rt_per_s":...,"connect_s":...}
(connect_s: wall time until both clients have a session, logged in side by
side.)
"""

import argparse
import asyncio
import json
import logging
import sys
import time

from _slixmpp_common import disconnect_all, login, make_client

PAYLOAD = b'xmpp-actors bench'




async def run(host, port, domain, n, concurrency, timeout, sm=False):
    alice = make_client('alice@%s/bench' % domain, 'pw', sm)
    bob = make_client('bob@%s/bench' % domain, 'pw', sm)
    try:
        t0 = time.perf_counter()
        await asyncio.gather(login(alice, host, port, timeout),
                             login(bob, host, port, timeout))
        connect_s = time.perf_counter() - t0

        cid = await bob.plugin['xep_0231'].set_bob(PAYLOAD, 'text/plain')
        bob_jid = bob.boundjid.full
        get = alice.plugin['xep_0231'].get_bob

        async def fetch():
            iq = await get(jid=bob_jid, cid=cid, cached=False,
                           timeout=timeout)
            return iq

        first = await fetch()
        if first['bob']['data'] != PAYLOAD or first['bob']['cid'] != cid:
            raise RuntimeError('unexpected answer: %s' % first)
        for _ in range(min(50, n)):  # warm up
            await fetch()

        remaining = n

        async def worker():
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await fetch()

        t1 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
        elapsed = time.perf_counter() - t1
        return {
            'impl': 'slixmpp',
            'concurrency': concurrency,
            'n': n,
            'rt_per_s': round(n / elapsed),
            'connect_s': round(connect_s, 3),
        }
    finally:
        await disconnect_all(alice, bob)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=5222)
    parser.add_argument('--domain', default='localhost')
    parser.add_argument('--n', type=int, default=2000)
    parser.add_argument('--concurrency', type=int, default=1)
    parser.add_argument('--timeout', type=float, default=10.0)
    parser.add_argument('--sm', action='store_true',
                        help='enable stream management (XEP-0198)')
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    result = asyncio.run(run(args.host, args.port, args.domain, args.n,
                             args.concurrency, args.timeout, args.sm))
    sys.stdout.write(json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
