//! Turns the configured endpoints into live backends (one per endpoint), with the
//! run's timeout and retry policy. A recorded fixture is labelled as such in logs.

use super::Backends;
use crate::chains::RetryPolicy;
use crate::chains::bitcoind::{BitcoindConfig, BitcoindRpc};
use crate::chains::esplora::{Esplora, EsploraConfig};
use crate::chains::ethereum::{EthereumEndpointConfig, JsonRpcEthereum};
use crate::chains::fixture::FixtureChain;
use crate::chains::{BitcoinBackend, EthereumBackend};
use crate::config::{ChainKind, ChainsConfig, Endpoint};

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
    for c in &chains.list {
        match &c.kind {
            ChainKind::Bitcoin { network, .. } => {
                for e in &c.endpoints {
                    out.bitcoin
                        .push(bitcoin_backend(e, *network, timeout, retry)?);
                }
            }
            ChainKind::Evm { .. } => {
                let mut list: Vec<Box<dyn EthereumBackend>> = Vec::new();
                for e in &c.endpoints {
                    list.push(match e {
                        Endpoint::JsonRpc { url } => Box::new(
                            JsonRpcEthereum::new(EthereumEndpointConfig {
                                url: url.clone(),
                                timeout,
                                retry,
                            })
                            .map_err(|x| err(c.name.clone(), x))?,
                        ),
                        Endpoint::Fixture { path } => {
                            let f = FixtureChain::load(path).map_err(|x| err("fixture", x))?;
                            tracing::warn!(chain = %c.name, file = %path.display(), "EVM reads come from a RECORDED FIXTURE, not a live chain");
                            Box::new(f)
                        }
                        _ => unreachable!("config allows jsonrpc and fixture only for EVM chains"),
                    });
                }
                out.evm.insert(c.name.clone(), list);
            }
        }
    }
    Ok(out)
}

fn bitcoin_backend(
    e: &Endpoint,
    network: bitcoin::Network,
    timeout: std::time::Duration,
    retry: RetryPolicy,
) -> Result<Box<dyn BitcoinBackend>, ConnectError> {
    Ok(match e {
        Endpoint::Esplora { url } => Box::new(
            Esplora::new(EsploraConfig {
                url: url.clone(),
                timeout,
                retry,
            })
            .map_err(|x| err("esplora", x))?,
        ),
        Endpoint::Bitcoind { url, auth } => Box::new(
            BitcoindRpc::new(BitcoindConfig {
                url: url.clone(),
                auth: auth.clone(),
                timeout,
                retry,
            })
            .map_err(|x| err("bitcoind", x))?,
        ),
        Endpoint::Fixture { path } => {
            let f = FixtureChain::load(path).map_err(|x| err("fixture", x))?;
            if let Some(net) = f.bitcoin_network()
                && net != network
            {
                return Err(err(
                    format!("fixture:{}", path.display()),
                    format!("fixture network is {net}, the config says {network}"),
                ));
            }
            tracing::warn!(file = %path.display(), "bitcoin reads come from a RECORDED FIXTURE, not a live chain");
            Box::new(f)
        }
        Endpoint::JsonRpc { .. } => unreachable!("config allows jsonrpc only for EVM chains"),
    })
}
