//! `--qr`: the server's URL as a QR code on stderr, for a phone on the same network. For a
//! wildcard bind (`0.0.0.0`, `::`) the URL names the machine's first non-loopback address that
//! is up (IPv4 first: a phone on Wi-Fi reaches it most often), else loopback; a line says which.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

/// Print the line naming the URL, then the code, in one write (after the `listening on`
/// lines: scripts read the first).
pub fn print(scheme: &str, bound: SocketAddr) {
    let (addr, why) = if bound.ip().is_unspecified() {
        match first_address() {
            Some(ip) => (
                SocketAddr::new(ip, bound.port()),
                " (this machine's first non-loopback address)",
            ),
            None => (
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bound.port()),
                " (no non-loopback address: loopback)",
            ),
        }
    } else {
        (bound, "")
    };
    let url = format!("{scheme}://{}/", crate::net::url_authority(addr));
    match render(&url) {
        Some(code) => crate::log::line(format_args!("netlab web: QR code of {url}{why}\n{code}")),
        None => crate::warn!("--qr: {url} does not fit in a QR code"),
    }
}

/// The code in Unicode half blocks, two modules a character, with its quiet zone. Light
/// modules are drawn as blocks: on the usual light-on-dark terminal the code reads dark on
/// light, as a camera expects.
pub fn render(url: &str) -> Option<String> {
    let code = QrCode::new(url.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// The first address of an interface that is up and not loopback: IPv4 if any, else a global
/// IPv6 one (a link-local one would need its zone in the URL).
fn first_address() -> Option<IpAddr> {
    use nix::net::if_::InterfaceFlags;
    let mut v6: Option<Ipv6Addr> = None;
    for ifa in nix::ifaddrs::getifaddrs().ok()? {
        if !ifa.flags.contains(InterfaceFlags::IFF_UP)
            || ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK)
        {
            continue;
        }
        let Some(addr) = ifa.address else { continue };
        if let Some(v4) = addr.as_sockaddr_in()
            && !v4.ip().is_loopback()
        {
            return Some(IpAddr::V4(v4.ip()));
        }
        if let Some(ip) = addr.as_sockaddr_in6().map(|a| a.ip())
            && v6.is_none()
            && !ip.is_loopback()
            && !ip.is_unicast_link_local()
        {
            v6 = Some(ip);
        }
    }
    v6.map(IpAddr::V6)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_renders_as_half_blocks() {
        let code = super::render("http://192.168.1.5:8000/").unwrap();
        let lines: Vec<&str> = code.lines().collect();
        // Version 2 (25 modules) with a quiet zone of 4 on each side: 33 columns, 17 rows.
        assert!(lines.len() >= 15, "{code}");
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count())
        );
        assert!(code.chars().all(|c| " ▀▄█\n".contains(c)), "{code}");
    }
}
