//! Running a [`Receiver`] on a listener of its own.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

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
    /// becomes `http://{local address}`, an unspecified IP (`0.0.0.0`, `[::]`) replaced by
    /// the loopback address of its family (`127.0.0.1`, `[::1]`): the address this machine
    /// reaches it at.
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
            self.set_public_url(format!("http://{}", reachable(addr)));
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

/// `addr` with an unspecified IP replaced by the loopback address of its family.
fn reachable(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unspecified_address_is_reached_through_loopback() {
        let running = Receiver::new()
            .bind("0.0.0.0:0".parse().unwrap())
            .await
            .unwrap();
        let port = running.local_addr().port();
        assert_eq!(
            running.receiver().callback_url(super::super::Vendor::Dari),
            Some(format!("http://127.0.0.1:{port}/dari"))
        );
        assert_eq!(
            reachable("[::]:80".parse().unwrap()),
            "[::1]:80".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            reachable("10.1.2.3:80".parse().unwrap()),
            "10.1.2.3:80".parse::<SocketAddr>().unwrap()
        );
    }
}
