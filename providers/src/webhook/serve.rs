//! Running a [`Receiver`] on a listener of its own.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::receiver::Receiver;

/// A [`Receiver`] serving on its own listener (from [`Receiver::bind`]). Dropping it stops
/// the server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use poller_providers::webhook::{Receiver, Vendor};
/// let running = Receiver::new().bind("127.0.0.1:0".parse().unwrap()).await?;
/// let url = running.receiver().callback_url(Vendor::Narada).unwrap();
/// assert_eq!(url, format!("http://{}/narada", running.local_addr()));
/// running.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RunningReceiver {
    receiver: Receiver,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Binds `addr` (port 0 for any free port) and serves [`router`](Receiver::router) on it
    /// in a spawned task. Without a [`public_url`](Receiver::public_url), the public URL
    /// becomes `http://{local address}`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = poller_providers::webhook::Receiver::new()
    ///     .public_url("https://hooks.example.com")
    ///     .bind("127.0.0.1:0".parse().unwrap())
    ///     .await?;
    /// assert_ne!(running.local_addr().port(), 0);
    /// # Ok(()) }
    /// ```
    pub async fn bind(self, addr: SocketAddr) -> io::Result<RunningReceiver> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        if self.callback_url(super::Vendor::Narada).is_none() {
            self.set_public_url(format!("http://{addr}"));
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let app = self.router();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                tracing::warn!(error = %e, "webhook receiver stopped");
            }
        });
        Ok(RunningReceiver {
            receiver: self,
            addr,
            stop: Some(stop),
            task,
        })
    }
}

impl RunningReceiver {
    /// The address it listens on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = poller_providers::webhook::Receiver::new().bind("127.0.0.1:0".parse().unwrap()).await?;
    /// assert!(running.local_addr().ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The receiver: its callback URLs, and where tasks are expected.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = poller_providers::webhook::Receiver::new().bind("127.0.0.1:0".parse().unwrap()).await?;
    /// assert!(running.receiver().callback_url(poller_providers::webhook::Vendor::Dari).is_some());
    /// # Ok(()) }
    /// ```
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// Stops accepting connections and waits for the server to finish the requests in hand.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let running = poller_providers::webhook::Receiver::new().bind("127.0.0.1:0".parse().unwrap()).await?;
    /// let addr = running.local_addr();
    /// running.shutdown().await;
    /// assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
