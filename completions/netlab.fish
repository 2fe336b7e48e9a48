# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_netlab_global_optspecs
    string join \n q/quiet v/verbose explain lang= h/help V/version
end

function __fish_netlab_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_netlab_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_netlab_using_subcommand
    set -l cmd (__fish_netlab_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c netlab -n "__fish_netlab_needs_command" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_needs_command" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_needs_command" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_needs_command" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_needs_command" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "serve" -d 'Run a TCP, UDP or Unix socket server (greeting, echo, discard, file) under a concurrency model'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "connect" -d 'Connect to a socket server and copy stdin/stdout both ways (a better netcat)'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "resolve" -d 'Show every address a host name resolves to'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "web" -d 'Run an HTTP/1.1 server: a directory, one fixed page, or a mirror of the request'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "fetch" -d 'Fetch a URL over HTTP(S) and write the body to stdout or a file'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "urldecode" -d 'Percent-decode URLs and query strings, or break them into their parts'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "urlencode" -d 'Percent-encode text for a URL component, form or path'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "url" -d 'Change URLs and print their parts, with trurl\'s options, by RFC 3986 or WHATWG'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "bench" -d 'Measure a TCP or HTTP server: connections or requests per second, latency percentiles'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "tour" -d 'Run the chapter\'s examples in order on loopback, both sides explained'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l host -d 'Address or name to bind; `::` listens on IPv6 and IPv4 (dual-stack). A name (`localhost`) binds every address it resolves to, on one port, one `listening on` line each; one that does not resolve exits 2' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s p -l port -d 'Port to bind; 0 picks a free one (the first stderr line says which)' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l unix -d 'Listen on a Unix stream socket at PATH instead of TCP' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l message -d 'Greet each client with TEXT and close (the default service)' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l file -d 'Send the bytes of FILE to each client and close' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l forward -d 'Relay each client to TARGET (HOST:PORT, or unix:PATH): a connection to it per client, bytes copied both ways (splice(2) between plain sockets), each half-close passed on. A target not reached within 10s closes that client only. Not with --udp; in --model poll, not with --tls or --forward-tls' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l forward-cacert -d 'Trust the --forward-tls target\'s certificate when it is in FILE (PEM) or signed by a CA there, instead of the system\'s CAs' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l chat-queue -d '--chat: bytes that may wait for one client. While a client that reads has its queue over a quarter full, senders wait for it; one that reads nothing for a second is passed by, and dropped with a notice to the others when its queue is full' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l max-line -d '--chat: the longest line a client may send; a longer one is not relayed (the client is told, and stays)' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l exec -d 'Run PROG with its arguments for each client, its stdin and stdout the connection (its stderr the server\'s, each line prefixed with the client\'s address); NETLAB_PEER and NETLAB_LOCAL hold the two addresses. Everything after --exec on the line is PROG and its arguments (netlab\'s flags too), so put --exec last. Not with --model poll or --udp' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l sh-exec -d 'Run `/bin/sh -c CMD` for each client, as --exec runs PROG' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l model -d 'Concurrency model' -r -f -a "serial\t'One connection at a time, in the accept loop (the notes\' server.py)'
thread\t'A new thread per connection (SocketServer\'s ThreadingMixIn)'
pool\t'A fixed set of worker threads taking turns to accept on the listener (see --workers)'
fork\t'A child process per connection, reaped as it exits (ForkingMixIn)'
poll\t'One thread, non-blocking sockets on epoll (how nginx does it)'"
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l workers -d 'Worker threads for `--model pool` (more than the cores, so one blocked in a system call does not leave a core idle)' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l backlog -d 'Length of the kernel\'s queue of connections not yet accepted' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l max-conns -d 'Most connections served at once; one over the limit is reset at once (its client sees a failure, not an empty answer) and logged' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l idle-timeout -d 'Close a connection after this long with no progress: no byte from the client (echo, discard), or none taken by it (echo, file). 0: no limit' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l count -d 'Exit after serving N connections (or N datagrams with --udp)' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l tls-cert -d 'Speak TLS with this certificate (PEM; a chain, the server\'s own first)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l tls-key -d 'The private key of --tls-cert (PEM, not encrypted: RSA, ECDSA or Ed25519)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l tls-client-ca -d 'Ask every client for a certificate and accept only one signed by a CA in FILE (PEM): mutual TLS. The client\'s certificate subject is logged with its connection' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l tls-save-cert -d 'Write the certificate (PEM) to FILE, for a client\'s --cacert' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l tls-handshake-timeout -d 'Close a connection whose TLS handshake has not finished within this time, so a silent client cannot hold a place' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l allow -d 'Only clients from this address or block (`10.0.0.0/8`, `192.168.1.7`, `::1/128`) may connect; repeatable. Others are closed at once, and logged once per address' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l deny -d 'Refuse clients from this address or block; repeatable; wins over --allow' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l udp -d 'Serve UDP datagrams instead of TCP connections'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l echo -d 'Send back everything the client sends'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l discard -d 'Read and throw away everything the client sends (a sink)'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l forward-tls -d 'Speak TLS to the --forward target, verifying its certificate as `connect --tls` does'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l forward-insecure -d 'Do not verify the --forward-tls target\'s certificate'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l chat -d 'A chat room: every line a client sends goes to every other client as `NAME: line`, NAME being its address until it sends `/nick NAME`. Notices start with `* `: `* NAME joined`, `* NAME left`, `* OLD is now NEW`, `* NAME dropped: not reading`; answers to one client only (a refused nick, an over-long line) too. Thread and poll models only; TCP or --unix, with or without --tls. --idle-timeout does not close a quiet client'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l tls -d 'Speak TLS. Alone, with a fresh self-signed certificate for the host and the addresses bound, kept in memory: its SHA-256 fingerprint is on the first stderr line (save it for a client with --tls-save-cert)'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l unix -d 'Connect to the Unix stream socket at PATH' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l send -d 'Send TEXT instead of reading stdin, then half-close' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l timeout -d 'Give up connecting after this long (0: no limit but the system\'s)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l idle-timeout -d 'Close after this long with no byte in either direction (off by default; 0: off)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l sni -d 'The name sent in the handshake (SNI) and looked for in the certificate, instead of the host connected to' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l cacert -d 'Trust only the certificates in FILE (PEM): a CA, or the server\'s own self-signed certificate (`serve --tls-save-cert` writes one)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l alpn -d 'Offer this application protocol in the handshake (ALPN: h2, http/1.1 …); repeatable' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l starttls -d 'Start in cleartext and upgrade to TLS as `openssl s_client -starttls` does: greeting, EHLO (smtp) or CAPABILITY (imap), then STARTTLS (AUTH TLS for ftp); then as --tls. With -v the cleartext dialogue is shown on stderr; none of it reaches stdout' -r -f -a "smtp\t'SMTP (ports 25, 587): EHLO, then STARTTLS'
imap\t'IMAP (port 143): CAPABILITY, then STARTTLS'
ftp\t'FTP (port 21): AUTH TLS'"
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l starttls-name -d 'With --starttls smtp: the name sent with EHLO (default: this host\'s name when it is a full domain name, else the local address, as `[127.0.0.1]`)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l cert -d 'Present this certificate (PEM; a chain, the client\'s own first) when the server asks for one: mutual TLS, as `serve --tls-client-ca` and `web --tls-client-ca` ask' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l key -d 'The private key of --cert (PEM, not encrypted)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l tls-cert -d 'With -l --tls: the certificate to serve (PEM; a chain, our own first). Without it, -l --tls makes a self-signed one, its fingerprint on the first stderr line' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l tls-key -d 'With -l --tls-cert: its private key (PEM, not encrypted)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l tls-save-cert -d 'With -l --tls: write the certificate served (PEM) to FILE, for the client\'s --cacert' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l allow -d 'With -l: only clients from this address or block (`10.0.0.0/8`, `::1`) may connect; repeatable. Others are closed at once and logged once' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l deny -d 'With -l: refuse clients from this address or block; repeatable; wins over --allow' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l quit-after-eof -d 'Exit this long after stdin\'s end, whatever the server does (0: at once, as Debian nc\'s `-q 0`). Without it, connect reads until the server closes' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l wait-reply -d 'UDP: after stdin\'s end, wait for replies until none has come for DURATION (default 2s, or --idle-timeout; 0: do not wait). The wait ends early once every datagram has had one' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l proxy -d 'Go through a proxy: `socks5://[USER:PASS@]HOST[:PORT]` (the address is looked up here), `socks5h://…` (the proxy looks up the name) or `http://HOST[:PORT]` (CONNECT). Default ports 1080 and 80; ALL_PROXY is not read' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l proxy-auth -d 'The proxy\'s user name and password (instead of USER:PASS@ in the URL)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s u -l udp -d 'Use UDP: each line of stdin (or --send) goes out as one datagram'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s C -l crlf -d 'Send line ends as CRLF (for talking to HTTP or SMTP servers by hand)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s z -l probe -d 'Only report which ports accept a connection; exit 0 if any did. With --tls, which complete a TLS handshake, and what each one agreed on or why it failed'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l hexdump -d 'Hex dump of both directions on stderr (`>` sent, `<` received)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s 4 -d 'Use IPv4 addresses only'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s 6 -d 'Use IPv6 addresses only'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l tls -d 'Speak TLS (as `tls://HOST:PORT` does): the server\'s certificate is checked against the system\'s CA store and the bundled Mozilla roots, or --cacert'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l insecure -d 'Do not check the server\'s certificate at all (long only: `-k` is netcat\'s keep-listening)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s l -l listen -d 'Listen for a client instead of connecting (nc\'s -l), then behave as connect does: stdin to the client, the client to stdout. The first stderr line says where it listens'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s k -l keep-open -d 'With -l: when a client leaves, wait for the next one (one at a time) instead of exiting'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l no-shutdown -d 'At stdin\'s end, keep the socket open for writing. By default it is half-closed, so the server reads end-of-file while replies are still read (nc\'s -N)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l send-only -d 'Only send: stdin (or --send) to the socket, what comes back is thrown away, and the session ends at stdin\'s end'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l recv-only -d 'Only receive: stdin is never read and the socket never half-closed; the session ends when the server closes'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l host -d 'Address or name to bind; `::` listens on IPv6 and IPv4 (dual-stack). A name (`localhost`) binds every address it resolves to, on one port, one `listening on` line each; one that does not resolve exits 2' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -s p -l port -d 'Port to bind; 0 picks a free one' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l page -d 'Answer every request with this page (`-` reads it from stdin)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l index -d 'File served for a directory when present' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l charset -d 'Name this charset (gbk, big5, shift_jis …) in every text file\'s Content-Type. Without it a file gets `charset=utf-8` when it is UTF-8 and no charset otherwise, so a page\'s `<meta charset>` decides' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l max-conns -d 'Most connections at once. At the limit, a newcomer takes the place of the connection that has waited longest for a request head (so slow clients cannot hold every slot); only when every connection has a request in hand does it get 503 and is closed' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l header-timeout -d 'The whole request head must arrive within this time (else 408). More than 0: it is the server\'s guard against clients that send a head slowly' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l keepalive-timeout -d 'Close a keep-alive connection idle for this long (0: no keep-alive, every response closes its connection, as nginx\'s keepalive_timeout 0)' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l write-timeout -d 'Close a connection whose client has not taken any byte for this long. More than 0: it is the server\'s guard against clients that stop reading' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l max-upload -d 'Largest upload (`100M`, `2G`; for a form, its whole body); 413 above it, checked against Content-Length before a byte is read and while the body streams. Without it the disk is the limit (a full disk gets 507)' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l auth -d 'Ask for a user and password (HTTP Basic): `USER:PASS`, or `USER:sha256:HEX` with the SHA-256 of the password in hex (`printf %s PASS | sha256sum`), so it need not sit in shell history. Repeat for more users. Over plain HTTP the password crosses the network readable: use --tls beyond this machine' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l auth-file -d 'Users from a file, one `USER:PASS` or `USER:sha256:HEX` a line (`#` comments)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l auth-for -d 'What the password guards: `all` requests, or only `write`s (uploads, new folders, deletions: reads stay public). Default: all. Needs --auth or --auth-file' -r -f -a "all\t'Every request'
write\t'Only uploads, new folders and deletions; reads stay public'"
complete -c netlab -n "__fish_netlab_using_subcommand web" -l header -d 'Add this header to every response (repeatable): `--header \'X-Frame-Options: DENY\'`. A header netlab sets itself (Content-Type, Content-Length, Connection, Vary …) is refused' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l 404 -d 'The body of every 404 (status still 404), read at start; at most 1 MiB' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l unix -d 'Listen on a Unix socket at PATH instead of TCP (`curl --unix-socket PATH http://localhost/`). A stale socket there (nobody listening) is replaced; anything else is left alone and is an error. The socket is removed at exit. No TLS over it' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l tls-cert -d 'Speak TLS with this certificate (PEM; a chain, the server\'s own first)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l tls-key -d 'The private key of --tls-cert (PEM, not encrypted: RSA, ECDSA or Ed25519)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l tls-client-ca -d 'Ask every client for a certificate and accept only one signed by a CA in FILE (PEM): mutual TLS. The client\'s certificate subject is logged with its connection' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l tls-save-cert -d 'Write the certificate (PEM) to FILE, for a client\'s --cacert' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand web" -l tls-handshake-timeout -d 'Close a connection whose TLS handshake has not finished within this time, so a silent client cannot hold a place' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l allow -d 'Only clients from this address or block (`10.0.0.0/8`, `192.168.1.7`, `::1/128`) may connect; repeatable. Others are closed at once, and logged once per address' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l deny -d 'Refuse clients from this address or block; repeatable; wins over --allow' -r
complete -c netlab -n "__fish_netlab_using_subcommand web" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand web" -l echo -d 'Answer every request with the request itself (JSON when the client accepts it)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l no-listing -d 'Never list a directory; a directory without an index gets 403'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l no-compress -d 'Do not compress on the fly. By default a text file over 1 KiB and up to 1 MiB goes out br, zstd or gzip, as the client\'s Accept-Encoding prefers (ties: br, zstd, gzip); text is text/*, JSON, JavaScript, XML, *+json, *+xml (SVG) and WebAssembly. Each compressed form is kept in memory until the file changes. A Range request gets the file as it is. A precompressed FILE.br, FILE.zst or FILE.gz beside the file is sent instead, at any size, with this flag too'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l cors -d 'Add `Access-Control-Allow-Origin: *` to every response'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l hidden -d 'Serve and list dotfiles (hidden and refused by default)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l upload -d 'Take uploads: `PUT /path/name` creates a file (201; an existing one is 409 unless --overwrite), and so does the listing page\'s form (`POST` of multipart/form-data to a folder, several files at once). Each body goes to a temporary file beside the target, fsynced, and is renamed into place only when whole: a cut or failed upload leaves nothing'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l overwrite -d 'With --upload: a PUT may replace an existing file (204)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l mkdir -d 'Allow creating folders: a PUT into a folder that does not exist creates it (else 404), and the listing page has a new-folder form (`POST /dir/?mkdir` with `name=`)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l delete -d 'Allow `DELETE` of a file or an empty folder (204); the listing page has a button per row'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l archives -d 'Offer each folder as one archive: `?download=tar`, `tar.gz` or `zip` (links on the listing page). Streamed as the folder is read, with what the listing shows (dotfiles only with --hidden; a symlink only when it stays inside DIR). Off by default'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l spa -d 'Single-page app: a path that is not found and has no extension in its last segment (`/app/route`, not `/app.js`) gets the root\'s index file (200), so the app\'s router decides. Folders that exist are served as without it'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l qr -d 'Print a QR code of the URL on stderr, after the `listening on` lines, for a phone on the same network. With a wildcard --host (`0.0.0.0`, `::`) it names this machine\'s first non-loopback address (a line says which)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l tls -d 'Speak TLS. Alone, with a fresh self-signed certificate for the host and the addresses bound, kept in memory: its SHA-256 fingerprint is on the first stderr line (save it for a client with --tls-save-cert)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand web" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand web" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand web" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s X -l request -d 'Request method' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s H -l header -d 'Extra request header \'Name: value\' (repeatable)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s d -l data -d 'Request body: TEXT, @FILE, or @- for stdin (sets POST unless -X says otherwise); repeated, the pieces are joined with `&`' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l data-urlencode -d 'A form field percent-encoded as curl does: `content`, `=content`, `name=content`, `@FILE` or `name@FILE` (repeatable; joined with `&` after the -d pieces)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s F -l form -d 'A multipart form field (repeatable): `name=value`, `name=@FILE` (a file, streamed from disk), `name=<FILE` (a file\'s text as the value); a file may add `;type=MIME` and `;filename=NAME`' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s T -l upload-file -d 'PUT this file (streamed from disk; `-` reads stdin); a URL ending in `/` gets the file\'s name' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s u -l user -d 'Basic auth: `user:password`, or `user` alone to be asked for the password on the terminal. Sent to the URL\'s own host only, never to another after a redirect' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l bearer -l oauth2-bearer -d 'Send `Authorization: Bearer TOKEN` (to the URL\'s own host only)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s b -l cookie -d 'Cookies to send: `\'a=1; b=2\'` as typed (to the URL\'s own site), or a Netscape cookie jar FILE as curl writes it (a missing or empty file is an empty jar)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s c -l cookie-jar -d 'Write every cookie known at the end to this Netscape cookie-jar FILE (curl reads it)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l retry -d 'Try again up to N times after a failure listed in --retry-on, waiting longer each time' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l retry-on -d 'What is worth a retry, comma-separated: refused, timeout, reset, 5xx, or a status' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l retry-delay -d 'The first wait between tries; each next one doubles, with jitter (Retry-After wins)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l retry-max-time -d 'Retry no more once this long has gone by since the first try; also caps a Retry-After' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l netrc-file -d 'Take the login for the URL\'s host from this netrc file' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l json -d 'JSON request body: TEXT or @FILE; sets Content-Type and Accept to application/json' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s A -l user-agent -d 'User-Agent header' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s o -l output -d 'Write the body to FILE (`-` for stdout, even a binary body on a terminal); repeated, the n-th -o is the n-th URL\'s, and URLs past the last -o go to stdout (as curl)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l output-dir -d 'Put -O files, and -o files given as relative paths, in this directory' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l parallel-max -d 'With -Z: most transfers at once' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s w -l write-out -d 'Once the transfer is over, print FORMAT to stdout with curl\'s variables filled in: `%{http_code}`, `%{time_starttransfer}`, `%{time_total}`, `%{size_download}`, `%{url_effective}`, `%{json}` …, `%header{NAME}`; `%{stderr}` sends the rest to stderr; `@FILE` reads the format from a file. An unknown variable is an error (exit 2)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l max-redirects -d 'Most redirects to follow' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l connect-timeout -d 'Give up connecting after this long (0: no limit but the system\'s)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l idle-timeout -d 'Give up when no byte arrives for this long (0: no limit)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l timeout -d 'Give up when the whole transfer takes longer than this (off by default; 0: off)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l cacert -d 'Trust the CA certificates in this PEM file (a bundle works)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s E -l cert -d 'Present this client certificate (PEM) when an https server asks for one (mutual TLS)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l key -d 'The private key of --cert (PEM, not encrypted)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s x -l proxy -d 'Use this proxy (`http://HOST:PORT`, `socks5://…`, `socks5h://…`; `\'\'` for none); overrides the proxy environment variables' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s U -l proxy-user -d 'The proxy\'s user name and password (instead of USER:PASS@ in the proxy URL)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l noproxy -d 'Hosts to reach without a proxy, comma-separated (`*` for all)' -r
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s G -l get -d 'Send the -d/--data-urlencode data in the URL\'s query with a GET (or HEAD with -I)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s n -l netrc -d 'Take the login for the URL\'s host from ~/.netrc (when -u and the URL give none)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s i -l include -d 'Print the status line and headers before the body'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s I -l head -d 'Send HEAD and print the status line and headers only'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s f -l fail -d 'Exit 22 on an HTTP status of 400 or more, without writing the body'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l utf8 -d 'Transcode a text body from the charset it declares (GBK, Big5, Shift_JIS …) to UTF-8'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s O -l remote-name -l remote-name-all -d 'Save every URL\'s body to a file named from its URL\'s last segment (made safe), in the current directory or --output-dir'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s J -l remote-header-name -d 'With -O: take the name from the answer\'s Content-Disposition (`filename*` first), made a plain base name (never a path, never a dotfile); the URL\'s name when it gives none'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l name-from-final-url -d 'With -O: name the file from the URL the redirects ended at, not the one given'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l create-dirs -d 'Create the missing directories of -o paths and of --output-dir'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l force -d 'Overwrite an existing file with -O'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s Z -l parallel -d 'Fetch the URLs at the same time (up to --parallel-max at once), not one after another'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l fail-early -d 'Stop at the first URL that fails (the default goes on with the others)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s C -l continue -d 'Resume a partial download of the -o/-O file with a Range request, from the size of the bytes already there (curl\'s spelling, `-C -`, means the same). With -J or --name-from-final-url the name is known only from the answer: when that file (or its `.part`) is there, the request is sent again to the final URL with a Range'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l no-progress -d 'No progress bar'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s s -l silent -d 'curl\'s -s: no progress bar and no messages, not even errors (unless -S); the exit code says what happened'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s S -l show-error -d 'With -s: still say what went wrong when the transfer fails'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s L -l location -d 'Accepted for curl users\' fingers: redirects are followed already (--no-follow stops that)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l compressed -d 'Accepted for curl users\' fingers: gzip, br and zstd answers are decoded already'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l timing -d 'Once the transfer is over, a table on stderr of where the time went: DNS, connect, TLS, request sent, waiting for the first byte, download — each phase its own duration, not curl\'s stamps from the start'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l no-follow -d 'Do not follow redirects'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s k -l insecure -d 'Do not verify the server\'s TLS certificate'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l print-curl -d 'Print the curl command line that asks for the same thing, and fetch nothing (netlab\'s defaults spelled out for curl; what curl has no flag for is named on stderr)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand fetch" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l get -d 'Print one part per input: scheme, user, password, host, port, path, query, fragment, param:NAME (first value), param-all:NAME (every value, one per line)' -r
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l base -d 'Resolve each input against this base URL first' -r
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l charset -d 'Charset of the percent-encoded bytes: an encoding label (gbk, big5, shift_jis …) or `auto`' -r
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l as -d 'What the inputs are (guessed by default)' -r -f -a "url\t'An absolute URL (or relative, with --base)'
query\t'A query string: name=value&name=value'
text\t'Any percent-encoded text'"
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -s p -l parts -d 'Break each input into its parts (scheme, host, port, path, each query parameter …)'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l json -d 'One JSON object per input: the WHATWG URL components and the decoded ones. Bytes that are not valid text in the charset show as U+FFFD (with "lossy": true), so it is always valid JSON'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l form -d 'Treat `+` as a space everywhere (it always is inside query parameters)'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l strict -d 'Make an invalid % sequence or invalid text an error (exit 2) instead of a warning'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand urldecode" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -l charset -d 'Encode the text\'s bytes in this charset (gbk, big5, shift_jis …) before escaping' -r
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -l form -d 'Form encoding: space becomes `+` (application/x-www-form-urlencoded)'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -l path -d 'Path encoding: keep `/` as it is'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand urlencode" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l url -d 'A URL to work on (repeat for more), as trurl spells it' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -s f -l url-file -d 'Read URLs from this file, one a line (`-` is stdin)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand url" -s s -l set -d 'Set a component: COMP=VALUE (VALUE is percent-encoded for you), COMP:=VALUE (VALUE is already encoded), COMP?=VALUE (only when the component is empty). An empty VALUE removes the component. COMP is one of url, scheme, user, password, options, host, port, path, query, fragment, zoneid' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -s a -l append -d 'Append to the path (a segment: path=SEGMENT) or to the query (a pair: query=NAME=VALUE)' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l trim -d 'Remove the query pairs whose name matches a glob (`*` matches any run, case insensitively): --trim \'query=utm_*\'' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l qtrim -d 'Like --trim query=GLOB' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l iterate -d 'Print the URL once for each value of a component: --iterate \'scheme=http ftp sftp\' (values separated by single spaces; COMP:=… takes them already encoded). Several --iterate options (one per component) print every combination, the first one varying slowest' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l replace -d 'Replace the value of a query pair that is there: NAME=VALUE (both encoded for you); later pairs of the same name go. A NAME that is not in the query is left out' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l replace-append -l force-replace -d 'Like --replace, but append the pair when the query has none of that name' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l redirect -d 'Resolve this (relative) URL against each URL, as following a redirect does' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -s g -l get -d 'Print this template instead of the URL: {scheme}, {host}, {path}, {query:NAME} (first value), {query-all:NAME} (every value) …, with modifiers {url:…} (percent-encoded), {strict:…}, {must:…}, {default:port}, {puny:host}, {idn:host}; `\\n`, `\\t` and `{{` as in trurl' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l query-separator -d 'The character between query pairs (default `&`)' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l charset -d 'Charset of the percent-encoded bytes in --get and --json output: an encoding label (gbk, big5, shift_jis …) or `auto` (as urldecode takes it)' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l compare -d 'Parse this URL by both standards and show, part by part, where they disagree and why' -r
complete -c netlab -n "__fish_netlab_using_subcommand url" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand url" -l sort-query -d 'Sort the query pairs by name (then value); pairs of equal name keep their order'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l json -d 'Print the URLs as a JSON array, in trurl\'s shape: {"url", "parts", "params"}'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l keep-port -d 'Keep a port that is the scheme\'s default (https://h:443/ stays as it is)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l default-port -d 'Show the scheme\'s default port when the URL has none'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l no-guess-scheme -d 'Refuse URLs without a scheme instead of guessing one (http://, or ftp:// for ftp.…)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l punycode -d 'Print host names in punycode (xn--…)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l as-idn -d 'Print punycode host names as Unicode'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l accept-space -d 'Accept spaces in URLs (they are encoded as %20)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l urlencode -d 'Print components percent-encoded (in --get and --json), and the URL fully encoded'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l verify -d 'Make a bad URL fatal (exit 2) instead of a warning that skips it'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l curl -d 'Only accept URLs whose scheme curl supports (http, https, ftp, file, ws, sftp …); any other scheme is a bad URL'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l form -d 'Treat `+` as a space in every component --get and --json show (in query pairs it always is)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l strict -d 'Make a component that does not decode to text an error (exit 2) that says at which byte, as if every {part} were {strict:part}; under --whatwg, also a % that starts no %XX escape'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l rfc3986 -d 'Read URLs by RFC 3986, as trurl does (the default)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l whatwg -d 'Read URLs by the WHATWG URL Standard, as browsers do'
complete -c netlab -n "__fish_netlab_using_subcommand url" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand url" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand url" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand url" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -f -a "tcp" -d 'Connect, (send,) read to EOF, close — connections per second'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -f -a "http" -d 'HTTP requests per second, keep-alive by default'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -f -a "compare" -d 'Run several servers one after another under the same load and compare them'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and not __fish_seen_subcommand_from tcp http compare diff" -f -a "diff" -d 'Two runs saved with --save, side by side: every figure, its change, and whether the change is beyond the runs\' own noise'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l cacert -d 'Trust only the certificates in FILE (PEM): a CA, or the server\'s own self-signed certificate (`web --tls-save-cert` and `serve --tls-save-cert` write one). Without it, the system\'s CA store and the bundled Mozilla roots' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l sni -d 'The name sent in the handshake (SNI) and looked for in the certificate, instead of the host in the address' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l send -d 'Send TEXT after connecting, then half-close (`\\n`, `\\r`, `\\t` are understood)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l expect -d 'Count a connection as failed (expect mismatch) unless it receives exactly TEXT' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l svg -d 'Write the run\'s latency histogram (the summary\'s 1-2-5 buckets; corrected, under --rate) to FILE as SVG' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s c -l connections -d 'Concurrent connections' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s d -l duration -d 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s n -l count -d 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l warmup -d 'Load for this long first, neither measured nor counted in -n (0: no warm-up)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l timeout -d 'Count a connection attempt or a response as failed (timeout) after this long (0: never)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l threads -d 'Threads generating the load [default: connections or CPU cores, the fewer]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l rate -d 'The open model: start this many exchanges a second (requests; connections for tcp), whatever the server does, and count each one\'s latency from when it was due, so a server that stalls is charged for what it held back (coordinated omission). -c caps the connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l save -d 'Keep the run\'s whole result in FILE (the --json summary with its histogram and its second-by-second samples), for `netlab bench diff`. Not for compare' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l hist-out -d 'Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram\'s percentile distribution format, in milliseconds, for the plotters that read it (HdrHistogram\'s plotFiles.html, wrk2\'s). Not for compare' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l fail-if -d 'Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`, `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the summary is printed either way, then one line lists what was crossed' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l tls -d 'Speak TLS on every connection (`serve --tls`): connect, handshake, then as without'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l insecure -d 'Do not check the server\'s certificate at all (the handshake is timed all the same)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l json -d 'Print the summary as one JSON object on stdout (no progress display)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from tcp" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s X -l method -d 'Request method [default: GET, or POST with --body]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l body -d 'Send FILE\'s bytes as the body of every request, with its Content-Length (at most 64 MiB, read once before the run)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l requests -d 'Send the requests in FILE instead of one: one a line, `METHOD URL [Name: value]… [@BODYFILE]` (see below). -H headers go with every line' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l requests-order -d 'The order the lines of --requests go out in, over all connections' -r -f -a "round-robin\t'Line 1, 2, 3 …, then line 1 again'
random\t'A line drawn at random (uniformly, seeded by --seed) for each request'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l seed -d 'The seed of --requests-order random: the same seed picks the same sequence' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s H -l header -d 'Extra request header \'Name: value\' (repeatable; replaces Host or User-Agent)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l svg -d 'Write the run\'s latency histogram (the summary\'s 1-2-5 buckets; corrected, under --rate) to FILE as SVG' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l cacert -d 'Trust only the certificates in FILE (PEM): a CA, or the server\'s own self-signed certificate (`web --tls-save-cert` and `serve --tls-save-cert` write one). Without it, the system\'s CA store and the bundled Mozilla roots' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l sni -d 'The name sent in the handshake (SNI) and looked for in the certificate, instead of the host in the address' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s c -l connections -d 'Concurrent connections' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s d -l duration -d 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s n -l count -d 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l warmup -d 'Load for this long first, neither measured nor counted in -n (0: no warm-up)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l timeout -d 'Count a connection attempt or a response as failed (timeout) after this long (0: never)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l threads -d 'Threads generating the load [default: connections or CPU cores, the fewer]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l rate -d 'The open model: start this many exchanges a second (requests; connections for tcp), whatever the server does, and count each one\'s latency from when it was due, so a server that stalls is charged for what it held back (coordinated omission). -c caps the connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l save -d 'Keep the run\'s whole result in FILE (the --json summary with its histogram and its second-by-second samples), for `netlab bench diff`. Not for compare' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l hist-out -d 'Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram\'s percentile distribution format, in milliseconds, for the plotters that read it (HdrHistogram\'s plotFiles.html, wrk2\'s). Not for compare' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l fail-if -d 'Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`, `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the summary is printed either way, then one line lists what was crossed' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l no-keepalive -d 'A new connection for every request (sends `Connection: close`)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l insecure -d 'Do not check the server\'s certificate at all (the handshake is timed all the same)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l json -d 'Print the summary as one JSON object on stdout (no progress display)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from http" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l models -d 'Models of `netlab serve` to start and compare, one after another' -r -f -a "serial\t'One connection at a time, in the accept loop (the notes\' server.py)'
thread\t'A new thread per connection (SocketServer\'s ThreadingMixIn)'
pool\t'A fixed set of worker threads taking turns to accept on the listener (see --workers)'
fork\t'A child process per connection, reaped as it exits (ForkingMixIn)'
poll\t'One thread, non-blocking sockets on epoll (how nginx does it)'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l target -d 'Compare this running server instead (repeatable): HOST:PORT for tcp, a URL for http' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l svg -d 'Write the bar chart and each server\'s latency histogram (1-2-5 buckets) to FILE as SVG' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l cacert -d 'Trust only the certificates in FILE (PEM): a CA, or the server\'s own self-signed certificate (`web --tls-save-cert` and `serve --tls-save-cert` write one). Without it, the system\'s CA store and the bundled Mozilla roots' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l sni -d 'The name sent in the handshake (SNI) and looked for in the certificate, instead of the host in the address' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s c -l connections -d 'Concurrent connections' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s d -l duration -d 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s n -l count -d 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l warmup -d 'Load for this long first, neither measured nor counted in -n (0: no warm-up)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l timeout -d 'Count a connection attempt or a response as failed (timeout) after this long (0: never)' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l threads -d 'Threads generating the load [default: connections or CPU cores, the fewer]' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l rate -d 'The open model: start this many exchanges a second (requests; connections for tcp), whatever the server does, and count each one\'s latency from when it was due, so a server that stalls is charged for what it held back (coordinated omission). -c caps the connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l save -d 'Keep the run\'s whole result in FILE (the --json summary with its histogram and its second-by-second samples), for `netlab bench diff`. Not for compare' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l hist-out -d 'Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram\'s percentile distribution format, in milliseconds, for the plotters that read it (HdrHistogram\'s plotFiles.html, wrk2\'s). Not for compare' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l fail-if -d 'Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`, `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the summary is printed either way, then one line lists what was crossed' -r
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l insecure -d 'Do not check the server\'s certificate at all (the handshake is timed all the same)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l json -d 'Print the summary as one JSON object on stdout (no progress display)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from compare" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from diff" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from diff" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand bench; and __fish_seen_subcommand_from diff" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand tour" -l lang -d 'The language of --explain [default: from LC_ALL, LC_MESSAGES or LANG]' -r -f -a "en\t'English'
zh\t'Simplified Chinese (简体中文)'"
complete -c netlab -n "__fish_netlab_using_subcommand tour" -l auto -d 'Run through without pausing for Enter'
complete -c netlab -n "__fish_netlab_using_subcommand tour" -s q -l quiet -d 'Silence logs (connection lines, access log, warnings, progress)'
complete -c netlab -n "__fish_netlab_using_subcommand tour" -s v -l verbose -d 'Say more: resolved addresses, request and response heads'
complete -c netlab -n "__fish_netlab_using_subcommand tour" -l explain -d 'Narrate each socket call on stderr as it is made, with what it means (serve, connect; web and fetch also annotate the HTTP heads)'
complete -c netlab -n "__fish_netlab_using_subcommand tour" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand tour" -s V -l version -d 'Print version'
