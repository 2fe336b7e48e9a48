//! The listing page's ways around: the heading's path as breadcrumbs (one link per folder on
//! the way down) and a filter box that hides the rows whose names do not match. The filter
//! needs JavaScript, so it stays hidden without it; the breadcrumbs are plain links.

use std::io::Write;

use percent_encoding::percent_encode;

use super::listing::{SEGMENT, escape};

/// `path` (the decoded directory path, `/docs/2026/`) as links: `/`, `docs/`, `2026/`.
pub fn breadcrumbs(path: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<a href=\"/\">/</a>");
    let mut href = String::from("/");
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        href.extend(percent_encode(segment.as_bytes(), SEGMENT));
        href.push('/');
        let _ = write!(out, "<a href=\"{href}\">{}/</a>", escape(segment));
    }
}

/// The filter box, above the table (shown by [`SCRIPT`]).
pub const FILTER: &str = "<p><input type=\"search\" id=\"filter\" placeholder=\"Filter names\" \
    aria-label=\"Filter names\" autocomplete=\"off\" hidden></p>\n";

/// Shows the filter box and hides the rows whose names do not hold what is typed (any case);
/// the parent link always stays.
pub const SCRIPT: &str = r#"<script>
(function () {
  var f = document.getElementById('filter');
  if (!f) return;
  f.removeAttribute('hidden');
  f.addEventListener('input', function () {
    var q = f.value.toLowerCase();
    document.querySelectorAll('tbody tr').forEach(function (r) {
      var a = r.querySelector('td a');
      if (!a || a.getAttribute('href') === '../') return;
      r.style.display = q !== '' && a.textContent.toLowerCase().indexOf(q) < 0 ? 'none' : '';
    });
  });
})();
</script>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_folder_on_the_way_is_a_link_escaped_and_encoded() {
        let mut out = Vec::new();
        breadcrumbs("/a b/<x>/", &mut out);
        let html = String::from_utf8(out).unwrap();
        assert_eq!(
            html,
            "<a href=\"/\">/</a><a href=\"/a%20b/\">a b/</a><a href=\"/a%20b/%3Cx%3E/\">&lt;x&gt;/</a>"
        );
    }

    #[test]
    fn the_root_is_one_link() {
        let mut out = Vec::new();
        breadcrumbs("/", &mut out);
        assert_eq!(out, b"<a href=\"/\">/</a>");
    }
}
