//! The wallets file: every address the exchange publishes as its reserves, with its
//! label and ownership proof. CSV (RFC 4180, UTF-8), header
//! `chain,address,label,scheme,signature[,script]`, one row per address. Rows are
//! validated (address for its network, EIP-55 checksum, scheme fits the address,
//! signature well-formed) before any chain is asked anything. The `chain` column names
//! a configured chain (`bitcoin`, `ethereum`, `arbitrum`, …); one address may be listed
//! once per chain (the same EOA on two EVM chains), never twice on one.

use crate::config::{ChainKind, Config};
use crate::excerpt::Excerpt;
use crate::ownership::{Chain, OwnershipProof, Scheme, WalletAddress};
use std::collections::HashMap;
use std::path::Path;

/// The chain names a wallets file may use, with what each is, and the Bitcoin network.
#[derive(Clone, Debug)]
pub struct WalletChains {
    /// The network Bitcoin addresses are checked against.
    pub bitcoin_network: bitcoin::Network,
    /// Chain name → Bitcoin or EVM, in configured order.
    pub names: Vec<(String, Chain)>,
}

impl WalletChains {
    /// The two chains of older configs, `bitcoin` and `ethereum`.
    pub fn legacy(bitcoin_network: bitcoin::Network) -> WalletChains {
        WalletChains {
            bitcoin_network,
            names: vec![
                ("bitcoin".into(), Chain::Bitcoin),
                ("ethereum".into(), Chain::Ethereum),
            ],
        }
    }

    /// The chains of `config`: its `[[chains]]` entries, or `bitcoin` and `ethereum`
    /// for a `[chains]` table (or none), whose sections the reserves step then requires.
    pub fn from_config(config: &Config) -> WalletChains {
        let listed = config
            .chains
            .as_ref()
            .filter(|c| c.list.iter().any(|c| c.listed));
        match listed {
            None => WalletChains::legacy(config.bitcoin_network()),
            Some(c) => WalletChains {
                bitcoin_network: config.bitcoin_network(),
                names: c
                    .list
                    .iter()
                    .map(|c| {
                        let kind = match c.kind {
                            ChainKind::Bitcoin { .. } => Chain::Bitcoin,
                            ChainKind::Evm { .. } => Chain::Ethereum,
                        };
                        (c.name.clone(), kind)
                    })
                    .collect(),
            },
        }
    }

    fn kind(&self, name: &str) -> Option<Chain> {
        self.names.iter().find(|(n, _)| n == name).map(|(_, k)| *k)
    }

    fn expected(&self) -> String {
        let names: Vec<String> = self.names.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        match names.split_last() {
            Some((last, [])) => format!("expected {last}"),
            Some((last, rest)) => format!("expected {} or {last}", rest.join(", ")),
            None => "no chain is configured".into(),
        }
    }
}

/// Why a wallets file was refused; each variant names the file and where in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletsError {
    /// The file could not be read.
    #[error("{file}: {message}")]
    Io {
        /// The wallets file.
        file: String,
        /// The OS error.
        message: String,
    },
    /// A row is malformed CSV or has the wrong number of fields.
    #[error("{file}:{line}: {message}")]
    Row {
        /// The wallets file.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// One field of a row is invalid (address, scheme, signature, …).
    #[error("{file}:{line}:{column} ({name}): {message}")]
    Field {
        /// The wallets file.
        file: String,
        /// 1-based line of the row.
        line: u64,
        /// 1-based column of the field.
        column: usize,
        /// The column's header name, e.g. `signature`.
        name: &'static str,
        /// What is wrong with the value.
        message: String,
    },
}

/// One listed address.
#[derive(Debug, Clone)]
pub struct Wallet {
    /// 1-based line of the row in the wallets file.
    pub line: u64,
    /// The configured name of the address's chain (the `chain` column).
    pub chain: String,
    /// The address, checked against its chain's network and spelling rules.
    pub address: WalletAddress,
    /// The exchange's free-text label for the address.
    pub label: String,
    /// The ownership scheme it is proved with.
    pub scheme: Scheme,
    /// The signature exactly as given (published byte for byte).
    pub signature: String,
    /// The `script` column (hex multisig script), when given.
    pub script: Option<String>,
    /// The parsed proof, checked to be well formed for the scheme (not yet verified).
    pub proof: OwnershipProof,
}

const COLUMNS: [&str; 6] = ["chain", "address", "label", "scheme", "signature", "script"];

/// Reads and validates a wallets file; `chains` are the chain names it may use.
pub fn parse_file(path: &Path, chains: &WalletChains) -> Result<Vec<Wallet>, WalletsError> {
    let (file, bytes) = read(path)?;
    parse(&bytes, &file, chains)
}

fn read(path: &Path) -> Result<(String, Vec<u8>), WalletsError> {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => Ok((file, bytes)),
        Err(e) => Err(WalletsError::Io {
            file,
            message: e.to_string(),
        }),
    }
}

/// Parses and validates the wallets CSV `bytes`; `file` names it in errors and `chains`
/// are the chain names it may use.
/// Errors on a bad header, the first bad row or field, or a file without rows.
pub fn parse(bytes: &[u8], file: &str, chains: &WalletChains) -> Result<Vec<Wallet>, WalletsError> {
    parse_with(bytes, file, chains, true)
}

/// Reads only the addresses (for `por messages`, before anything is signed):
/// signatures are not looked at and every proof is [`OwnershipProof::None`].
pub fn parse_addresses(path: &Path, chains: &WalletChains) -> Result<Vec<Wallet>, WalletsError> {
    let (file, bytes) = read(path)?;
    parse_with(&bytes, &file, chains, false)
}

fn parse_with(
    bytes: &[u8],
    file: &str,
    chains: &WalletChains,
    with_proofs: bool,
) -> Result<Vec<Wallet>, WalletsError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let row_err = |line: u64, message: String| WalletsError::Row {
        file: file.to_string(),
        line,
        message,
    };
    let field_err = |line: u64, column: usize, message: String| WalletsError::Field {
        file: file.to_string(),
        line,
        column: column + 1,
        name: COLUMNS[column],
        message,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = rdr.records();
    let header = match records.next() {
        None => {
            return Err(row_err(
                1,
                "empty file: expected header chain,address,label,scheme,signature[,script]".into(),
            ));
        }
        Some(Err(e)) => return Err(row_err(1, csv_message(&e))),
        Some(Ok(h)) => h,
    };
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    if names != COLUMNS[..5] && names != COLUMNS {
        return Err(row_err(
            1,
            format!(
                "header must be chain,address,label,scheme,signature[,script], found {}",
                Excerpt::bare(names.join(","))
            ),
        ));
    }
    let width = names.len();
    let mut out: Vec<Wallet> = Vec::new();
    // (chain, address) → line of its first row: duplicates found in constant time.
    let mut lines: HashMap<(String, String), u64> = HashMap::new();
    for rec in records {
        let rec =
            rec.map_err(|e| row_err(e.position().map(|p| p.line()).unwrap_or(0), csv_message(&e)))?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() == 1 && rec[0].is_empty() {
            continue;
        }
        if rec.len() != width {
            let message = if rec.iter().any(|f| f.contains('\n') || f.contains('\r')) {
                "unterminated quote: a quoted field runs on past the end of this line".to_string()
            } else {
                format!("row has {} fields, the header has {width}", rec.len())
            };
            return Err(row_err(line, message));
        }
        let chain = chains.kind(&rec[0]).ok_or_else(|| {
            field_err(
                line,
                0,
                format!("{}: {}", Excerpt::quoted(&rec[0]), chains.expected()),
            )
        })?;
        let address = WalletAddress::parse(chain, &rec[1], chains.bitcoin_network)
            .map_err(|e| field_err(line, 1, e.to_string()))?;
        let label = rec[2].to_string();
        if label.trim().is_empty() || label.contains(['\n', '\r']) || label.len() > 64 {
            return Err(field_err(
                line,
                2,
                format!(
                    "{}: a label is 1 to 64 characters on one line",
                    Excerpt::quoted(&label)
                ),
            ));
        }
        let scheme: Scheme = rec[3].parse().map_err(|_| {
            field_err(
                line,
                3,
                format!(
                    "{}: expected bip137, bip322-simple, multisig, eip191, eip1271 or none",
                    Excerpt::quoted(&rec[3])
                ),
            )
        })?;
        let script = if width == 6 && !rec[5].is_empty() {
            Some(rec[5].to_string())
        } else {
            None
        };
        address
            .supports(scheme)
            .map_err(|e| field_err(line, 3, e.to_string()))?;
        let proof = if with_proofs {
            OwnershipProof::parse(scheme, &rec[4], script.as_deref()).map_err(|e| {
                field_err(
                    line,
                    if script.is_some() && scheme == Scheme::Multisig {
                        5
                    } else {
                        4
                    },
                    e.to_string(),
                )
            })?
        } else {
            OwnershipProof::None
        };
        let published = address.to_string();
        if let Some(first) = lines.insert((rec[0].to_string(), published.clone()), line) {
            return Err(field_err(
                line,
                1,
                format!("{published} is listed twice (first on line {first})"),
            ));
        }
        out.push(Wallet {
            line,
            chain: rec[0].to_string(),
            address,
            label,
            scheme,
            signature: rec[4].to_string(),
            script,
            proof,
        });
    }
    if out.is_empty() {
        return Err(row_err(
            1,
            "no addresses: the file has a header but no rows".into(),
        ));
    }
    Ok(out)
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        _ => format!("malformed CSV: {}", Excerpt::message(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "chain,address,label,scheme,signature\n";

    fn error(row: &str) -> String {
        parse(
            format!("{HEADER}{row}\n").as_bytes(),
            "w.csv",
            &WalletChains::legacy(bitcoin::Network::Bitcoin),
        )
        .unwrap_err()
        .to_string()
    }

    /// Each field holding 10 MB: one short line that quotes 80 characters of it.
    #[test]
    fn huge_fields_give_short_messages() {
        let big = "x".repeat(10 << 20);
        let x80 = "x".repeat(80);
        let addr = "1CGepp2jbTsXHg8ucBnAHnPUXw7SAM8zoP";
        for (row, want) in [
            (
                format!("{big},{addr},cold,bip137,sig"),
                format!(
                    "w.csv:2:1 (chain): \"{x80}…\" (10485760 bytes): expected \"bitcoin\" or \"ethereum\""
                ),
            ),
            (
                format!("bitcoin,{big},cold,bip137,sig"),
                format!("w.csv:2:2 (address): {x80}… (10485760 bytes): not a bitcoin address: "),
            ),
            (
                format!("ethereum,{big},cold,eip191,sig"),
                format!(
                    "w.csv:2:2 (address): {x80}… (10485760 bytes): not a ethereum address: expected 0x followed by 40 hex digits"
                ),
            ),
            (
                format!("bitcoin,{addr},{big},bip137,sig"),
                format!(
                    "w.csv:2:3 (label): \"{x80}…\" (10485760 bytes): a label is 1 to 64 characters on one line"
                ),
            ),
            (
                format!("bitcoin,{addr},cold,{big},sig"),
                format!(
                    "w.csv:2:4 (scheme): \"{x80}…\" (10485760 bytes): expected bip137, bip322-simple, multisig, eip191, eip1271 or none"
                ),
            ),
            (
                format!("bitcoin,{addr},cold,bip137,{big}"),
                format!("w.csv:2:5 (signature): bip137 signature `{x80}…` (10485760 bytes): "),
            ),
        ] {
            let e = error(&row);
            assert!(e.starts_with(&want), "{}", &e[..e.len().min(400)]);
            assert!(e.len() < 400 && !e.contains('\n'), "{} bytes", e.len());
        }
        let e = parse(
            format!("{big}\n").as_bytes(),
            "w.csv",
            &WalletChains::legacy(bitcoin::Network::Bitcoin),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            format!(
                "w.csv:1: header must be chain,address,label,scheme,signature[,script], found {x80}… (10485760 bytes)"
            )
        );
    }

    fn chains() -> WalletChains {
        WalletChains {
            bitcoin_network: bitcoin::Network::Bitcoin,
            names: vec![
                ("ethereum".into(), Chain::Ethereum),
                ("arbitrum".into(), Chain::Ethereum),
            ],
        }
    }

    /// 20,000 rows parse (each address once per chain is fine); a duplicate on one
    /// chain deep in the file names both lines; an unconfigured chain lists the others.
    #[test]
    fn thousands_of_rows_and_duplicates_by_line() {
        let mut text = String::from(HEADER);
        for i in 0..10_000u32 {
            for chain in ["ethereum", "arbitrum"] {
                text.push_str(&format!("{chain},0x{i:040x},hot,none,\n"));
            }
        }
        let t = std::time::Instant::now();
        let w = parse(text.as_bytes(), "w.csv", &chains()).unwrap();
        assert_eq!(w.len(), 20_000);
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!((w[1].chain.as_str(), w[1].line), ("arbitrum", 3));
        text.push_str(&format!("arbitrum,0x{:040x},again,none,\n", 7_000));
        let e = parse(text.as_bytes(), "w.csv", &chains())
            .unwrap_err()
            .to_string();
        // (The address is published with its EIP-55 capitals.)
        assert_eq!(
            e.to_lowercase(),
            format!(
                "w.csv:20002:2 (address): 0x{:040x} is listed twice (first on line 14003)",
                7_000
            )
        );
        let e = parse(
            format!("{HEADER}base,0x{:040x},hot,none,\n", 1).as_bytes(),
            "w.csv",
            &chains(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "w.csv:2:1 (chain): \"base\": expected \"ethereum\" or \"arbitrum\""
        );
    }

    #[test]
    fn control_characters_in_quoted_values_are_escaped() {
        let e = error("\"bit\tcoin\",1CGepp2jbTsXHg8ucBnAHnPUXw7SAM8zoP,cold,bip137,sig");
        assert_eq!(
            e,
            "w.csv:2:1 (chain): \"bit\\tcoin\": expected \"bitcoin\" or \"ethereum\""
        );
        let e = error("bitcoin,1CGepp2jbTsXHg8ucBnAHnPUXw7SAM8zoP,\"co\nld\",bip137,sig");
        assert_eq!(
            e,
            "w.csv:2:3 (label): \"co\\nld\": a label is 1 to 64 characters on one line"
        );
    }
}
