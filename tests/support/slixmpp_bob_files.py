"""Drive slixmpp 1.8.3's XEP-0231 plugin with the how-to's file BobLoader.

Used by tests/slixmpp_interop_test.ts (run with /usr/bin/python3):
  write DIR        store b"coucou" (max_age 86400) and b"x" (no max_age);
                   print the two cids as a JSON list
  read DIR CID     print {"cid", "type", "data" (base64), "max_age"} as JSON
"""
import asyncio
import base64
import json
import logging
import os
import sys

from slixmpp import ClientXMPP

logging.disable(logging.CRITICAL)


# The how-to's BobLoader, shared with the benchmark script.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'bench'))
from slixmpp_bob_local import BobLoader  # noqa: E402


async def main():
    mode, directory = sys.argv[1], sys.argv[2]
    xmpp = ClientXMPP('alice@localhost', 'pw')
    xmpp.register_plugin('xep_0231')
    bob = xmpp.plugin['xep_0231']
    loader = BobLoader(directory)
    bob.api.register(loader.set_bob, 'set_bob')
    bob.api.register(loader.get_bob, 'get_bob')
    bob.api.register(loader.del_bob, 'del_bob')
    if mode == 'write':
        a = await bob.set_bob(b'coucou', 'text/plain', max_age=86400)
        b = await bob.set_bob(b'x', 'text/plain')
        print(json.dumps([a, b]))
    else:
        iq = await bob.get_bob(cid=sys.argv[3])
        got = iq['bob']
        print(json.dumps({
            'cid': got['cid'],
            'type': got['type'],
            'data': base64.b64encode(got['data']).decode(),
            'max_age': got['max_age'],
        }))


asyncio.run(main())
