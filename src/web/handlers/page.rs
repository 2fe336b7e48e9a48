//! `--page`: one page for every request, with its validators (a strong ETag from the content,
//! the file's modification time) and the conditional requests they answer.

use super::Ctx;
use crate::web::Page;
use crate::web::files::{self, Condition, Validators};
use crate::web::request::Request;
use crate::web::response::{Answer, Head, Payload};

impl<'s> Ctx<'_, 's> {
    pub(super) fn page(&mut self, req: &Request<'_, '_>, page: &'s Page) -> Answer<'s> {
        let validators = Validators {
            etag: &page.etag,
            modified: page.modified,
        };
        let status = match validators.check(
            req.if_match,
            req.if_unmodified_since,
            req.if_none_match,
            req.if_modified_since,
        ) {
            Condition::Proceed => 200,
            Condition::NotModified => 304,
            Condition::Failed => return self.short(412, &[]),
        };
        let mut head = Head::new(&mut self.bufs.out, status, &self.site.common);
        head.header("ETag", &page.etag)
            .with("Last-Modified", |out| files::http_date(page.modified, out));
        if status == 200 {
            head.content_type(page.mime, self.site.charset(page.utf8))
                .number("Content-Length", page.body.len() as u64);
        }
        head.connection(self.framing.keep, req.minor).finish();
        let payload = if status == 200 && !self.framing.head_only {
            Payload::Borrowed(&page.body)
        } else {
            Payload::Empty
        };
        self.answer(status, payload)
    }
}
