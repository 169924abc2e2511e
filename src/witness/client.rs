//! The publisher's side of c2sp.org/tlog-witness: `POST <url>/add-checkpoint` to every
//! configured witness at once (each with the configured timeout), starting from the
//! size of the log's previous checkpoint. A `409` answer names the size the witness
//! has; when that is a size of this log, the request is made once more from there.
//! A cosignature is kept only if it verifies against the witness's pinned key over
//! this exact checkpoint; everything else is a failure with its reason, in one line.

use crate::log::checkpoint::verify_checkpoint;
use crate::log::witness::{AddCheckpoint, SIZE_CONTENT_TYPE};
use crate::log::{LogTree, VerifierKey};
use std::time::Duration;

/// A configured witness.
#[derive(Clone, Debug)]
pub struct Target {
    /// Its label in the config (and in messages).
    pub name: String,
    /// Its pinned cosignature key.
    pub key: VerifierKey,
    /// Its submission prefix; requests go to `<url>/add-checkpoint`.
    pub url: String,
}

/// What one witness did with the checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    /// It cosigned: the verified signature line (with its `\n`).
    Cosigned(String),
    /// It did not; why, in one line.
    Failed(String),
}

/// What the log asks witnesses to cosign.
pub struct Request<'a> {
    /// The signed checkpoint note (the log's signature only).
    pub note: &'a str,
    /// The log's tree, at least as large as the checkpoint.
    pub tree: &'a LogTree,
    /// The checkpoint's size.
    pub size: u64,
    /// The size to prove consistency from first (the previous checkpoint's, or 0).
    pub old: u64,
    /// The log's key, to check that a returned line cosigns this checkpoint.
    pub log_key: &'a VerifierKey,
    /// The log's origin.
    pub origin: &'a str,
}

/// Submits `req` to every target concurrently (a thread, client and runtime each);
/// one [`Submission`] per target, in order.
pub fn submit_all(targets: &[Target], req: &Request<'_>, timeout: Duration) -> Vec<Submission> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|t| scope.spawn(move || submit_blocking(t, req, timeout)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Submission::Failed("internal error while submitting".into())
                })
            })
            .collect()
    })
}

fn submit_blocking(t: &Target, req: &Request<'_>, timeout: Duration) -> Submission {
    let client = match crate::chains::http::client(timeout) {
        Ok(c) => c,
        Err(e) => return Submission::Failed(e),
    };
    let rt = match crate::chains::http::runtime() {
        Ok(rt) => rt,
        Err(e) => return Submission::Failed(e.to_string()),
    };
    let body = |old: u64| -> Option<Vec<u8>> {
        let proof = req.tree.consistency(old, req.size).ok()?;
        Some(
            AddCheckpoint {
                old,
                proof,
                checkpoint: req.note.as_bytes().to_vec(),
            }
            .to_bytes(),
        )
    };
    rt.block_on(submit_one(&client, t, req, &body))
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: Vec<u8>,
) -> Result<(u16, String, String), String> {
    let resp = client
        .post(format!("{}/add-checkpoint", url.trim_end_matches('/')))
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(body)
        .send()
        .await
        .map_err(|e| {
            format!(
                "unreachable: {}",
                crate::chains::http::error_chain(&e.without_url())
            )
        })?;
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = resp
        .text()
        .await
        .map_err(|e| format!("answered {status} with an unreadable body: {e}"))?;
    Ok((status, ctype, text))
}

fn first_line(text: &str) -> String {
    crate::excerpt::Excerpt::message(text.lines().next().unwrap_or("").trim()).to_string()
}

async fn submit_one(
    client: &reqwest::Client,
    t: &Target,
    req: &Request<'_>,
    body: &impl Fn(u64) -> Option<Vec<u8>>,
) -> Submission {
    let Some(first) = body(req.old) else {
        return Submission::Failed(format!("no consistency proof from size {}", req.old));
    };
    let mut attempt = post(client, &t.url, first).await;
    if let Ok((409, ctype, text)) = &attempt {
        let theirs = text.trim_end_matches('\n').parse::<u64>().ok();
        match theirs {
            Some(n) if ctype.starts_with(SIZE_CONTENT_TYPE) && n <= req.size && n != req.old => {
                tracing::info!(witness = %t.name, size = n, "the witness is at another size; proving from there");
                match body(n) {
                    Some(b) => attempt = post(client, &t.url, b).await,
                    None => {
                        return Submission::Failed(format!(
                            "it has size {n}, which this log cannot prove from"
                        ));
                    }
                }
            }
            Some(n) if n > req.size => {
                return Submission::Failed(format!(
                    "it has cosigned size {n} of this log, larger than this checkpoint's {}: it saw another history",
                    req.size
                ));
            }
            _ => {}
        }
    }
    match attempt {
        Err(e) => Submission::Failed(e),
        Ok((200, _, text)) => {
            let lines: Vec<String> = text
                .split_inclusive('\n')
                .filter(|l| l.starts_with('—'))
                .map(str::to_string)
                .collect();
            let full = crate::log::checkpoint::with_signatures(req.note, &lines);
            match verify_checkpoint(
                full.as_bytes(),
                req.log_key,
                req.origin,
                std::slice::from_ref(&t.key),
            ) {
                Ok(v) => match v.cosignatures.into_iter().next() {
                    Some(c) => Submission::Cosigned(c.line),
                    None => Submission::Failed(format!(
                        "it answered 200 without a valid cosignature by its key {}",
                        t.key
                    )),
                },
                Err(e) => Submission::Failed(format!("its answer does not check: {e}")),
            }
        }
        Ok((409, _, text)) => Submission::Failed(format!(
            "answered 409 Conflict: it has cosigned size {} of this log, which this checkpoint does not extend",
            first_line(&text)
        )),
        Ok((422, _, text)) => Submission::Failed(format!(
            "answered 422: the consistency proof does not verify against what it saw ({})",
            first_line(&text)
        )),
        Ok((403, _, text)) => Submission::Failed(format!(
            "answered 403: the log signature does not verify with the key it has for this origin ({})",
            first_line(&text)
        )),
        Ok((404, _, text)) => Submission::Failed(format!(
            "answered 404: it does not follow this log's origin ({})",
            first_line(&text)
        )),
        Ok((status, _, text)) => {
            Submission::Failed(format!("answered {status}: {}", first_line(&text)))
        }
    }
}
