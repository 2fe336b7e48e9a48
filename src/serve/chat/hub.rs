//! The room, whatever model carries its bytes: who is in it under which name, how the bytes a
//! client sends become lines for the others, and each client's bounded queue.
//!
//! Lines read together go out together: a batch of a sender's lines becomes one shared chunk
//! (`Arc<[u8]>`) that every other member's queue holds a reference to, so a fan-out to N
//! clients costs N pointer pushes, not N copies.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

pub use super::queue::{Outbox, Pressure, Pushed, Queue};

/// The longest name `/nick` takes, in bytes as the client sent them.
pub const MAX_NAME: usize = 32;

/// A batch of lines is cut into chunks of about this size, so a queue's bound stays close.
const CHUNK: usize = 64 * 1024;

/// What a client sent after its last newline, kept for its next read.
#[derive(Debug, Default)]
pub struct LineBuf {
    partial: Vec<u8>,
    /// The line under way was over `--max-line`: forget bytes until its newline.
    skipping: bool,
}

struct Member<O> {
    name: String,
    outbox: O,
}

/// The members, keyed by an id the model chooses (the poll model's slab key, the thread
/// model's count).
pub struct Room<O> {
    members: BTreeMap<usize, Member<O>>,
    max_line: usize,
    /// Members whose queue went from empty to not: the poll model writes to them next.
    pub touched: Vec<usize>,
    /// Over their bound, not yet removed.
    overflowed: Vec<usize>,
    /// Removed for not reading: the model closes them.
    dropped: Vec<(usize, String, O)>,
}

impl<O: Outbox> Room<O> {
    pub fn new(max_line: usize) -> Room<O> {
        Room {
            members: BTreeMap::new(),
            max_line,
            touched: Vec::new(),
            overflowed: Vec::new(),
            dropped: Vec::new(),
        }
    }

    /// Let a client in under `name` (made unique with `~2`, `~3` … should someone have taken
    /// it) and tell the others.
    pub fn join(&mut self, id: usize, name: &str, outbox: O) {
        let mut unique = escape(name.as_bytes());
        let mut n = 1;
        while self.taken(&unique) {
            n += 1;
            unique = format!("{}~{n}", escape(name.as_bytes()));
        }
        let notice = format!("* {unique} joined\n");
        self.members.insert(
            id,
            Member {
                name: unique,
                outbox,
            },
        );
        self.broadcast(Some(id), notice.into_bytes().into());
    }

    /// Take what a client sent: each complete line goes to the others (a `/nick` line renames
    /// it instead); the rest waits in `lines` for the next read.
    pub fn receive(&mut self, id: usize, lines: &mut LineBuf, mut data: &[u8]) {
        let mut batch = Vec::new();
        while let Some(end) = memchr::memchr(b'\n', data) {
            let line = &data[..end];
            data = &data[end + 1..];
            if std::mem::take(&mut lines.skipping) {
                continue;
            }
            if lines.partial.is_empty() {
                self.line(id, line, &mut batch);
            } else if lines.partial.len() + line.len() > self.max_line {
                lines.partial.clear();
                self.too_long(id, &mut batch);
            } else {
                let mut whole = std::mem::take(&mut lines.partial);
                whole.extend_from_slice(line);
                self.line(id, &whole, &mut batch);
                whole.clear();
                lines.partial = whole;
            }
        }
        if !lines.skipping && !data.is_empty() {
            if lines.partial.len() + data.len() > self.max_line {
                lines.partial.clear();
                lines.skipping = true;
                self.too_long(id, &mut batch);
            } else {
                lines.partial.extend_from_slice(data);
            }
        }
        self.send_batch(id, &mut batch);
    }

    /// A client has gone: its last line, even without a newline, goes out, then the notice.
    /// Its outbox, when it was still a member (not dropped).
    pub fn leave(&mut self, id: usize, lines: &mut LineBuf) -> Option<O> {
        if !lines.partial.is_empty() && !lines.skipping {
            lines.partial.push(b'\n');
            let last = std::mem::take(&mut lines.partial);
            self.receive(id, lines, &last);
        }
        let member = self.members.remove(&id)?;
        let notice = format!("* {} left\n", member.name);
        self.broadcast(None, notice.into_bytes().into());
        Some(member.outbox)
    }

    /// Say `text` to everyone (the server is stopping) and let them all go: their outboxes.
    pub fn close_all(&mut self, text: &str) -> Vec<(usize, O)> {
        self.broadcast(None, text.as_bytes().into());
        let members = std::mem::take(&mut self.members);
        members.into_iter().map(|(id, m)| (id, m.outbox)).collect()
    }

    /// Whether a member's queue holds the senders back now (see [`STALL`]).
    pub fn holding_back(&self, now: Instant) -> bool {
        self.members.values().any(|m| m.outbox.holds_back(now))
    }

    /// A member's outbox (`None`: not, or no longer, a member).
    pub fn outbox(&mut self, id: usize) -> Option<&mut O> {
        self.members.get_mut(&id).map(|m| &mut m.outbox)
    }

    /// Members removed for not reading since the last call: id, name and outbox.
    pub fn take_dropped(&mut self) -> Vec<(usize, String, O)> {
        std::mem::take(&mut self.dropped)
    }

    fn taken(&self, name: &str) -> bool {
        self.members.values().any(|m| m.name == name)
    }

    /// One complete line, newline gone: added to the batch, or a command.
    fn line(&mut self, id: usize, line: &[u8], batch: &mut Vec<u8>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > self.max_line {
            return self.too_long(id, batch);
        }
        if line == b"/nick" || line.starts_with(b"/nick ") {
            self.send_batch(id, batch);
            return self.nick(id, &line[5..]);
        }
        let Some(member) = self.members.get(&id) else {
            return;
        };
        batch.extend_from_slice(member.name.as_bytes());
        batch.extend_from_slice(b": ");
        batch.extend_from_slice(line);
        batch.push(b'\n');
        if batch.len() >= CHUNK {
            self.send_batch(id, batch);
        }
    }

    fn too_long(&mut self, id: usize, batch: &mut Vec<u8>) {
        // What came before it goes first, so the answer is in its place.
        self.send_batch(id, batch);
        let answer = format!(
            "* line not sent: longer than {} bytes (--max-line)\n",
            self.max_line
        );
        self.tell(id, answer);
    }

    fn send_batch(&mut self, id: usize, batch: &mut Vec<u8>) {
        if !batch.is_empty() {
            let chunk: Arc<[u8]> = batch.as_slice().into();
            batch.clear();
            self.broadcast(Some(id), chunk);
        }
    }

    fn nick(&mut self, id: usize, wanted: &[u8]) {
        let wanted = wanted.trim_ascii();
        let answer = if wanted.is_empty() {
            "* nick: no name given (/nick NAME)".to_owned()
        } else if wanted.len() > MAX_NAME {
            format!("* nick: too long (at most {MAX_NAME} bytes)")
        } else {
            let name = escape(wanted);
            if self.taken(&name) {
                format!("* nick: {name} is taken")
            } else if let Some(member) = self.members.get_mut(&id) {
                let old = std::mem::replace(&mut member.name, name.clone());
                let notice = format!("* {old} is now {name}\n");
                self.broadcast(Some(id), notice.into_bytes().into());
                format!("* you are now {name}")
            } else {
                return;
            }
        };
        self.tell(id, answer + "\n");
    }

    /// Queue `text` for one member only.
    fn tell(&mut self, id: usize, text: String) {
        let chunk: Arc<[u8]> = text.into_bytes().into();
        if let Some(member) = self.members.get_mut(&id) {
            match member.outbox.push(&chunk) {
                Pushed::First => self.touched.push(id),
                Pushed::More => {}
                Pushed::Full => self.overflowed.push(id),
            }
        }
        self.settle();
    }

    /// Queue a chunk for every member but `from`; then drop whoever had no room for it.
    fn broadcast(&mut self, from: Option<usize>, chunk: Arc<[u8]>) {
        for (&id, member) in &mut self.members {
            if Some(id) == from {
                continue;
            }
            match member.outbox.push(&chunk) {
                Pushed::First => self.touched.push(id),
                Pushed::More => {}
                Pushed::Full => self.overflowed.push(id),
            }
        }
        self.settle();
    }

    /// Remove the members whose queues overflowed, telling the rest (whose queues may overflow
    /// in turn: the loop ends, since each round removes someone).
    fn settle(&mut self) {
        while let Some(id) = self.overflowed.pop() {
            let Some(member) = self.members.remove(&id) else {
                continue;
            };
            let notice: Arc<[u8]> = format!("* {} dropped: not reading\n", member.name)
                .into_bytes()
                .into();
            self.dropped.push((id, member.name, member.outbox));
            for (&id, member) in &mut self.members {
                match member.outbox.push(&notice) {
                    Pushed::First => self.touched.push(id),
                    Pushed::More => {}
                    Pushed::Full => self.overflowed.push(id),
                }
            }
        }
    }
}

/// A name as the others see it: text as it is, a control byte (or a byte that is not UTF-8)
/// as `\xNN`, a backslash doubled — so a name can neither move a terminal's cursor nor pass
/// for another.
pub fn escape(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else if c.is_control() {
                let mut utf8 = [0u8; 4];
                for byte in c.encode_utf8(&mut utf8).bytes() {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(cap: usize) -> Queue {
        Queue::new(cap, &Arc::default())
    }

    fn room() -> Room<Queue> {
        let mut room = Room::new(100);
        room.join(1, "a", queue(1000));
        room.join(2, "b", queue(1000));
        room
    }

    fn drain(room: &mut Room<Queue>, id: usize) -> String {
        let member = room.members.get_mut(&id).unwrap();
        let mut chunks = Vec::new();
        let head = member.outbox.peek(usize::MAX, &mut chunks);
        let mut text = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            text.extend_from_slice(&chunk[if i == 0 { head } else { 0 }..]);
        }
        member.outbox.consume(text.len());
        String::from_utf8(text).unwrap()
    }

    #[test]
    fn lines_split_across_reads_arrive_whole() {
        let mut room = room();
        assert_eq!(drain(&mut room, 1), "* b joined\n");
        let mut lines = LineBuf::default();
        room.receive(2, &mut lines, b"hel");
        room.receive(2, &mut lines, b"lo\r\nwor");
        room.receive(2, &mut lines, b"ld\n/nick  bob \nbye");
        room.leave(2, &mut lines);
        assert_eq!(
            drain(&mut room, 1),
            "b: hello\nb: world\n* b is now bob\nbob: bye\n* bob left\n"
        );
    }

    #[test]
    fn an_over_long_line_is_refused_to_its_sender_only() {
        let mut room = room();
        drain(&mut room, 1);
        let mut lines = LineBuf::default();
        room.receive(1, &mut lines, &[b'x'; 60]);
        room.receive(1, &mut lines, &[b'x'; 60]);
        room.receive(1, &mut lines, b"xx\nshort\n");
        assert_eq!(drain(&mut room, 2), "a: short\n");
        assert_eq!(
            drain(&mut room, 1),
            "* line not sent: longer than 100 bytes (--max-line)\n"
        );
    }

    #[test]
    fn a_full_queue_drops_its_member() {
        let mut room = room();
        room.join(3, "c", queue(10));
        let mut lines = LineBuf::default();
        room.receive(1, &mut lines, b"one\ntwo\n");
        room.receive(1, &mut lines, b"three\n");
        let dropped = room.take_dropped();
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].1, "c");
        assert!(drain(&mut room, 2).ends_with("a: three\n* c dropped: not reading\n"));
    }

    #[test]
    fn nick_answers_go_to_the_asker() {
        let mut room = room();
        drain(&mut room, 1);
        let mut lines = LineBuf::default();
        room.receive(1, &mut lines, b"/nick b\n/nick\n/nick e\x1b[2Jvil\n");
        assert_eq!(
            drain(&mut room, 1),
            "* nick: b is taken\n* nick: no name given (/nick NAME)\n\
             * you are now e\\x1b[2Jvil\n"
        );
        assert_eq!(drain(&mut room, 2), "* a is now e\\x1b[2Jvil\n");
    }

    #[test]
    fn escape_shows_control_and_invalid_bytes() {
        assert_eq!(escape(b"al\x07ice"), "al\\x07ice");
        assert_eq!(escape(b"\xff\\"), "\\xff\\\\");
        assert_eq!(escape("张三".as_bytes()), "张三");
    }
}
