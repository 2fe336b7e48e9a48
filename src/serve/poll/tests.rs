//! The poll model's jobs against a peer in memory that blocks: a job waits for room and
//! resumes where it stopped.

use super::*;
use std::collections::VecDeque;

/// A non-blocking peer in memory: reads hand out `incoming` then block (or end), writes
/// take at most `room` bytes before blocking.
struct Peer {
    incoming: VecDeque<u8>,
    closed: bool,
    room: usize,
    received: Vec<u8>,
}

impl Read for Peer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.incoming.is_empty() {
            return if self.closed {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(self.incoming.len()).min(1000);
        for (slot, byte) in buf.iter_mut().zip(self.incoming.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

impl Write for Peer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.received.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for Peer {}

#[test]
fn echo_waits_for_room_and_then_finishes() {
    let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    let mut peer = Peer {
        incoming: data.iter().copied().collect(),
        closed: true,
        room: 100,
        received: Vec::new(),
    };
    let mut job = Job::Echo(Pending {
        buf: vec![0u8; 1024].into_boxed_slice(),
        start: 0,
        end: 0,
        eof: false,
    });
    let stats = Stats::default();
    let mut scratch = [0u8; 64];
    let mut moved = false;
    let step = job.step(&Service::Echo, &mut peer, &mut scratch, &stats, &mut moved);
    // The client stopped reading: wait to write, and stop reading once the buffer is full.
    assert_eq!(
        step.unwrap(),
        Step::Wait(Interest {
            read: false,
            write: true
        })
    );
    assert!(moved);
    for _ in 0..100 {
        peer.room = 700;
        match job
            .step(&Service::Echo, &mut peer, &mut scratch, &stats, &mut moved)
            .unwrap()
        {
            Step::Done => break,
            Step::Wait(_) => {}
        }
    }
    assert_eq!(peer.received, data);
}

#[test]
fn greeting_resumes_after_a_short_write() {
    let message: Box<[u8]> = b"Thank you for connecting".to_vec().into();
    let service = Service::Greeting(message);
    let mut peer = Peer {
        incoming: VecDeque::new(),
        closed: false,
        room: 5,
        received: Vec::new(),
    };
    let mut job = Job::Greeting(0);
    let stats = Stats::default();
    let mut moved = false;
    let step = job.step(&service, &mut peer, &mut [0u8; 8], &stats, &mut moved);
    assert_eq!(step.unwrap(), Step::Wait(Interest::WRITE));
    peer.room = 100;
    let step = job.step(&service, &mut peer, &mut [0u8; 8], &stats, &mut moved);
    assert_eq!(step.unwrap(), Step::Done);
    assert_eq!(peer.received, b"Thank you for connecting");
}
