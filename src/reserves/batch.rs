//! How the reserves step splits its reads: listed addresses in chunks (a Bitcoin
//! address alone, EVM addresses of one chain together, up to `[reads] batch` JSON-RPC
//! calls a chunk), each chunk's EVM reads asked of every endpoint in batch requests
//! and required to agree value by value, and the caller's [`crate::progress::Progress`] told of the addresses done.

use crate::chains::{BlockRef, ChainError, EthereumBackend, EvmAnswer, EvmQuery};

/// The listed addresses split into chunks, as indices into `wallets`, ordered by
/// their first address. `calls(w)` is `None` for an address read alone (Bitcoin) and
/// `Some(k)` for one read with `k` JSON-RPC calls: the addresses of one EVM chain go
/// together, up to `batch` calls a chunk (at least one address).
pub(super) fn chunks<W>(
    wallets: &[W],
    chain: impl Fn(&W) -> &str,
    calls: impl Fn(&W) -> Option<usize>,
    batch: usize,
) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    // Per chain: the open chunk and its calls so far.
    let mut open: std::collections::HashMap<&str, (usize, usize)> = Default::default();
    for (i, w) in wallets.iter().enumerate() {
        let Some(k) = calls(w) else {
            out.push(vec![i]);
            continue;
        };
        let name = chain(w);
        match open.get_mut(name) {
            Some((at, n)) if *n + k <= batch => {
                out[*at].push(i);
                *n += k;
            }
            _ => {
                open.insert(name, (out.len(), k));
                out.push(vec![i]);
            }
        }
    }
    out
}

/// Asks every endpoint of an EVM chain for `queries` at `block`, in batch requests of
/// at most `batch` calls, and requires every answer to agree; `what(i)` names query
/// `i` in a disagreement.
pub(super) fn ask_all_batched(
    backends: &[Box<dyn EthereumBackend>],
    queries: &[EvmQuery],
    block: &BlockRef,
    batch: usize,
    what: impl Fn(&EvmQuery) -> String,
) -> Result<Vec<EvmAnswer>, ChainError> {
    let mut out = Vec::with_capacity(queries.len());
    for piece in queries.chunks(batch.max(1)) {
        let mut first: Option<(&str, Vec<EvmAnswer>)> = None;
        for b in backends {
            let got = b.read_batch(piece, block)?;
            if got.len() != piece.len() {
                return Err(ChainError::Malformed {
                    endpoint: b.endpoint().to_string(),
                    what: format!("a batch of {} reads", piece.len()),
                    message: format!("{} answers", got.len()),
                });
            }
            match &first {
                None => first = Some((b.endpoint(), got)),
                Some((first_endpoint, answers)) => {
                    for ((q, a), o) in piece.iter().zip(answers).zip(&got) {
                        if a != o {
                            return Err(ChainError::Disagree {
                                what: what(q),
                                first_endpoint: first_endpoint.to_string(),
                                first: a.to_string(),
                                other_endpoint: b.endpoint().to_string(),
                                other: o.to_string(),
                            });
                        }
                    }
                }
            }
        }
        let (_, answers) = first.ok_or_else(|| ChainError::Unsupported {
            endpoint: "(none)".into(),
            message: "no endpoint configured".into(),
        })?;
        out.extend(answers);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::chunks;

    /// EVM addresses of one chain share chunks up to the call budget; Bitcoin ones go
    /// alone; interleaved chains keep a chunk open each.
    #[test]
    fn chunks_group_one_chain_up_to_the_batch() {
        // (chain, calls)
        let w = [
            ("eth", Some(4)),
            ("btc", None),
            ("arb", Some(4)),
            ("eth", Some(4)),
            ("eth", Some(4)),
            ("arb", Some(4)),
            ("btc", None),
        ];
        let c = chunks(&w, |w| w.0, |w| w.1, 8);
        assert_eq!(c, vec![vec![0, 3], vec![1], vec![2, 5], vec![4], vec![6]]);
        // A budget smaller than one address's calls still takes one address a chunk.
        let c = chunks(&w, |w| w.0, |w| w.1, 1);
        assert_eq!(c.len(), w.len());
    }
}
