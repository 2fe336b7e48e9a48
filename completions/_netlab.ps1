
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'netlab' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'netlab'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'netlab' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run a TCP, UDP or Unix socket server (greeting, echo, discard, file) under a concurrency model')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Connect to a socket server and copy stdin/stdout both ways (a better netcat)')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Show every address a host name resolves to')
            [CompletionResult]::new('web', 'web', [CompletionResultType]::ParameterValue, 'Run an HTTP/1.1 server: a directory, one fixed page, or a mirror of the request')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Fetch a URL over HTTP(S) and write the body to stdout or a file')
            [CompletionResult]::new('urldecode', 'urldecode', [CompletionResultType]::ParameterValue, 'Percent-decode URLs and query strings, or break them into their parts')
            [CompletionResult]::new('urlencode', 'urlencode', [CompletionResultType]::ParameterValue, 'Percent-encode text for a URL component, form or path')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Measure a TCP or HTTP server: connections or requests per second, latency percentiles')
            break
        }
        'netlab;serve' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address or name to bind; `::` listens on IPv6 and IPv4 (dual-stack). A name (`localhost`) binds every address it resolves to, on one port, one `listening on` line each; one that does not resolve exits 2')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to bind; 0 picks a free one (the first stderr line says which)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to bind; 0 picks a free one (the first stderr line says which)')
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Listen on a Unix stream socket at PATH instead of TCP')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'Greet each client with TEXT and close (the default service)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the bytes of FILE to each client and close')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'Concurrency model')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'Worker threads for `--model pool` (more than the cores, so one blocked in a system call does not leave a core idle)')
            [CompletionResult]::new('--backlog', '--backlog', [CompletionResultType]::ParameterName, 'Length of the kernel''s queue of connections not yet accepted')
            [CompletionResult]::new('--max-conns', '--max-conns', [CompletionResultType]::ParameterName, 'Most connections served at once; one over the limit is reset at once (its client sees a failure, not an empty answer) and logged')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Close a connection after this long with no progress: no byte from the client (echo, discard), or none taken by it (echo, file). 0: no limit')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after serving N connections (or N datagrams with --udp)')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Serve UDP datagrams instead of TCP connections')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Send back everything the client sends')
            [CompletionResult]::new('--discard', '--discard', [CompletionResultType]::ParameterName, 'Read and throw away everything the client sends (a sink)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;connect' {
            [CompletionResult]::new('--unix', '--unix', [CompletionResultType]::ParameterName, 'Connect to the Unix stream socket at PATH')
            [CompletionResult]::new('--send', '--send', [CompletionResultType]::ParameterName, 'Send TEXT instead of reading stdin, then half-close')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long (0: no limit but the system''s)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Close after this long with no byte in either direction (off by default; 0: off)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Use UDP: each line of stdin (or --send) goes out as one datagram')
            [CompletionResult]::new('--udp', '--udp', [CompletionResultType]::ParameterName, 'Use UDP: each line of stdin (or --send) goes out as one datagram')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Send line ends as CRLF (for talking to HTTP or SMTP servers by hand)')
            [CompletionResult]::new('--crlf', '--crlf', [CompletionResultType]::ParameterName, 'Send line ends as CRLF (for talking to HTTP or SMTP servers by hand)')
            [CompletionResult]::new('-z', '-z', [CompletionResultType]::ParameterName, 'Only report which ports accept a connection; exit 0 if any did')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Only report which ports accept a connection; exit 0 if any did')
            [CompletionResult]::new('--hexdump', '--hexdump', [CompletionResultType]::ParameterName, 'Hex dump of both directions on stderr (`>` sent, `<` received)')
            [CompletionResult]::new('-4', '-4', [CompletionResultType]::ParameterName, 'Use IPv4 addresses only')
            [CompletionResult]::new('-6', '-6', [CompletionResultType]::ParameterName, 'Use IPv6 addresses only')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;resolve' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;web' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address or name to bind; `::` listens on IPv6 and IPv4 (dual-stack). A name (`localhost`) binds every address it resolves to, on one port, one `listening on` line each; one that does not resolve exits 2')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to bind; 0 picks a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to bind; 0 picks a free one')
            [CompletionResult]::new('--page', '--page', [CompletionResultType]::ParameterName, 'Answer every request with this page (`-` reads it from stdin)')
            [CompletionResult]::new('--index', '--index', [CompletionResultType]::ParameterName, 'File served for a directory when present')
            [CompletionResult]::new('--charset', '--charset', [CompletionResultType]::ParameterName, 'Name this charset (gbk, big5, shift_jis …) in every text file''s Content-Type. Without it a file gets `charset=utf-8` when it is UTF-8 and no charset otherwise, so a page''s `<meta charset>` decides')
            [CompletionResult]::new('--max-conns', '--max-conns', [CompletionResultType]::ParameterName, 'Most connections at once. At the limit, a newcomer takes the place of the connection that has waited longest for a request head (so slow clients cannot hold every slot); only when every connection has a request in hand does it get 503 and is closed')
            [CompletionResult]::new('--header-timeout', '--header-timeout', [CompletionResultType]::ParameterName, 'The whole request head must arrive within this time (else 408). More than 0: it is the server''s guard against clients that send a head slowly')
            [CompletionResult]::new('--keepalive-timeout', '--keepalive-timeout', [CompletionResultType]::ParameterName, 'Close a keep-alive connection idle for this long (0: no keep-alive, every response closes its connection, as nginx''s keepalive_timeout 0)')
            [CompletionResult]::new('--write-timeout', '--write-timeout', [CompletionResultType]::ParameterName, 'Close a connection whose client has not taken any byte for this long. More than 0: it is the server''s guard against clients that stop reading')
            [CompletionResult]::new('--echo', '--echo', [CompletionResultType]::ParameterName, 'Answer every request with the request itself (JSON when the client accepts it)')
            [CompletionResult]::new('--no-listing', '--no-listing', [CompletionResultType]::ParameterName, 'Never list a directory; a directory without an index gets 403')
            [CompletionResult]::new('--cors', '--cors', [CompletionResultType]::ParameterName, 'Add `Access-Control-Allow-Origin: *` to every response')
            [CompletionResult]::new('--hidden', '--hidden', [CompletionResultType]::ParameterName, 'Serve and list dotfiles (hidden and refused by default)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;fetch' {
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Request method')
            [CompletionResult]::new('--request', '--request', [CompletionResultType]::ParameterName, 'Request method')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header ''Name: value'' (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header ''Name: value'' (repeatable)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Request body: TEXT, @FILE, or @- for stdin (sets POST unless -X says otherwise)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Request body: TEXT, @FILE, or @- for stdin (sets POST unless -X says otherwise)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'JSON request body: TEXT or @FILE; sets Content-Type and Accept to application/json')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'User-Agent header')
            [CompletionResult]::new('--user-agent', '--user-agent', [CompletionResultType]::ParameterName, 'User-Agent header')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the body to FILE (`-` for stdout, even a binary body on a terminal)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the body to FILE (`-` for stdout, even a binary body on a terminal)')
            [CompletionResult]::new('--max-redirects', '--max-redirects', [CompletionResultType]::ParameterName, 'Most redirects to follow')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long (0: no limit but the system''s)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Give up when no byte arrives for this long (0: no limit)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up when the whole transfer takes longer than this (off by default; 0: off)')
            [CompletionResult]::new('--cacert', '--cacert', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (a bundle works)')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Use this proxy (http://host:port); overrides the proxy environment variables')
            [CompletionResult]::new('--noproxy', '--noproxy', [CompletionResultType]::ParameterName, 'Hosts to reach without a proxy, comma-separated (`*` for all)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Print the status line and headers before the body')
            [CompletionResult]::new('--include', '--include', [CompletionResultType]::ParameterName, 'Print the status line and headers before the body')
            [CompletionResult]::new('-I', '-I ', [CompletionResultType]::ParameterName, 'Send HEAD and print the status line and headers only')
            [CompletionResult]::new('--head', '--head', [CompletionResultType]::ParameterName, 'Send HEAD and print the status line and headers only')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Exit 22 on an HTTP status of 400 or more, without writing the body')
            [CompletionResult]::new('--fail', '--fail', [CompletionResultType]::ParameterName, 'Exit 22 on an HTTP status of 400 or more, without writing the body')
            [CompletionResult]::new('--utf8', '--utf8', [CompletionResultType]::ParameterName, 'Transcode a text body from the charset it declares (GBK, Big5, Shift_JIS …) to UTF-8')
            [CompletionResult]::new('-O', '-O ', [CompletionResultType]::ParameterName, 'Write the body to a file in the current directory named from the URL or Content-Disposition')
            [CompletionResult]::new('--remote-name', '--remote-name', [CompletionResultType]::ParameterName, 'Write the body to a file in the current directory named from the URL or Content-Disposition')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing file with -O')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Resume a partial download of the -o/-O file with a Range request, from the size of the bytes already there (curl''s spelling, `-C -`, means the same)')
            [CompletionResult]::new('--continue', '--continue', [CompletionResultType]::ParameterName, 'Resume a partial download of the -o/-O file with a Range request, from the size of the bytes already there (curl''s spelling, `-C -`, means the same)')
            [CompletionResult]::new('--no-progress', '--no-progress', [CompletionResultType]::ParameterName, 'No progress bar')
            [CompletionResult]::new('--no-follow', '--no-follow', [CompletionResultType]::ParameterName, 'Do not follow redirects')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Do not verify the server''s TLS certificate')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Do not verify the server''s TLS certificate')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;urldecode' {
            [CompletionResult]::new('--get', '--get', [CompletionResultType]::ParameterName, 'Print one part per input: scheme, user, password, host, port, path, query, fragment, param:NAME (first value), param-all:NAME (every value, one per line)')
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'Resolve each input against this base URL first')
            [CompletionResult]::new('--charset', '--charset', [CompletionResultType]::ParameterName, 'Charset of the percent-encoded bytes: an encoding label (gbk, big5, shift_jis …) or `auto`')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'What the inputs are (guessed by default)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Break each input into its parts (scheme, host, port, path, each query parameter …)')
            [CompletionResult]::new('--parts', '--parts', [CompletionResultType]::ParameterName, 'Break each input into its parts (scheme, host, port, path, each query parameter …)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per input: the WHATWG URL components and the decoded ones. Bytes that are not valid text in the charset show as U+FFFD (with "lossy": true), so it is always valid JSON')
            [CompletionResult]::new('--form', '--form', [CompletionResultType]::ParameterName, 'Treat `+` as a space everywhere (it always is inside query parameters)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Make an invalid % sequence or invalid text an error (exit 2) instead of a warning')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;urlencode' {
            [CompletionResult]::new('--charset', '--charset', [CompletionResultType]::ParameterName, 'Encode the text''s bytes in this charset (gbk, big5, shift_jis …) before escaping')
            [CompletionResult]::new('--form', '--form', [CompletionResultType]::ParameterName, 'Form encoding: space becomes `+` (application/x-www-form-urlencoded)')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'Path encoding: keep `/` as it is')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;bench' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tcp', 'tcp', [CompletionResultType]::ParameterValue, 'Connect, (send,) read to EOF, close — connections per second')
            [CompletionResult]::new('http', 'http', [CompletionResultType]::ParameterValue, 'HTTP requests per second, keep-alive by default')
            [CompletionResult]::new('compare', 'compare', [CompletionResultType]::ParameterValue, 'Run several servers one after another under the same load and compare them')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Two runs saved with --save, side by side: every figure, its change, and whether the change is beyond the runs'' own noise')
            break
        }
        'netlab;bench;tcp' {
            [CompletionResult]::new('--send', '--send', [CompletionResultType]::ParameterName, 'Send TEXT after connecting, then half-close (`\n`, `\r`, `\t` are understood)')
            [CompletionResult]::new('--expect', '--expect', [CompletionResultType]::ParameterName, 'Count a connection as failed (expect mismatch) unless it receives exactly TEXT')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Concurrent connections')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Concurrent connections')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Load for this long first, neither measured nor counted in -n (0: no warm-up)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Count a connection attempt or a response as failed (timeout) after this long (0: never)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads generating the load [default: connections or CPU cores, the fewer]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'The open model: start this many exchanges a second (requests; connections for tcp), whatever the server does, and count each one''s latency from when it was due, so a server that stalls is charged for what it held back (coordinated omission). -c caps the connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Keep the run''s whole result in FILE (the --json summary with its histogram and its second-by-second samples), for `netlab bench diff`. Not for compare')
            [CompletionResult]::new('--hist-out', '--hist-out', [CompletionResultType]::ParameterName, 'Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram''s percentile distribution format, in milliseconds, for the plotters that read it (HdrHistogram''s plotFiles.html, wrk2''s). Not for compare')
            [CompletionResult]::new('--fail-if', '--fail-if', [CompletionResultType]::ParameterName, 'Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`, `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the summary is printed either way, then one line lists what was crossed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the summary as one JSON object on stdout (no progress display)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;bench;http' {
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'Request method')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'Request method')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Extra request header ''Name: value'' (repeatable; replaces Host or User-Agent)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Extra request header ''Name: value'' (repeatable; replaces Host or User-Agent)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Concurrent connections')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Concurrent connections')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Load for this long first, neither measured nor counted in -n (0: no warm-up)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Count a connection attempt or a response as failed (timeout) after this long (0: never)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads generating the load [default: connections or CPU cores, the fewer]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'The open model: start this many exchanges a second (requests; connections for tcp), whatever the server does, and count each one''s latency from when it was due, so a server that stalls is charged for what it held back (coordinated omission). -c caps the connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Keep the run''s whole result in FILE (the --json summary with its histogram and its second-by-second samples), for `netlab bench diff`. Not for compare')
            [CompletionResult]::new('--hist-out', '--hist-out', [CompletionResultType]::ParameterName, 'Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram''s percentile distribution format, in milliseconds, for the plotters that read it (HdrHistogram''s plotFiles.html, wrk2''s). Not for compare')
            [CompletionResult]::new('--fail-if', '--fail-if', [CompletionResultType]::ParameterName, 'Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`, `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the summary is printed either way, then one line lists what was crossed')
            [CompletionResult]::new('--no-keepalive', '--no-keepalive', [CompletionResultType]::ParameterName, 'A new connection for every request (sends `Connection: close`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the summary as one JSON object on stdout (no progress display)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;bench;compare' {
            [CompletionResult]::new('--models', '--models', [CompletionResultType]::ParameterName, 'Models of `netlab serve` to start and compare, one after another')
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'Compare this running server instead (repeatable): HOST:PORT for tcp, a URL for http')
            [CompletionResult]::new('--svg', '--svg', [CompletionResultType]::ParameterName, 'Write the bar chart to FILE as SVG')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Concurrent connections')
            [CompletionResult]::new('--connections', '--connections', [CompletionResultType]::ParameterName, 'Concurrent connections')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Run for this long, more than 0 [default, with no -n: 10s; compare: 3s per server]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Make exactly N attempts (requests, or connections for tcp) in all; failed ones count')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Load for this long first, neither measured nor counted in -n (0: no warm-up)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Count a connection attempt or a response as failed (timeout) after this long (0: never)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Threads generating the load [default: connections or CPU cores, the fewer]')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'The open model: start this many exchanges a second (requests; connections for tcp), whatever the server does, and count each one''s latency from when it was due, so a server that stalls is charged for what it held back (coordinated omission). -c caps the connections (raise it for high rates); with -n and no -d the run lasts N/RATE seconds')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Keep the run''s whole result in FILE (the --json summary with its histogram and its second-by-second samples), for `netlab bench diff`. Not for compare')
            [CompletionResult]::new('--hist-out', '--hist-out', [CompletionResultType]::ParameterName, 'Write the latency histogram (corrected, under --rate) to FILE in HdrHistogram''s percentile distribution format, in milliseconds, for the plotters that read it (HdrHistogram''s plotFiles.html, wrk2''s). Not for compare')
            [CompletionResult]::new('--fail-if', '--fail-if', [CompletionResultType]::ParameterName, 'Exit 99 when the run crosses this threshold (repeatable): `p99>50ms`, `max>=1s`, `mean>2ms`, `errors>0.1%`, `errors>0`, `rate<1000`. Latencies take us, ms or s; the summary is printed either way, then one line lists what was crossed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the summary as one JSON object on stdout (no progress display)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'netlab;bench;diff' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Silence logs (connection lines, access log, warnings, progress)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: resolved addresses, request and response heads')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
