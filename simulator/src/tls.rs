//! Serving over TLS: a throwaway certificate authority made at start, a server certificate it
//! signs for the loopback names, and a rustls listener (axum-server) in place of plain TCP.
//!
//! The CA is generated fresh by every [`SimulatorBuilder::tls`](crate::SimulatorBuilder::tls)
//! start and its key never leaves the process; a client trusts the server by adding
//! [`Simulator::tls_ca_pem`](crate::Simulator::tls_ca_pem) to its root certificates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// What a TLS start needs: the rustls configuration of the server and the CA that signed it.
pub(crate) struct TlsSetup {
    /// The CA certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    pub(crate) ca_pem: String,
    config: RustlsConfig,
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{what}: {e}"))
}

/// A test CA and a server certificate it signs for `localhost`, `127.0.0.1`, `::1` and the
/// address actually bound (when it is another one).
pub(crate) fn test_ca(bound: IpAddr) -> Result<TlsSetup> {
    let mut ca =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_error("CA parameters", e))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "poller-sim test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(|e| tls_error("CA key", e))?;
    let ca_cert = ca
        .self_signed(&ca_key)
        .map_err(|e| tls_error("CA certificate", e))?;
    let issuer = Issuer::new(ca, ca_key);

    let mut names = vec![
        "localhost".to_string(),
        Ipv4Addr::LOCALHOST.to_string(),
        Ipv6Addr::LOCALHOST.to_string(),
    ];
    if !bound.is_loopback() && !bound.is_unspecified() {
        names.push(bound.to_string());
    }
    let mut leaf = CertificateParams::new(names).map_err(|e| tls_error("server names", e))?;
    leaf.distinguished_name
        .push(DnType::CommonName, "poller-sim");
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().map_err(|e| tls_error("server key", e))?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .map_err(|e| tls_error("server certificate", e))?;

    // The ring provider explicitly: the process-wide default is ambiguous when another crate
    // in the build enables a second provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![
                CertificateDer::from(leaf_cert.der().to_vec()),
                CertificateDer::from(ca_cert.der().to_vec()),
            ],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(|e| tls_error("server configuration", e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsSetup {
        ca_pem: ca_cert.pem(),
        config: RustlsConfig::from_config(Arc::new(config)),
    })
}

/// Serves `app` over TLS on `listener` until `stopped` turns true, then shuts down gracefully
/// (open connections finish their requests, idle ones close).
pub(crate) fn spawn(
    listener: TcpListener,
    addr: SocketAddr,
    app: Router,
    setup: &TlsSetup,
    mut stopped: watch::Receiver<bool>,
) -> Result<JoinHandle<()>> {
    let listener = listener
        .into_std()
        .map_err(|source| Error::Bind { addr, source })?;
    let acceptor = RustlsAcceptor::new(setup.config.clone()).acceptor(NoDelayAcceptor::new());
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp(listener)
        .map_err(|source| Error::Bind { addr, source })?
        .acceptor(acceptor)
        .handle(handle.clone());
    tokio::spawn(async move {
        let _ = stopped.wait_for(|stop| *stop).await;
        handle.graceful_shutdown(None);
    });
    Ok(tokio::spawn(async move {
        let _ = server.serve(app.into_make_service()).await;
    }))
}
