//! Every explanation `--explain` prints, in English and in Simplified Chinese, in one place.
//!
//! A static table rather than a localisation crate (fluent, gettext): the messages are a few
//! dozen short lines with at most two arguments, no plurals and no runtime-loaded files, and a
//! `match` makes the compiler refuse a message without both texts. The unit tests check that
//! neither text is empty, that the Chinese one is Chinese, and that both take the same
//! arguments (`{0}`, `{1}`). The call itself (`accept(fd 3) = fd 4 …`) is not translated.

/// The language of the narration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

/// One explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    SocketV4,
    SocketV6,
    SocketUdp,
    ReuseAddr,
    Bind,
    BindPort0,
    AddrInUse,
    AddrNotAvail,
    Listen,
    Accept,
    Recv,
    RecvFull,
    RecvEof,
    RecvAgain,
    WouldBlock,
    SendAgain,
    RecvTrunc,
    Send,
    SendShort,
    SendMore,
    Epipe,
    Reset,
    ShutdownWr,
    ShutdownRd,
    Close,
    CloseUnused,
    CloseParent,
    Thread,
    Pool,
    Fork,
    Waitpid,
    EpollAdd,
    EpollDel,
    EpollWait,
    Connected,
    ConnectInProgress,
    ConnectPoll,
    SoError,
    Refused,
    TimedOut,
    Dup,
    RecvFrom,
    SendTo,
    UdpConnect,
    Sendfile,
    SendfileEnd,
    TlsDone,
    OtherError,
    Quieter,
    HttpRequestLine,
    HttpStatusLine,
    HttpHost,
    HttpUserAgent,
    HttpAccept,
    HttpAcceptEncoding,
    HttpAcceptLanguage,
    HttpConnection,
    HttpContentLength,
    HttpContentType,
    HttpDate,
    HttpServer,
    HttpLastModified,
    HttpEtag,
    HttpConditional,
    HttpRange,
    HttpAcceptRanges,
    HttpChunked,
    HttpCacheControl,
    HttpLocation,
    HttpCookie,
    HttpAuthorization,
    HttpOther,
    HttpEnd,
    Tour1321,
    Tour1322,
    Tour133,
    Tour134,
    Tour135,
    TourServer,
    TourClient,
    TourEnter,
    TourByHand,
    More,
}

impl Msg {
    /// Every message, for the tests.
    pub const ALL: &'static [Msg] = &[
        Msg::SocketV4,
        Msg::SocketV6,
        Msg::SocketUdp,
        Msg::ReuseAddr,
        Msg::Bind,
        Msg::BindPort0,
        Msg::AddrInUse,
        Msg::AddrNotAvail,
        Msg::Listen,
        Msg::Accept,
        Msg::Recv,
        Msg::RecvFull,
        Msg::RecvEof,
        Msg::RecvAgain,
        Msg::WouldBlock,
        Msg::SendAgain,
        Msg::RecvTrunc,
        Msg::Send,
        Msg::SendShort,
        Msg::SendMore,
        Msg::Epipe,
        Msg::Reset,
        Msg::ShutdownWr,
        Msg::ShutdownRd,
        Msg::Close,
        Msg::CloseUnused,
        Msg::CloseParent,
        Msg::Thread,
        Msg::Pool,
        Msg::Fork,
        Msg::Waitpid,
        Msg::EpollAdd,
        Msg::EpollDel,
        Msg::EpollWait,
        Msg::Connected,
        Msg::ConnectInProgress,
        Msg::ConnectPoll,
        Msg::SoError,
        Msg::Refused,
        Msg::TimedOut,
        Msg::Dup,
        Msg::RecvFrom,
        Msg::SendTo,
        Msg::UdpConnect,
        Msg::Sendfile,
        Msg::SendfileEnd,
        Msg::TlsDone,
        Msg::OtherError,
        Msg::Quieter,
        Msg::HttpRequestLine,
        Msg::HttpStatusLine,
        Msg::HttpHost,
        Msg::HttpUserAgent,
        Msg::HttpAccept,
        Msg::HttpAcceptEncoding,
        Msg::HttpAcceptLanguage,
        Msg::HttpConnection,
        Msg::HttpContentLength,
        Msg::HttpContentType,
        Msg::HttpDate,
        Msg::HttpServer,
        Msg::HttpLastModified,
        Msg::HttpEtag,
        Msg::HttpConditional,
        Msg::HttpRange,
        Msg::HttpAcceptRanges,
        Msg::HttpChunked,
        Msg::HttpCacheControl,
        Msg::HttpLocation,
        Msg::HttpCookie,
        Msg::HttpAuthorization,
        Msg::HttpOther,
        Msg::HttpEnd,
        Msg::Tour1321,
        Msg::Tour1322,
        Msg::Tour133,
        Msg::Tour134,
        Msg::Tour135,
        Msg::TourServer,
        Msg::TourClient,
        Msg::TourEnter,
        Msg::TourByHand,
        Msg::More,
    ];

    /// The text in both languages: (English, Chinese).
    pub fn texts(self) -> (&'static str, &'static str) {
        match self {
            Msg::SocketV4 => (
                "IPv4 addresses; a TCP byte stream",
                "IPv4 地址族；TCP 字节流",
            ),
            Msg::SocketV6 => (
                "IPv6 addresses; a TCP byte stream",
                "IPv6 地址族；TCP 字节流",
            ),
            Msg::SocketUdp => (
                "a UDP socket: datagrams, each one whole, no connection",
                "UDP 套接字：数据报，每个完整送达，没有连接",
            ),
            Msg::ReuseAddr => (
                "a restarted server may bind this port at once, even while old connections wait in TIME_WAIT",
                "重启的服务器可以立刻绑定这个端口，即使旧连接还停在 TIME_WAIT",
            ),
            Msg::Bind => (
                "the socket takes this address and port: clients connect here",
                "套接字占用这个地址和端口：客户端连到这里",
            ),
            Msg::BindPort0 => (
                "port 0: the kernel picks a free port (the listening line says which)",
                "端口 0：由内核挑一个空闲端口（见 listening 那一行）",
            ),
            Msg::AddrInUse => (
                "EADDRINUSE: another socket holds port {0} (a server listening on it: `ss -ltnp` names it); SO_REUSEADDR only lets a new server bind past connections left in TIME_WAIT, it does not share a port someone listens on",
                "EADDRINUSE：端口 {0} 已被另一个套接字占用（有服务器在监听，`ss -ltnp` 可查是谁）；SO_REUSEADDR 只允许越过 TIME_WAIT 中的旧连接，不能共用正在监听的端口",
            ),
            Msg::AddrNotAvail => (
                "EADDRNOTAVAIL: this address belongs to no interface of this machine",
                "EADDRNOTAVAIL：本机没有哪个网卡拥有这个地址",
            ),
            Msg::Listen => (
                "the socket now accepts connections: up to {0} finished handshakes may wait for accept()",
                "套接字开始接受连接：最多 {0} 个已完成握手的连接可排队等待 accept()",
            ),
            Msg::Accept => (
                "the kernel finished the handshake; fd {0} is this client, fd {1} goes on listening",
                "内核已完成三次握手；fd {0} 就是这个客户端，fd {1} 继续监听",
            ),
            Msg::Recv => (
                "a short read: recv returns what has arrived, up to {0} bytes; TCP keeps no message boundaries",
                "短读：recv 返回已到达的数据，最多 {0} 字节；TCP 不保留消息边界",
            ),
            Msg::RecvFull => (
                "the buffer is full; more bytes may be waiting for the next recv",
                "缓冲区已满；可能还有数据等待下一次 recv",
            ),
            Msg::RecvEof => (
                "0 bytes: end of file, the peer has closed its sending side",
                "0 字节：文件结束，对方已关闭它的发送方向",
            ),
            Msg::RecvAgain => (
                "EAGAIN: nothing is waiting (MSG_DONTWAIT does not block); the client sent nothing, so closing now cannot reset the reply",
                "EAGAIN：没有待读的数据（MSG_DONTWAIT 不阻塞）；客户端什么也没发，所以现在关闭不会用 RST 毁掉回复",
            ),
            Msg::WouldBlock => (
                "EAGAIN: a non-blocking socket has nothing more for now; the event loop waits until epoll says it is ready",
                "EAGAIN：非阻塞套接字暂时没有更多数据；事件循环等 epoll 通知就绪后再试",
            ),
            Msg::SendAgain => (
                "EAGAIN: the send buffer is full; the rest waits until the socket is writable again",
                "EAGAIN：发送缓冲区已满；其余数据等套接字再次可写时发送",
            ),
            Msg::RecvTrunc => (
                "MSG_TRUNC: the kernel drops the bytes without copying them to us",
                "MSG_TRUNC：内核直接丢弃这些字节，不复制给我们",
            ),
            Msg::Send => (
                "the bytes are copied into the kernel's send buffer; TCP delivers them in order",
                "数据被复制进内核的发送缓冲区；TCP 按顺序送达",
            ),
            Msg::SendShort => (
                "a short write: the send buffer took only part; the rest goes in the next call",
                "短写：发送缓冲区只收下了一部分；其余的下一次调用再发",
            ),
            Msg::SendMore => (
                "MSG_MORE holds the last segment until the close, so data and FIN leave in one packet",
                "MSG_MORE 把最后一段留到关闭时，让数据和 FIN 同一个包发出",
            ),
            Msg::Epipe => (
                "EPIPE: the peer has closed; MSG_NOSIGNAL turns the SIGPIPE that would kill us into this error",
                "EPIPE：对方已关闭；MSG_NOSIGNAL 把本会杀死进程的 SIGPIPE 变成这个错误",
            ),
            Msg::Reset => (
                "ECONNRESET: the peer reset the connection (it closed with data unread, or went away)",
                "ECONNRESET：对方重置了连接（它关闭时还有未读数据，或已消失）",
            ),
            Msg::ShutdownWr => (
                "half-close: the peer reads end-of-file, we can still read",
                "半关闭：对方读到文件结束，我们仍然可以读",
            ),
            Msg::ShutdownRd => (
                "no more reading on this socket: a blocked recv returns at once",
                "不再从这个套接字读：阻塞中的 recv 立刻返回",
            ),
            Msg::Close => (
                "the descriptor is released; the kernel ends the connection with FIN",
                "描述符被释放；内核用 FIN 结束连接",
            ),
            Msg::CloseUnused => (
                "the descriptor is released; nothing was connected",
                "描述符被释放；连接并未建立",
            ),
            Msg::CloseParent => (
                "the parent's copy goes; the child holds its own, so the connection stays open",
                "父进程关闭自己的副本；子进程还持有一份，连接保持打开",
            ),
            Msg::Thread => (
                "a thread of its own serves fd {0}; the main thread goes back to accept()",
                "一个独立线程服务 fd {0}；主线程回到 accept()",
            ),
            Msg::Pool => (
                "{0} threads started up front share the listener and take turns at accept()",
                "预先启动 {0} 个线程共享监听套接字，轮流调用 accept()",
            ),
            Msg::Fork => (
                "the child is a copy of the server, fd {0} included; it serves this client and exits",
                "子进程是服务器的副本，也持有 fd {0}；它服务这个客户端后退出",
            ),
            Msg::Waitpid => (
                "the parent reaps the child that exited; without waitpid it would stay a zombie",
                "父进程回收已退出的子进程；不调用 waitpid 它会变成僵尸进程",
            ),
            Msg::EpollAdd => (
                "epoll watches fd {0}; edge-triggered: it reports each change of readiness once",
                "epoll 开始监视 fd {0}；边沿触发：每次就绪状态变化只报告一次",
            ),
            Msg::EpollDel => (
                "epoll stops watching fd {0} before it is closed",
                "关闭之前，epoll 停止监视 fd {0}",
            ),
            Msg::EpollWait => (
                "one thread waits on every socket at once; the kernel says which are ready",
                "一个线程同时等待所有套接字；内核告诉我们哪些已就绪",
            ),
            Msg::Connected => (
                "the three-way handshake is done (SYN, SYN-ACK, ACK)",
                "三次握手已完成（SYN、SYN-ACK、ACK）",
            ),
            Msg::ConnectInProgress => (
                "a non-blocking connect: the SYN is out and the handshake goes on while we wait (at most {0})",
                "非阻塞 connect：SYN 已发出，握手在我们等待时继续（最多 {0}）",
            ),
            Msg::ConnectPoll => (
                "the socket became writable: the handshake has ended, one way or the other",
                "套接字可写了：握手已经结束，成功或失败",
            ),
            Msg::SoError => (
                "SO_ERROR says how the handshake ended: 0 is success",
                "SO_ERROR 告诉我们握手的结果：0 表示成功",
            ),
            Msg::Refused => (
                "ECONNREFUSED: nothing listens on port {0}; the peer's kernel answered the SYN with a reset (RST)",
                "ECONNREFUSED：端口 {0} 上没有程序在监听；对方内核用 RST 回应了 SYN",
            ),
            Msg::TimedOut => (
                "no answer within {0}: a firewall may drop the SYN, or the host is down",
                "{0} 内没有回应：可能是防火墙丢弃了 SYN，或者主机已关机",
            ),
            Msg::Dup => (
                "a second descriptor for the same socket: one thread sends on it while the other reads",
                "同一个套接字的第二个描述符：一个线程用它发送，另一个线程读",
            ),
            Msg::RecvFrom => (
                "one datagram, whole, and who sent it: UDP keeps message boundaries (one longer than the buffer is cut, the rest lost)",
                "一个完整的数据报及其发送方：UDP 保留消息边界（比缓冲区长的会被截断，多出的部分丢失）",
            ),
            Msg::SendTo => (
                "one datagram to that address: no connection, no retransmission, no promise it arrives",
                "向该地址发出一个数据报：没有连接，不重传，也不保证送达",
            ),
            Msg::UdpConnect => (
                "connect on UDP sends nothing: it fixes the one peer, so send() needs no address and only that peer's datagrams (and its ICMP errors) come back",
                "UDP 上的 connect 不发任何包：它只固定对端，于是 send() 不用写地址，也只收得到这个对端的数据报（和它的 ICMP 错误）",
            ),
            Msg::Sendfile => (
                "sendfile: the kernel copies the file's pages straight into the socket; the bytes never pass through our memory",
                "sendfile：内核把文件的页直接送进套接字；数据从不经过我们的内存",
            ),
            Msg::SendfileEnd => (
                "0 bytes: the file ends here (it may have shrunk while it was sent)",
                "0 字节：文件到此结束（发送途中它可能变短了）",
            ),
            Msg::TlsDone => (
                "the TLS handshake is done: the keys are agreed, and from here every byte on this socket is encrypted",
                "TLS 握手完成：密钥已商定，此后这个套接字上的每个字节都是加密的",
            ),
            Msg::OtherError => ("the call failed: {0}", "调用失败：{0}"),
            Msg::Quieter => (
                "fd {0}: its further recv and send calls are not shown",
                "fd {0}：之后的 recv 和 send 调用不再显示",
            ),
            Msg::HttpRequestLine => (
                "the request line: the method ({0}), the target on the server, the protocol version",
                "请求行：方法（{0}）、服务器上的目标路径、协议版本",
            ),
            Msg::HttpStatusLine => (
                "the status line: the version, the status code {0} and its reason phrase",
                "状态行：版本、状态码 {0} 和原因短语",
            ),
            Msg::HttpHost => (
                "which site is asked for: one address may serve many names (required in HTTP/1.1)",
                "请求的是哪个站点：一个地址可以服务多个域名（HTTP/1.1 必需）",
            ),
            Msg::HttpUserAgent => (
                "the client program's name and version",
                "客户端程序的名称和版本",
            ),
            Msg::HttpAccept => (
                "the media types the client can take, in order of preference",
                "客户端能接受的媒体类型，按偏好排序",
            ),
            Msg::HttpAcceptEncoding => (
                "the compressions the client can undo (gzip, br …)",
                "客户端能解开的压缩方式（gzip、br 等）",
            ),
            Msg::HttpAcceptLanguage => ("the languages the reader prefers", "读者偏好的语言"),
            Msg::HttpConnection => (
                "keep-alive or close: whether this connection carries another request after this one",
                "keep-alive 或 close：这个连接在本次之后是否还承载下一个请求",
            ),
            Msg::HttpContentLength => (
                "the body's exact size in bytes: the reader takes exactly this many, then expects the next message; one byte off and the page is cut short or the browser waits for ever (the bug of the notes' simple_webserver.py)",
                "消息体的确切字节数：读方正好读这么多，然后等待下一条消息；差一个字节，页面就被截断或浏览器一直等待（笔记中 simple_webserver.py 的错误）",
            ),
            Msg::HttpContentType => (
                "what the body is, and for text its charset",
                "消息体是什么类型，文本还有字符集",
            ),
            Msg::HttpDate => ("when the message was made", "消息生成的时间"),
            Msg::HttpServer => ("the server program's name", "服务器程序的名称"),
            Msg::HttpLastModified => (
                "when the file last changed; the client may send it back in If-Modified-Since",
                "文件最后修改的时间；客户端之后可在 If-Modified-Since 中带回",
            ),
            Msg::HttpEtag => (
                "a tag for this version of the content; the client may send it back in If-None-Match",
                "这个内容版本的标签；客户端之后可在 If-None-Match 中带回",
            ),
            Msg::HttpConditional => (
                "the client has a cached copy: 304 Not Modified, with no body, if it is still current",
                "客户端有缓存副本：若仍是最新，回 304 Not Modified，不带消息体",
            ),
            Msg::HttpRange => (
                "only these bytes of the content are asked for (206 Partial Content)",
                "只请求内容中的这些字节（206 Partial Content）",
            ),
            Msg::HttpAcceptRanges => (
                "the server takes Range requests (a download can resume)",
                "服务器支持 Range 请求（下载可以断点续传）",
            ),
            Msg::HttpChunked => (
                "chunked: the body comes in pieces, each with its size, the length not known up front",
                "chunked：消息体分块发送，每块带长度，事先不知道总长度",
            ),
            Msg::HttpCacheControl => (
                "how long and by whom the response may be cached",
                "响应可以被谁缓存、缓存多久",
            ),
            Msg::HttpLocation => (
                "where to go instead: the client follows it after a redirect (3xx)",
                "应改去的地址：重定向（3xx）后客户端跟随它",
            ),
            Msg::HttpCookie => (
                "a cookie: state the server asked the client to keep and send back",
                "cookie：服务器要求客户端保存并带回的状态",
            ),
            Msg::HttpAuthorization => (
                "credentials for this request (Basic is only encoded, not encrypted: use TLS)",
                "本次请求的凭据（Basic 只是编码，不是加密：请用 TLS）",
            ),
            Msg::HttpOther => (
                "a header this lab does not annotate: the receiver may use it or ignore it",
                "本实验不注解的首部：接收方可以使用或忽略它",
            ),
            Msg::HttpEnd => (
                "the blank line: the head ends here, the body (if any) follows",
                "空行：头部到此结束，其后是消息体（如果有）",
            ),
            Msg::Tour1321 => (
                "13.2.1 A TCP server and its client: the notes' server.py and client.py",
                "13.2.1 TCP 服务器和客户端：笔记中的 server.py 与 client.py",
            ),
            Msg::Tour1322 => (
                "13.2.2 Browser and server: one page over HTTP, with an exact Content-Length",
                "13.2.2 浏览器与服务器：通过 HTTP 发送一个页面，Content-Length 必须准确",
            ),
            Msg::Tour133 => (
                "13.3 SocketServer: a server that gives each client a thread of its own",
                "13.3 SocketServer：为每个客户端开一个线程的服务器",
            ),
            Msg::Tour134 => (
                "13.4 urllib: fetching a page, then reading the two Baidu URLs",
                "13.4 urllib：抓取一个页面，再解读两个百度 URL",
            ),
            Msg::Tour135 => (
                "13.5–13.6 Concurrency: a child process per client (fork), then one thread on epoll",
                "13.5–13.6 并发：每个客户端一个子进程（fork），然后单线程 epoll",
            ),
            Msg::TourServer => ("server", "服务器"),
            Msg::TourClient => ("client", "客户端"),
            Msg::TourEnter => ("Press Enter for the next section …", "按回车键进入下一节……"),
            Msg::TourByHand => ("The same by hand:", "手动做同样的事："),
            Msg::More => (
                "… {0} more connections followed the same calls",
                "…… 又有 {0} 个连接经历了同样的调用",
            ),
        }
    }

    /// The text in one language, `{0}` and `{1}` replaced by `args`.
    pub fn render(self, lang: Lang, args: &[&dyn std::fmt::Display]) -> String {
        let (en, zh) = self.texts();
        let mut text = match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
        .to_string();
        for (n, arg) in args.iter().enumerate() {
            text = text.replace(&format!("{{{n}}}"), &arg.to_string());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(text: &str) -> Vec<usize> {
        (0..4)
            .filter(|n| text.contains(&format!("{{{n}}}")))
            .collect()
    }

    #[test]
    fn every_message_has_both_translations() {
        for msg in Msg::ALL {
            let (en, zh) = msg.texts();
            assert!(!en.trim().is_empty(), "{msg:?} has no English text");
            assert!(!zh.trim().is_empty(), "{msg:?} has no Chinese text");
            assert_ne!(en, zh, "{msg:?}: the Chinese text is the English one");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{msg:?}: the Chinese text has no Chinese in it: {zh}"
            );
            assert_eq!(
                placeholders(en),
                placeholders(zh),
                "{msg:?}: the two texts take different arguments"
            );
        }
    }

    #[test]
    fn all_lists_every_message_once() {
        // `texts` is a match, so every variant has texts; ALL must list every variant.
        let mut seen = std::collections::HashSet::new();
        for msg in Msg::ALL {
            assert!(seen.insert(format!("{msg:?}")), "{msg:?} listed twice");
        }
        assert_eq!(seen.len(), Msg::More as usize + 1);
    }

    #[test]
    fn arguments_are_filled_in() {
        assert_eq!(
            Msg::Listen.render(Lang::En, &[&128]),
            "the socket now accepts connections: up to 128 finished handshakes may wait for accept()"
        );
        assert!(
            Msg::Listen
                .render(Lang::Zh, &[&128])
                .contains("最多 128 个")
        );
    }
}
