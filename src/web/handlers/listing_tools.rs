//! The listing page's tools, when the flags allow them: an upload form (several files, a
//! progress bar), a new-folder form and a delete button per row. Plain forms that work without
//! JavaScript; a small inline script adds the progress bar and the delete buttons (which stay
//! hidden without it: a form cannot send DELETE). No outside assets. Also the page's dark
//! colours (`prefers-color-scheme`).

use std::io::Write;

use super::listing::{Entry, escape};
use crate::web::Writes;

/// Whether the page has any tool at all.
fn any(writes: Writes) -> bool {
    writes.upload || writes.mkdir || writes.delete
}

/// CSS for the tools and the dark scheme, inside the page's `<style>`.
pub fn style(writes: Writes, out: &mut Vec<u8>) {
    out.extend_from_slice(
        b":root{color-scheme:light dark}\n\
          @media (prefers-color-scheme:dark){body{background:#17191c;color:#ddd}\
          tr:nth-child(even){background:#24272b}a{color:#8ab4f8}}\n",
    );
    if any(writes) {
        out.extend_from_slice(
            b".tools form{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin:.6rem 0}\n\
              .tools input{font:inherit;max-width:100%}\n\
              .tools progress{flex:1 1 8rem}\n\
              button{font:inherit;padding:.25rem .7rem;cursor:pointer}\n\
              td.x{text-align:right;width:1%;padding-top:.2rem;padding-bottom:.2rem}\n\
              td.x button{padding:.1rem .6rem;font-size:.9em}\n",
        );
    }
}

/// The forms above the table.
pub fn forms(writes: Writes, out: &mut Vec<u8>) {
    if !(writes.upload || writes.mkdir) {
        return;
    }
    out.extend_from_slice(b"<div class=\"tools\">\n");
    if writes.upload {
        out.extend_from_slice(
            b"<form id=\"upload\" method=\"post\" action=\"./\" enctype=\"multipart/form-data\">\n\
              <input type=\"file\" name=\"file\" multiple required aria-label=\"Files to upload\">\n\
              <button>Upload</button>\n\
              <progress hidden max=\"1\" value=\"0\"></progress><span class=\"msg\" role=\"status\"></span>\n\
              </form>\n",
        );
    }
    if writes.mkdir {
        out.extend_from_slice(
            b"<form id=\"mkdir\" method=\"post\" action=\"./?mkdir\">\n\
              <input name=\"name\" required maxlength=\"255\" placeholder=\"New folder\" \
              aria-label=\"New folder name\">\n\
              <button>Create folder</button>\n\
              </form>\n",
        );
    }
    out.extend_from_slice(b"</div>\n");
}

/// The head of the delete column, when there is one.
pub fn head_cell(writes: Writes, out: &mut Vec<u8>) {
    if writes.delete {
        out.extend_from_slice(b"<th class=\"x\"></th>");
    }
}

/// A row's delete cell (`None`: the parent row, which has none).
pub fn row_cell(writes: Writes, entry: Option<&Entry>, out: &mut Vec<u8>) {
    if !writes.delete {
        return;
    }
    let Some(entry) = entry else {
        out.extend_from_slice(b"<td class=\"x\"></td>");
        return;
    };
    // The target has no trailing slash: DELETE names the folder itself.
    let href = entry.href();
    let _ = write!(
        out,
        "<td class=\"x\"><button class=\"del\" hidden data-href=\"{}\" data-name=\"{}\">Delete</button></td>",
        href.trim_end_matches('/'),
        escape(&entry.display()),
    );
}

/// The script after the table: the upload's progress and the delete buttons.
pub fn script(writes: Writes, out: &mut Vec<u8>) {
    if !(writes.upload || writes.delete) {
        return;
    }
    out.extend_from_slice(SCRIPT.as_bytes());
}

const SCRIPT: &str = r#"<script>
(function () {
  var up = document.getElementById('upload');
  if (up && window.FormData) {
    up.addEventListener('submit', function (e) {
      e.preventDefault();
      var x = new XMLHttpRequest(), bar = up.querySelector('progress'), msg = up.querySelector('.msg');
      x.open('POST', up.action);
      x.setRequestHeader('Accept', 'application/json');
      bar.hidden = false; bar.value = 0; msg.textContent = '';
      x.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = e.loaded / e.total; };
      x.onload = function () {
        if (x.status < 300) { location.reload(); return; }
        bar.hidden = true; msg.textContent = x.status + ' ' + x.statusText;
      };
      x.onerror = function () { bar.hidden = true; msg.textContent = 'upload failed'; };
      x.send(new FormData(up));
    });
  }
  document.querySelectorAll('button.del').forEach(function (b) {
    b.hidden = false;
    b.addEventListener('click', function () {
      if (!confirm('Delete ' + b.dataset.name + '?')) return;
      fetch(b.dataset.href, { method: 'DELETE' }).then(function (r) {
        if (r.ok) location.reload(); else alert(r.status + ' ' + r.statusText);
      });
    });
  });
})();
</script>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_only_when_allowed() {
        let page = |writes: Writes| {
            let mut out = Vec::new();
            style(writes, &mut out);
            forms(writes, &mut out);
            head_cell(writes, &mut out);
            let entry = Entry {
                name: "a\"b".into(),
                is_dir: true,
                size: 0,
                modified: 0,
            };
            row_cell(writes, Some(&entry), &mut out);
            script(writes, &mut out);
            String::from_utf8(out).unwrap()
        };
        let none = page(Writes::default());
        assert!(!none.contains("<form") && !none.contains("<script") && !none.contains("del"));
        let all = page(Writes {
            upload: true,
            mkdir: true,
            delete: true,
            ..Writes::default()
        });
        assert!(all.contains("enctype=\"multipart/form-data\""));
        assert!(all.contains("action=\"./?mkdir\""));
        assert!(all.contains("data-href=\"a%22b\" data-name=\"a&quot;b\""));
        assert!(all.contains("upload.onprogress"));
    }
}
