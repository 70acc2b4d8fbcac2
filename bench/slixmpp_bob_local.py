#!/usr/bin/python3
"""slixmpp 1.8.3 reference: local XEP-0231 (BoB) storage ops per second.

No connection is made: a ClientXMPP with the xep_0231 plugin, then N
set_bob calls with distinct data (so every cid differs), N get_bob(cid=...)
from local storage, and N del_bob, each phase timed with perf_counter (or,
with --clock cpu, with process_time: CPU seconds of this process, which a
busy machine's other processes do not inflate).

Usage (Debian's python3-slixmpp, so /usr/bin/python3, not a pyenv python):

    /usr/bin/python3 bench/slixmpp_bob_local.py --n 20000 --mode memory --size 16
    /usr/bin/python3 bench/slixmpp_bob_local.py --n 20000 --mode file --size 16
    /usr/bin/python3 bench/slixmpp_bob_local.py --n 20000 --mode memory --clock cpu

--mode memory  the plugin's default in-memory store
--mode file    the BobLoader of the slixmpp "Flexible internal API usage"
               how-to (one JSON file per cid), in a temporary directory

Prints one JSON line:
{"impl":"slixmpp","mode":...,"n":...,"size":...,"set_per_s":...,"get_per_s":...,"del_per_s":...}
"""

import argparse
import asyncio
import base64
import json
import logging
import os
import shutil
import struct
import sys
import tempfile
import time
from os.path import exists, join

from slixmpp import ClientXMPP
from slixmpp.plugins.xep_0231 import BitsOfBinary


class BobLoader:
    """File storage for BoB, one JSON file per cid (the how-to's class)."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        self.dir = directory

    def set_bob(self, jid=None, node=None, ifrom=None, args=None):
        payload = {
            'data': base64.b64encode(args['data']).decode(),
            'type': args['type'],
            'cid': args['cid'],
            'max_age': args['max_age'],
        }
        with open(join(self.dir, args['cid']), 'w') as fd:
            json.dump(payload, fd)

    def get_bob(self, jid=None, node=None, ifrom=None, args=None):
        with open(join(self.dir, args), 'r') as fd:
            payload = json.loads(fd.read())
        bob = BitsOfBinary()
        bob['data'] = base64.b64decode(payload['data'])
        bob['type'] = payload['type']
        bob['max_age'] = payload['max_age']
        bob['cid'] = payload['cid']
        return bob

    def del_bob(self, jid=None, node=None, ifrom=None, args=None):
        path = join(self.dir, args)
        if exists(path):
            os.remove(path)


def payloads(n, size):
    """n distinct byte strings of the given size (a counter, padded)."""
    out = []
    for i in range(n):
        head = struct.pack('>Q', i)
        if size >= len(head):
            out.append(head + b'\x5a' * (size - len(head)))
        else:
            out.append(i.to_bytes(max(size, 1), 'big', signed=False)[-size:])
    return out


async def run(n, mode, size, clock=time.perf_counter):
    xmpp = ClientXMPP('alice@localhost', 'pw')
    xmpp.register_plugin('xep_0231')
    bob = xmpp.plugin['xep_0231']
    tmp = None
    if mode == 'file':
        tmp = tempfile.mkdtemp(prefix='slixmpp-bob-')
        loader = BobLoader(join(tmp, 'bobcache'))
        bob.api.register(loader.set_bob, 'set_bob')
        bob.api.register(loader.get_bob, 'get_bob')
        bob.api.register(loader.del_bob, 'del_bob')
    try:
        datas = payloads(n, size)
        cids = []

        t0 = clock()
        for data in datas:
            cids.append(await bob.set_bob(data, 'text/plain'))
        t1 = clock()
        # untimed check that get_bob hands back what was stored
        first = await bob.get_bob(cid=cids[0])
        if first['bob']['data'] != datas[0] or first['bob']['cid'] != cids[0]:
            raise RuntimeError('get_bob returned the wrong data')
        t1b = clock()
        for cid in cids:
            iq = await bob.get_bob(cid=cid)
            if iq is None:
                raise RuntimeError('get_bob returned nothing for ' + cid)
        t2 = clock()
        for cid in cids:
            await bob.del_bob(cid)
        t3 = clock()

        if len(set(cids)) != n:
            raise RuntimeError('cids are not distinct')
        # sanity: every entry is gone after del (get_bob of a missing cid
        # would go to the network, so look at the stores themselves)
        if mode == 'memory' and bob._cids:
            raise RuntimeError('del_bob left data behind')
        if mode == 'file' and os.listdir(join(tmp, 'bobcache')):
            raise RuntimeError('del_bob left files behind')
        return {
            'impl': 'slixmpp',
            'mode': mode,
            'n': n,
            'size': size,
            'set_per_s': round(n / (t1 - t0)),
            'get_per_s': round(n / (t2 - t1b)),
            'del_per_s': round(n / (t3 - t2)),
        }
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--n', type=int, default=20000)
    parser.add_argument('--mode', choices=['memory', 'file'], default='memory')
    parser.add_argument('--size', type=int, default=16)
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall')
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    clock = time.process_time if args.clock == 'cpu' else time.perf_counter
    result = asyncio.run(run(args.n, args.mode, args.size, clock))
    sys.stdout.write(json.dumps(result) + '\n')


if __name__ == '__main__':
    main()
