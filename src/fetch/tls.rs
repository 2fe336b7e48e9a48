//! `fetch`'s TLS: the client configuration `connect --tls` uses too (`net::tls`: `--cacert`
//! alone when given, as curl, otherwise the system's CA store and the bundled Mozilla roots; a
//! server whose certificate is itself one of the `--cacert` certificates is trusted, as curl
//! trusts it), put into ureq's chain of connectors in place of its own rustls step, after the
//! proxies and TCP.

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::unversioned::transport::{
    Buffers, ConnectProxyConnector, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout,
    SocksConnector, TcpConnector, Transport, TransportAdapter,
};

use super::request::Plan;
use super::timing::{Stamp, Timeline};
use crate::net::tls::{self, Trust};

/// The client configuration of every https hop (the roots are read once per run).
pub fn config(plan: &Plan) -> anyhow::Result<Arc<ClientConfig>> {
    let trust = match (&plan.cacert, plan.insecure) {
        (_, true) => Trust::Insecure,
        (Some(certs), false) => Trust::CaCert(certs.clone()),
        (None, false) => Trust::Default,
    };
    let identity = plan
        .identity
        .as_ref()
        .map(|(chain, key)| (chain.clone(), key.clone_key()));
    Ok(tls::client_config(trust, Vec::new(), identity)?.0)
}

/// ureq's connectors as its default chain has them (a SOCKS proxy, a CONNECT proxy, TCP), then
/// TLS with `config` for an https hop; each phase stamped on `timeline` as it ends.
pub fn connector(config: Option<Arc<ClientConfig>>, timeline: Arc<Timeline>) -> impl Connector {
    ().chain(SocksConnector::default())
        .chain(ConnectProxyConnector::default())
        .chain(super::explained::ExplainedTcp)
        .chain(TcpConnector::default())
        .chain(Stamp {
            timeline: Arc::clone(&timeline),
            after_tls: false,
        })
        .chain(TlsConnector { config })
        .chain(Stamp {
            timeline,
            after_tls: true,
        })
}

/// Wraps the connection in TLS when the hop is https.
#[derive(Debug)]
struct TlsConnector {
    config: Option<Arc<ClientConfig>>,
}

impl<In: Transport> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let config = self
            .config
            .clone()
            .ok_or(ureq::Error::Tls("no TLS configuration for an https hop"))?;
        let host = details.uri.host().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|_| ureq::Error::Tls("the host is not a name TLS can check"))?;
        let mut conn = ClientConnection::new(config, name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        if let Some(fd) = super::explained::connected_fd() {
            crate::explain::tls_done(fd, || tls::describe_state(&conn));
        }
        if crate::log::verbose() {
            // What `connect -v` shows, in curl's `* ` lines.
            crate::debug!("* TLS: {}", tls::describe_state(&conn));
            let chain: Vec<_> = conn.peer_certificates().unwrap_or_default().to_vec();
            for line in tls::describe_chain(&chain) {
                crate::debug!("* {line}");
            }
        }
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// A TLS session on ureq's transport.
struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport").finish()
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
