"""What the slixmpp sides of the benchmarks share: a client with the BoB
plugin (and XEP-0198 when asked) that logs in over plain TCP, STARTTLS or
direct TLS (trusting the CA file given)."""
import asyncio

from slixmpp import ClientXMPP


def make_client(jid, password, sm=False, ca=None):
    xmpp = ClientXMPP(jid, password)
    if ca:
        xmpp.ca_certs = ca
    xmpp.register_plugin('xep_0030')
    xmpp.register_plugin('xep_0231')
    if sm:
        # XEP-0198, as our clients use it when the server offers it
        xmpp.register_plugin('xep_0198')
    xmpp['feature_mechanisms'].unencrypted_plain = True
    return xmpp


async def login(xmpp, host, port, timeout, tls='none'):
    """Logs in over `tls`: 'none' (plain TCP), 'starttls' or 'direct'."""
    started = asyncio.get_running_loop().create_future()

    def on_session(_event):
        if not started.done():
            started.set_result(True)

    def on_failure(event):
        if not started.done():
            started.set_exception(RuntimeError('login failed: %s' % (event,)))

    xmpp.add_event_handler('session_start', on_session)
    xmpp.add_event_handler('failed_all_auth', on_failure)
    xmpp.add_event_handler('connection_failed', on_failure)
    xmpp.connect((host, port), use_ssl=tls == 'direct',
                 force_starttls=tls == 'starttls',
                 disable_starttls=tls != 'starttls')
    await asyncio.wait_for(started, timeout)


async def disconnect_all(*clients):
    """Disconnect every client, each within 2 s, whatever happens."""
    for xmpp in clients:
        try:
            await asyncio.wait_for(xmpp.disconnect(), 2)
        except Exception:
            pass
