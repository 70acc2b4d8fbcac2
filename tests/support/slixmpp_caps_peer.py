#!/usr/bin/python3
"""A slixmpp 1.8.3 peer for the XEP-0115 interop test (one run, no stdin).

Logs in over plain TCP with xep_0030, xep_0004, xep_0128 and xep_0115, adds
one XEP-0128 form, computes its own caps (update_caps), and prints one JSON
line {"jid", "ver", "example"} where "example" is slixmpp's ver of the
XEP-0115 §5.3 complex example. Then sends a directed presence (with its
caps) to --target, waits until its XEP-0115 plugin has verified the
target's caps (the target must send it a presence), prints {"ours": <ver
slixmpp assigned to the target>, "features": [...]}, and exits 0.

Usage: /usr/bin/python3 slixmpp_caps_peer.py --port P --jid J --target T
"""
import argparse
import asyncio
import json
import sys

from slixmpp import ClientXMPP
from slixmpp.plugins.xep_0030 import DiscoInfo


def write(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def software_form(xmpp, values):
    form = xmpp['xep_0004'].make_form('result')
    form.add_field(var='FORM_TYPE', ftype='hidden',
                   value='urn:xmpp:dataforms:softwareinfo')
    for var, value in values:
        if isinstance(value, list):
            form.add_field(var=var, ftype='text-multi', value=value)
        else:
            form.add_field(var=var, value=value)
    return form


async def main(args):
    xmpp = ClientXMPP(args.jid, args.password)
    for p in ('xep_0030', 'xep_0004', 'xep_0128', 'xep_0115'):
        xmpp.register_plugin(p)
    xmpp['feature_mechanisms'].unencrypted_plain = True
    caps = xmpp['xep_0115']
    started = asyncio.get_running_loop().create_future()
    xmpp.add_event_handler('session_start',
                           lambda _e: started.done() or started.set_result(1))
    xmpp.connect((args.host, args.port), use_ssl=False,
                 force_starttls=False, disable_starttls=True)
    await asyncio.wait_for(started, args.timeout)

    # The XEP-0115 §5.3 example, as slixmpp computes it.
    info = DiscoInfo()
    info.add_identity('client', 'pc', 'Psi 0.11', 'en')
    info.add_identity('client', 'pc', 'Ψ 0.11', 'el')
    for f in ('http://jabber.org/protocol/caps',
              'http://jabber.org/protocol/disco#info',
              'http://jabber.org/protocol/disco#items',
              'http://jabber.org/protocol/muc'):
        info.add_feature(f)
    info.append(software_form(xmpp, [
        ('ip_version', ['ipv4', 'ipv6']), ('os', 'Mac'),
        ('os_version', '10.5.1'), ('software', 'Psi'),
        ('software_version', '0.11')]))
    example = caps.generate_verstring(info, 'sha-1')

    # Its own caps, with a form, in its presence.
    xmpp['xep_0030'].add_identity('client', 'pc', name='slix', lang='en')
    await xmpp['xep_0128'].set_extended_info(data=software_form(
        xmpp, [('software', 'slixmpp'), ('os', ['a', 'b'])]))
    await caps.update_caps(broadcast=False)
    ver = await caps.get_verstring()
    write({'jid': xmpp.boundjid.full, 'ver': ver, 'example': example})
    xmpp.send_presence(pto=args.target)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    ours = None
    while ours is None and loop.time() < deadline:
        ours = await caps.get_verstring(args.target)
        if ours is None:
            await asyncio.sleep(0.02)
    cached = await caps.get_caps(verstring=ours) if ours else None
    write({'ours': ours,
           'features': sorted(cached['features']) if cached else None})
    xmpp.disconnect()


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--jid', required=True)
    parser.add_argument('--password', default='pw')
    parser.add_argument('--target', required=True)
    parser.add_argument('--timeout', type=float, default=20)
    asyncio.run(main(parser.parse_args()))
