#!/usr/bin/python3
"""A slixmpp 1.8.3 peer for the XEP-0231 interop tests, driven over stdin.

Logs in over plain TCP (no TLS, PLAIN allowed) with xep_0030 and xep_0231,
prints one JSON line {"ready": true, "jid": <bound full JID>}, then reads one
JSON command per line on stdin and answers each with one JSON line on stdout:

    {"id": 1, "op": "set_bob", "data": <base64>, "type": "text/plain",
     "max_age": 60, "cid": <optional, any string: slixmpp does not check it>}
        -> {"id": 1, "ok": true, "result": <cid>}
    {"id": 2, "op": "get_bob", "cid": ..., "jid": <optional>, "cached": true}
        -> result {"cid", "type", "data" (base64), "max_age"}
    {"op": "disco_info", "jid": ...}      -> result {"features": [...]}
    {"op": "send_bob", "to": ..., "cid": ..., "data": <base64>,
     "type": ..., "max_age": <optional>, "body": <optional>}
        -> a <message/> carrying <data/> is sent; result null
    {"op": "wait_bob", "cid": ...}        -> the first `bob` event (a <data/>
        cached from a message, presence or IQ result) with that cid, past or
        future: result {"from", "cid", "type", "data", "max_age"}
    {"op": "use_files", "dir": ...}       -> the how-to's file BobLoader
        (bench/slixmpp_bob_local.py) is registered for set/get/del_bob
    {"op": "quit"}                        -> disconnects, exits 0

A failed command answers {"id", "ok": false, "error": <text>,
"condition": <XMPP error condition, when the peer sent one>}. Every
command has a timeout (--timeout, default 10 s). The peer disconnects and
exits when stdin closes; it exits 1 when login fails, 0 after quit.

Usage: /usr/bin/python3 slixmpp_bob_peer.py --port P --jid bob@localhost/s
"""
import argparse
import asyncio
import base64
import json
import logging
import os
import sys

from slixmpp import ClientXMPP
from slixmpp.exceptions import IqError, IqTimeout

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'bench'))
from slixmpp_bob_local import BobLoader  # noqa: E402

logging.disable(logging.CRITICAL)


def write(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def bob_json(bob):
    return {
        'cid': bob['cid'],
        'type': bob['type'],
        'data': base64.b64encode(bob['data']).decode(),
        'max_age': bob['max_age'],
    }


class Peer:
    def __init__(self, args):
        self.args = args
        xmpp = ClientXMPP(args.jid, args.password)
        xmpp.register_plugin('xep_0030')
        xmpp.register_plugin('xep_0231')
        xmpp['feature_mechanisms'].unencrypted_plain = True
        self.xmpp = xmpp
        self.bob = xmpp.plugin['xep_0231']
        self.seen = []  # (from, bob) of every `bob` event, in order
        self.seen_changed = asyncio.Event()
        xmpp.add_event_handler('bob', self.on_bob)

    def on_bob(self, stanza):
        self.seen.append((str(stanza['from']), bob_json(stanza['bob'])))
        self.seen_changed.set()

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

    async def op_set_bob(self, cmd):
        return await self.bob.set_bob(base64.b64decode(cmd['data']),
                                      cmd['type'], cid=cmd.get('cid'),
                                      max_age=cmd.get('max_age'))

    async def op_get_bob(self, cmd):
        iq = await self.bob.get_bob(jid=cmd.get('jid'), cid=cmd['cid'],
                                    cached=cmd.get('cached', True),
                                    timeout=self.args.timeout)
        if iq is None or iq['bob']['cid'] == '':
            raise LookupError('no bob %s' % cmd['cid'])
        return bob_json(iq['bob'])

    async def op_disco_info(self, cmd):
        iq = await self.xmpp['xep_0030'].get_info(jid=cmd['jid'],
                                                  timeout=self.args.timeout)
        return {'features': sorted(iq['disco_info']['features'])}

    async def op_send_bob(self, cmd):
        msg = self.xmpp.make_message(mto=cmd['to'], mbody=cmd.get('body'),
                                     mtype='chat')
        msg['bob']['cid'] = cmd['cid']
        msg['bob']['type'] = cmd['type']
        msg['bob']['data'] = base64.b64decode(cmd['data'])
        if cmd.get('max_age') is not None:
            msg['bob']['max_age'] = cmd['max_age']
        msg.send()
        return None

    async def op_wait_bob(self, cmd):
        while True:
            for sender, bob in self.seen:
                if bob['cid'] == cmd['cid']:
                    return dict(bob, **{'from': sender})
            self.seen_changed.clear()
            await self.seen_changed.wait()

    async def op_use_files(self, cmd):
        loader = BobLoader(cmd['dir'])
        for op in ('set_bob', 'get_bob', 'del_bob'):
            self.bob.api.register(getattr(loader, op), op)
        return None

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
                break  # stdin closed: the driver is gone
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
