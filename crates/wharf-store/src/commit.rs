//! The future returned by `Store::submit`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use crate::StoreError;

pub(crate) type Reply = oneshot::Sender<Result<(), StoreError>>;

/// Completion of a submitted [`Batch`](crate::Batch).
///
/// Resolves to `Ok(())` once the batch has been applied and is durable
/// according to the store's [`FsyncPolicy`](crate::FsyncPolicy), or to the
/// error that prevented it. Dropping a `Commit` does not cancel the batch: it
/// is still applied, only the notification is lost.
#[must_use = "a Commit only tells you the batch is durable if you await it"]
#[derive(Debug)]
pub struct Commit {
    state: State,
}

#[derive(Debug)]
enum State {
    Ready(Option<Result<(), StoreError>>),
    Waiting(oneshot::Receiver<Result<(), StoreError>>),
}

impl Commit {
    pub(crate) fn ready(result: Result<(), StoreError>) -> Commit {
        Commit {
            state: State::Ready(Some(result)),
        }
    }

    pub(crate) fn channel() -> (Reply, Commit) {
        let (tx, rx) = oneshot::channel();
        (
            tx,
            Commit {
                state: State::Waiting(rx),
            },
        )
    }

    /// Blocks the current thread until the commit resolves.
    ///
    /// For synchronous callers only: panics if called from within an
    /// asynchronous execution context (use `.await` there).
    pub fn wait(self) -> Result<(), StoreError> {
        match self.state {
            State::Ready(result) => result.unwrap_or(Err(StoreError::Closed)),
            State::Waiting(rx) => rx.blocking_recv().unwrap_or(Err(StoreError::Closed)),
        }
    }
}

impl Future for Commit {
    type Output = Result<(), StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match &mut this.state {
            // Polling again after completion is a caller bug; answer `Closed`
            // rather than panicking.
            State::Ready(result) => Poll::Ready(result.take().unwrap_or(Err(StoreError::Closed))),
            State::Waiting(rx) => Pin::new(rx)
                .poll(cx)
                .map(|received| received.unwrap_or(Err(StoreError::Closed))),
        }
    }
}
