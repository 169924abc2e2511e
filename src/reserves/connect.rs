//! Turns the configured endpoints into live backends (one per endpoint), with the
//! run's timeout and retry policy. A recorded fixture is labelled as such in logs.

use super::Backends;
use crate::chains::RetryPolicy;
use crate::chains::bitcoind::{BitcoindConfig, BitcoindRpc};
use crate::chains::esplora::{Esplora, EsploraConfig};
use crate::chains::ethereum::{EthereumEndpointConfig, JsonRpcEthereum};
use crate::chains::fixture::FixtureChain;
use crate::config::{ChainsConfig, Endpoint};

/// A configured endpoint could not be turned into a backend (bad URL, client setup, unreadable
/// fixture).
#[derive(Debug, thiserror::Error)]
#[error("{endpoint}: {message}")]
pub struct ConnectError {
    /// The endpoint as configured, without credentials.
    pub endpoint: String,
    /// Why it could not be set up.
    pub message: String,
}

fn err(endpoint: impl Into<String>, e: impl std::fmt::Display) -> ConnectError {
    ConnectError {
        endpoint: endpoint.into(),
        message: e.to_string(),
    }
}

/// Opens every configured endpoint. Nothing is read from a chain yet.
pub fn connect(chains: &ChainsConfig) -> Result<Backends, ConnectError> {
    let retry = RetryPolicy {
        attempts: chains.attempts,
        ..RetryPolicy::default()
    };
    let timeout = chains.timeout;
    let mut out = Backends::default();
    if let Some(b) = &chains.bitcoin {
        for e in &b.endpoints {
            match e {
                Endpoint::Esplora { url } => out.bitcoin.push(Box::new(
                    Esplora::new(EsploraConfig {
                        url: url.clone(),
                        timeout,
                        retry,
                    })
                    .map_err(|x| err("esplora", x))?,
                )),
                Endpoint::Bitcoind { url, auth } => out.bitcoin.push(Box::new(
                    BitcoindRpc::new(BitcoindConfig {
                        url: url.clone(),
                        auth: auth.clone(),
                        timeout,
                        retry,
                    })
                    .map_err(|x| err("bitcoind", x))?,
                )),
                Endpoint::Fixture { path } => {
                    let f = FixtureChain::load(path).map_err(|x| err("fixture", x))?;
                    if let Some(net) = f.bitcoin_network()
                        && net != b.network
                    {
                        return Err(err(
                            format!("fixture:{}", path.display()),
                            format!("fixture network is {net}, the config says {}", b.network),
                        ));
                    }
                    tracing::warn!(file = %path.display(), "bitcoin reads come from a RECORDED FIXTURE, not a live chain");
                    out.bitcoin.push(Box::new(f));
                }
                Endpoint::JsonRpc { .. } => unreachable!("config allows jsonrpc only for ethereum"),
            }
        }
    }
    if let Some(c) = &chains.ethereum {
        for e in &c.endpoints {
            match e {
                Endpoint::JsonRpc { url } => out.ethereum.push(Box::new(
                    JsonRpcEthereum::new(EthereumEndpointConfig {
                        url: url.clone(),
                        timeout,
                        retry,
                    })
                    .map_err(|x| err("ethereum", x))?,
                )),
                Endpoint::Fixture { path } => {
                    let f = FixtureChain::load(path).map_err(|x| err("fixture", x))?;
                    tracing::warn!(file = %path.display(), "ethereum reads come from a RECORDED FIXTURE, not a live chain");
                    out.ethereum.push(Box::new(f));
                }
                _ => unreachable!("config allows jsonrpc and fixture only for ethereum"),
            }
        }
    }
    Ok(out)
}
