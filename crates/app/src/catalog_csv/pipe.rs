//! Sources for the (blocking) CSV reader: a size limit over any reader, and a pipe that
//! carries an upload's chunks from async code into the reading thread, so that a request body
//! is read as it arrives and never held whole.

use std::io::{self, Read};

use tokio::sync::mpsc;

use super::parse::LimitExceeded;

/// A reader that fails with [`LimitExceeded`] once more than `limit` bytes were read.
pub struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Limited<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        Self { inner, left: limit }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ask for one byte more than allowed, so that a source of exactly `limit` bytes passes
        // and one byte more fails.
        let want = buf
            .len()
            .min(usize::try_from(self.left + 1).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(io::Error::other(LimitExceeded));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Chunks in flight between the sender and the reader (each up to a network read).
const PIPE_DEPTH: usize = 16;

/// The sending half: feed it the upload's chunks, then drop it (end of file) or
/// [`PipeSender::fail`] it.
pub struct PipeSender {
    tx: mpsc::Sender<io::Result<Vec<u8>>>,
}

/// The reading half, a blocking [`Read`]; use it on a blocking thread only.
pub struct PipeReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

/// A pipe from async code to a blocking reader.
pub fn pipe() -> (PipeSender, PipeReader) {
    let (tx, rx) = mpsc::channel(PIPE_DEPTH);
    (
        PipeSender { tx },
        PipeReader {
            rx,
            chunk: Vec::new(),
            at: 0,
        },
    )
}

impl PipeSender {
    /// Send a chunk; false when the reader is gone (it stopped reading: no need to go on).
    pub async fn send(&self, chunk: Vec<u8>) -> bool {
        self.tx.send(Ok(chunk)).await.is_ok()
    }

    /// End the stream with an error (the upload broke off).
    pub async fn fail(self, message: String) {
        let _ = self.tx.send(Err(io::Error::other(message))).await;
    }
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(e),
                Some(Ok(c)) => {
                    self.chunk = c;
                    self.at = 0;
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_exact() {
        let mut ok = Vec::new();
        Limited::new(&b"12345"[..], 5).read_to_end(&mut ok).unwrap();
        assert_eq!(ok, b"12345");
        let err = Limited::new(&b"123456"[..], 5)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.get_ref().unwrap().is::<LimitExceeded>());
    }

    #[tokio::test]
    async fn the_pipe_carries_chunks_in_order() {
        let (tx, mut rx) = pipe();
        let reader = tokio::task::spawn_blocking(move || {
            let mut s = String::new();
            rx.read_to_string(&mut s).map(|_| s)
        });
        for c in ["a,b\n", "", "c,", "d\n"] {
            assert!(tx.send(c.as_bytes().to_vec()).await);
        }
        drop(tx);
        assert_eq!(reader.await.unwrap().unwrap(), "a,b\nc,d\n");
    }
}
