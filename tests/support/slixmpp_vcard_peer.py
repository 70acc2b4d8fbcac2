#!/usr/bin/python3
"""A slixmpp 1.8.3 peer for the vCard/avatar/last activity/idle interop tests.

Same driver protocol as slixmpp_bob_peer.py (one JSON command per stdin line,
one JSON answer per stdout line, {"ready": true, "jid": ...} first), with
xep_0054, xep_0153, xep_0012 and xep_0319 loaded:

    {"op": "set_avatar", "data": <base64>, "type": "image/png"}
        -> xep_0153.set_avatar (vCard published, hash reset); result: the
           hash slixmpp stores for itself
    {"op": "presence", "to": <full JID>}  -> a directed available presence
        (slixmpp's filters add the avatar hash and idle); result null
    {"op": "get_vcard", "jid": <bare JID>}
        -> result {"fn", "photo_sha1" (of the decoded BINVAL, "" for none)}
    {"op": "wait_avatar", "jid": <bare JID>}
        -> the hash announced in the first presence from that bare JID
           carrying vcard-temp:x:update (past or future)
    {"op": "get_hash", "jid": ...}         -> xep_0153 get_hash
    {"op": "last_activity", "jid": ...}    -> {"seconds", "status"} (asked)
    {"op": "set_last", "seconds": n, "status": s}  -> set for our full JID
    {"op": "idle", "since": <ISO>}         -> xep_0319 set_idle(since)
    {"op": "wait_idle", "jid": <full JID>} -> the since of the first idle
        presence from that JID, ISO (past or future)
    {"op": "quit"}

Usage: /usr/bin/python3 slixmpp_vcard_peer.py --port P --jid bob@localhost/s
"""
import argparse
import asyncio
import base64
import hashlib
import json
import logging
import sys
from datetime import datetime

from slixmpp import ClientXMPP, JID
from slixmpp.exceptions import IqError, IqTimeout

logging.disable(logging.CRITICAL)


def write(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


class Peer:
    def __init__(self, args):
        self.args = args
        xmpp = ClientXMPP(args.jid, args.password)
        for name in ('xep_0030', 'xep_0054', 'xep_0153', 'xep_0012',
                     'xep_0319'):
            xmpp.register_plugin(name)
        xmpp['feature_mechanisms'].unencrypted_plain = True
        self.xmpp = xmpp
        self.avatars = []  # (bare from, announced hash)
        self.idles = []  # (full from, since ISO)
        self.changed = asyncio.Event()
        xmpp.add_event_handler('vcard_avatar_update', self.on_avatar)
        xmpp.add_event_handler('presence_idle', self.on_idle)

    def on_avatar(self, pres):
        self.avatars.append((pres['from'].bare,
                             pres['vcard_temp_update']['photo']))
        self.changed.set()

    def on_idle(self, pres):
        self.idles.append((pres['from'].full,
                           pres['idle']['since'].isoformat()))
        self.changed.set()

    async def wait_for(self, items, key):
        while True:
            for k, value in items:
                if k == key:
                    return value
            self.changed.clear()
            await self.changed.wait()

    async def login(self):
        done = asyncio.get_running_loop().create_future()

        def ok(_event):
            if not done.done():
                done.set_result(True)

        def failed(event):
            if not done.done():
                done.set_exception(RuntimeError('login failed: %s' % event))

        self.xmpp.add_event_handler('session_start', ok)
        self.xmpp.add_event_handler('failed_all_auth', failed)
        self.xmpp.add_event_handler('connection_failed', failed)
        self.xmpp.connect((self.args.host, self.args.port), use_ssl=False,
                          force_starttls=False, disable_starttls=True)
        await asyncio.wait_for(done, self.args.timeout)

    async def op_set_avatar(self, cmd):
        # slixmpp's set_avatar first reads our vCard, and Prosody answers
        # item-not-found while there is none: publish an empty one first.
        vcard = self.xmpp['xep_0054']
        await vcard.publish_vcard(vcard.make_vcard(),
                                  timeout=self.args.timeout)
        await self.xmpp['xep_0153'].set_avatar(
            avatar=base64.b64decode(cmd['data']), mtype=cmd['type'],
            timeout=self.args.timeout)
        return await self.xmpp['xep_0153'].api['get_hash'](
            self.xmpp.boundjid.bare)

    async def op_presence(self, cmd):
        # From our full JID: slixmpp's avatar filter looks the hash up by it.
        self.xmpp.send_presence(pto=cmd['to'], pfrom=self.xmpp.boundjid.full)
        return None

    async def op_get_vcard(self, cmd):
        iq = await self.xmpp['xep_0054'].get_vcard(
            JID(cmd['jid']), cached=False, timeout=self.args.timeout)
        vcard = iq['vcard_temp']
        data = vcard['PHOTO']['BINVAL']
        return {'fn': vcard['FN'],
                'photo_sha1': hashlib.sha1(data).hexdigest() if data else ''}

    async def op_wait_avatar(self, cmd):
        return await self.wait_for(self.avatars, cmd['jid'])

    async def op_get_hash(self, cmd):
        return await self.xmpp['xep_0153'].api['get_hash'](JID(cmd['jid']))

    async def op_last_activity(self, cmd):
        iq = await self.xmpp['xep_0012'].get_last_activity(
            JID(cmd['jid']), timeout=self.args.timeout)
        return {'seconds': iq['last_activity']['seconds'],
                'status': iq['last_activity']['status']}

    async def op_set_last(self, cmd):
        await self.xmpp['xep_0012'].set_last_activity(
            self.xmpp.boundjid, cmd['seconds'], cmd.get('status'))
        return None

    async def op_idle(self, cmd):
        # XEP_0319.idle(jid, since) in slixmpp 1.8.3 fails in its call to
        # xep_0012 (TypeError: missing argument 'data'); its first step, the
        # set_idle op that the presence filter reads, is what matters here.
        await self.xmpp['xep_0319'].api['set_idle'](
            self.xmpp.boundjid, None, None,
            datetime.fromisoformat(cmd['since']))
        return None

    async def op_wait_idle(self, cmd):
        return await self.wait_for(self.idles, cmd['jid'])

    async def run_command(self, cmd):
        reply = {'id': cmd.get('id')}
        try:
            handler = getattr(self, 'op_' + cmd['op'])
            reply['result'] = await asyncio.wait_for(handler(cmd),
                                                     self.args.timeout)
            reply['ok'] = True
        except IqError as e:
            reply.update(ok=False, error=str(e),
                         condition=e.iq['error']['condition'])
        except IqTimeout:
            reply.update(ok=False, error='timeout',
                         condition='remote-server-timeout')
        except asyncio.TimeoutError:
            reply.update(ok=False, error='timeout')
        except Exception as e:  # a bad command must not kill the peer
            reply.update(ok=False, error='%s: %s' % (type(e).__name__, e))
        write(reply)

    async def serve(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 22)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        tasks = set()
        while True:
            line = await reader.readline()
            if not line:
                break
            if not line.strip():
                continue
            cmd = json.loads(line)
            if cmd.get('op') == 'quit':
                break
            task = asyncio.ensure_future(self.run_command(cmd))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        for task in list(tasks):
            task.cancel()

    async def disconnect(self):
        try:
            await asyncio.wait_for(self.xmpp.disconnect(), 2)
        except Exception:
            pass


async def main(args):
    peer = Peer(args)
    try:
        try:
            await peer.login()
        except Exception as e:
            write({'ready': False, 'error': '%s: %s' % (type(e).__name__, e)})
            return 1
        write({'ready': True, 'jid': peer.xmpp.boundjid.full})
        await peer.serve()
        return 0
    finally:
        await peer.disconnect()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--jid', required=True)
    parser.add_argument('--password', default='pw')
    parser.add_argument('--timeout', type=float, default=10.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
