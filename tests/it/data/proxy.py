"""A small recording proxy for netlab's tests: SOCKS5 (RFC 1928, with RFC 1929's user name and
password) or HTTP CONNECT, on 127.0.0.1, one thread per client.

    python3 proxy.py socks5|http [--auth USER:PASS] [--deny HOST]

The first stdout line is `proxy listening on 127.0.0.1:PORT`. Then one line per request:
`target ip ADDR PORT` or `target name NAME PORT` (SOCKS5), `connect LINE` and `auth VALUE`
(HTTP), and `refused WHY` when the proxy says no. A target it cannot reach gets the reply a real
proxy sends (SOCKS5 5 "connection refused", 4, 3, or HTTP 502); a --deny host gets SOCKS5 2
("not allowed by ruleset") or HTTP 403. The tunnel carries each half-close on.
"""

import base64
import errno
import socket
import struct
import sys
import threading

MODE = sys.argv[1]
AUTH = None
DENY = set()
args = sys.argv[2:]
while args:
    flag, value, args = args[0], args[1], args[2:]
    if flag == "--auth":
        AUTH = value
    elif flag == "--deny":
        DENY.add(value)
    else:
        sys.exit(f"unknown flag {flag}")

LOCK = threading.Lock()


def record(line):
    with LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("client closed")
        data += chunk
    return data


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(client, upstream):
    back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
    back.start()
    pump(client, upstream)
    back.join(20)
    client.close()
    upstream.close()


def open_target(host, port):
    """A connection to the target, or the errno that stopped it."""
    try:
        return socket.create_connection((host, port), timeout=10), None
    except OSError as err:
        return None, err.errno


def socks5(client):
    version, count = read_exact(client, 2)
    methods = read_exact(client, count)
    wanted = 2 if AUTH else 0
    if version != 5 or wanted not in methods:
        record(f"refused no acceptable method in {list(methods)}")
        client.sendall(b"\x05\xff")
        return
    client.sendall(bytes([5, wanted]))
    if AUTH:
        _, ulen = read_exact(client, 2)
        user = read_exact(client, ulen).decode()
        (plen,) = read_exact(client, 1)
        password = read_exact(client, plen).decode()
        record(f"login {user}:{password}")
        if f"{user}:{password}" != AUTH:
            record("refused bad credentials")
            client.sendall(b"\x01\x01")
            return
        client.sendall(b"\x01\x00")
    _, command, _, kind = read_exact(client, 4)
    if kind == 1:
        host = socket.inet_ntop(socket.AF_INET, read_exact(client, 4))
        label = "ip"
    elif kind == 4:
        host = socket.inet_ntop(socket.AF_INET6, read_exact(client, 16))
        label = "ip"
    else:
        (length,) = read_exact(client, 1)
        host = read_exact(client, length).decode()
        label = "name"
    (port,) = struct.unpack("!H", read_exact(client, 2))
    record(f"target {label} {host} {port}")

    def reply(code):
        client.sendall(bytes([5, code, 0, 1, 127, 0, 0, 1, 0, 0]))

    if command != 1:
        reply(7)
        return
    if host in DENY:
        record("refused denied")
        reply(2)
        return
    upstream, err = open_target(host, port)
    if upstream is None:
        code = {errno.ECONNREFUSED: 5, errno.EHOSTUNREACH: 4, errno.ENETUNREACH: 3}.get(err, 1)
        record(f"refused target errno {err}")
        reply(code)
        return
    bound_ip, bound_port = upstream.getsockname()[:2]
    if ":" in bound_ip:
        bound = b"\x04" + socket.inet_pton(socket.AF_INET6, bound_ip)
    else:
        bound = b"\x01" + socket.inet_pton(socket.AF_INET, bound_ip)
    client.sendall(b"\x05\x00\x00" + bound + struct.pack("!H", bound_port))
    relay(client, upstream)


def http(client):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = client.recv(1)
        if not chunk:
            return
        head += chunk
    lines = head.decode("latin-1").split("\r\n")
    record(f"connect {lines[0]}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "proxy-authorization" in headers:
        record(f"auth {headers['proxy-authorization']}")
    if AUTH:
        expected = "Basic " + base64.b64encode(AUTH.encode()).decode()
        if headers.get("proxy-authorization") != expected:
            record("refused credentials")
            client.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="netlab-test"\r\nContent-Length: 0\r\n\r\n'
            )
            return
    method, authority, _ = lines[0].split(" ", 2)
    host, _, port = authority.rpartition(":")
    host = host.strip("[]")
    if method != "CONNECT":
        client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        return
    if host in DENY:
        record("refused denied")
        client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        return
    upstream, err = open_target(host, int(port))
    if upstream is None:
        record(f"refused target errno {err}")
        client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        return
    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    relay(client, upstream)


def serve(client):
    try:
        client.settimeout(20)
        (socks5 if MODE == "socks5" else http)(client)
    except (OSError, EOFError, ValueError) as err:
        record(f"error {err}")
    finally:
        client.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    record(f"proxy listening on 127.0.0.1:{listener.getsockname()[1]}")
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


main()
