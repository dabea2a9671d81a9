//! `poller-sim`: run the simulator from a shell.
//!
//! Prints the base URLs and keys, seeds the vendors' example tasks (unless `--no-examples`),
//! and serves until Ctrl-C. Drive it with the control API under `/_sim` (see the crate docs).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Parser;
use poller_sim::{Keys, Simulator, TaskKey};

/// A local server that behaves like the Narada, Runware, Dari and VESSL status APIs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Do not add the vendors' example tasks.
    #[arg(long)]
    no_examples: bool,
    /// Seed for ids handed out by the creation endpoints.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Narada API key to accept.
    #[arg(long, env = "POLLER_SIM_NARADA_KEY")]
    narada_key: Option<String>,
    /// Runware API key to accept.
    #[arg(long, env = "POLLER_SIM_RUNWARE_KEY")]
    runware_key: Option<String>,
    /// Dari API key to accept.
    #[arg(long, env = "POLLER_SIM_DARI_KEY")]
    dari_key: Option<String>,
    /// The Dari organisation the key belongs to.
    #[arg(long, env = "POLLER_SIM_DARI_ORG")]
    dari_org: Option<String>,
    /// VESSL token to accept.
    #[arg(long, env = "POLLER_SIM_VESSL_KEY")]
    vessl_key: Option<String>,
    /// Serve over TLS (https://) with a certificate from a test CA generated at start; the CA
    /// certificate (PEM) is printed, or written to --ca-out.
    #[arg(long)]
    tls: bool,
    /// With --tls: write the test CA's certificate (PEM) to this file instead of printing it.
    #[arg(long, requires = "tls", value_name = "PATH")]
    ca_out: Option<std::path::PathBuf>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let d = Keys::default();
    let keys = Keys {
        narada: args.narada_key.unwrap_or(d.narada),
        runware: args.runware_key.unwrap_or(d.runware),
        dari: args.dari_key.unwrap_or(d.dari),
        dari_org: args.dari_org.unwrap_or(d.dari_org),
        vessl: args.vessl_key.unwrap_or(d.vessl),
    };
    let sim = match Simulator::builder()
        .bind(SocketAddr::new(args.host, args.port))
        .keys(keys)
        .seed(args.seed)
        .tls(args.tls)
        .start()
        .await
    {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("poller-sim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if !args.no_examples {
        sim.seed_examples();
    }
    print_banner(&sim, !args.no_examples);
    if let Some(pem) = sim.tls_ca_pem() {
        match &args.ca_out {
            Some(path) => match std::fs::write(path, pem) {
                Ok(()) => println!("\nTest CA certificate written to {}", path.display()),
                Err(e) => {
                    eprintln!(
                        "poller-sim: cannot write the CA certificate to {}: {e}",
                        path.display()
                    );
                    return std::process::ExitCode::FAILURE;
                }
            },
            None => println!("\nTest CA certificate (trust it in the client):\n{pem}"),
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("poller-sim: cannot wait for Ctrl-C: {e}");
    }
    sim.shutdown().await;
    std::process::ExitCode::SUCCESS
}

fn print_banner(sim: &Simulator, examples: bool) {
    let k = sim.keys();
    println!("poller-sim listening on {}", sim.base_url());
    println!();
    println!(
        "  narada   {}   x-api-key: {}",
        sim.narada_base_url(),
        k.narada
    );
    println!(
        "  runware  {}   Authorization: Bearer {}",
        sim.runware_base_url(),
        k.runware
    );
    println!(
        "  dari     {}   X-API-Key: {}   (org {})",
        sim.dari_base_url(),
        k.dari,
        k.dari_org
    );
    println!(
        "  vessl    {}   Authorization: Bearer {}",
        sim.vessl_base_url("{slug}").replace("%7Bslug%7D", "{slug}"),
        k.vessl
    );
    println!("  control  {}/_sim/info", sim.base_url());
    if !examples {
        return;
    }
    println!();
    println!("Examples:");
    let narada = sim.status_url(&TaskKey::narada(poller_sim::NARADA_EXAMPLE_ID));
    println!("  curl '{narada}' -H 'x-api-key: {}'", k.narada);
    println!(
        "  curl -X POST '{}' -H 'Authorization: Bearer {}' -d '[{{\"taskType\":\"getResponse\",\"taskUUID\":\"{}\"}}]'",
        sim.runware_base_url(),
        k.runware,
        poller_sim::RUNWARE_BATCH_EXAMPLE_UUID
    );
    println!(
        "  curl '{}/task/{}/{}/status?job_id={}' -H 'X-API-Key: {}'",
        sim.dari_base_url(),
        poller_sim::DARI_EXAMPLE_ORG,
        poller_sim::DARI_EXAMPLE_ENDPOINT,
        poller_sim::DARI_EXAMPLE_JOB_ID,
        k.dari
    );
    println!(
        "  curl -H 'Authorization: Bearer {}' '{}/async/{}/output'",
        k.vessl,
        sim.vessl_base_url(poller_sim::VESSL_EXAMPLE_SLUG),
        poller_sim::VESSL_EXAMPLE_ID
    );
}
