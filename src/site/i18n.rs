//! The site's languages: one message catalogue per language (`site/i18n/<lang>.json`,
//! embedded in the binary), used by the page templates, the charts and, through a
//! JSON data block on the pages that run scripts, the browser verifier. English is
//! the reference: every catalogue must have exactly its keys, each message with the
//! same `{placeholders}`, or nothing is rendered.
//!
//! A message is plain text, or HTML when its key ends in `_html` (trusted markup of
//! ours; the arguments put into it are still escaped). Keys starting with `js.` are
//! the browser's; `lang.name` is the language's own name, shown by the language switch.

use minijinja::value::{Kwargs, Object, Value};
use minijinja::{Error, ErrorKind, State};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `(language tag, catalogue JSON)` of every language; the first is the default,
/// published at the site's root, the others under `<tag>/`.
pub const CATALOGUES: &[(&str, &str)] = &[
    ("en", include_str!("../../site/i18n/en.json")),
    ("zh-CN", include_str!("../../site/i18n/zh-CN.json")),
];

/// A catalogue that cannot be used; nothing is rendered then.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    /// The catalogue is not a JSON object of strings.
    #[error("site/i18n/{lang}.json: {message}")]
    Parse {
        /// The language tag.
        lang: String,
        /// serde_json's message, with line and column.
        message: String,
    },
    /// A key of the reference catalogue is missing from another one.
    #[error("site/i18n/{lang}.json: missing key {key:?} (it is in en.json)")]
    Missing {
        /// The language tag.
        lang: String,
        /// The key.
        key: String,
    },
    /// A catalogue has a key the reference catalogue does not.
    #[error("site/i18n/{lang}.json: extra key {key:?} (not in en.json)")]
    Extra {
        /// The language tag.
        lang: String,
        /// The key.
        key: String,
    },
    /// A message's placeholders differ from the reference message's.
    #[error(
        "site/i18n/{lang}.json: key {key:?} has placeholders {found:?}, en.json has {expected:?}"
    )]
    Placeholders {
        /// The language tag.
        lang: String,
        /// The key.
        key: String,
        /// The placeholders in this catalogue's message.
        found: Vec<String>,
        /// The placeholders in the reference message.
        expected: Vec<String>,
    },
    /// Code asked for a key no catalogue has.
    #[error("site/i18n/{lang}.json: no key {key:?}")]
    Unknown {
        /// The language tag.
        lang: String,
        /// The key.
        key: String,
    },
    /// A message names a placeholder its caller did not give.
    #[error("site/i18n/{lang}.json: key {key:?} needs {{{name}}}")]
    Argument {
        /// The language tag.
        lang: String,
        /// The key.
        key: String,
        /// The placeholder.
        name: String,
    },
}

/// One language's messages.
#[derive(Debug)]
pub struct Catalogue {
    /// The language tag (`en`, `zh-CN`), as in `<html lang>`.
    pub lang: String,
    /// Where its pages are, relative to the site root: `""` or `"zh-CN/"`.
    pub dir: String,
    messages: BTreeMap<String, String>,
}

/// The `{name}` placeholders of a message, sorted.
fn placeholders(message: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = message;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if let Some(j) = rest.find('}') {
            let name = &rest[..j];
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                out.push(name.to_string());
            }
            rest = &rest[j + 1..];
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Catalogue {
    /// Parses one catalogue: a JSON object of strings.
    pub fn parse(lang: &str, dir: &str, json: &str) -> Result<Catalogue, I18nError> {
        let messages: BTreeMap<String, String> =
            serde_json::from_str(json).map_err(|e| I18nError::Parse {
                lang: lang.into(),
                message: e.to_string(),
            })?;
        Ok(Catalogue {
            lang: lang.into(),
            dir: dir.into(),
            messages,
        })
    }

    /// Every key, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    /// The message under `key`, its placeholders unfilled.
    pub fn raw(&self, key: &str) -> Result<&str, I18nError> {
        self.messages
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| I18nError::Unknown {
                lang: self.lang.clone(),
                key: key.into(),
            })
    }

    /// The message under `key` with each `{name}` replaced by its argument (as given:
    /// escaping is the caller's). A placeholder without an argument is an error.
    pub fn text(&self, key: &str, args: &[(&str, &str)]) -> Result<String, I18nError> {
        let message = self.raw(key)?;
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            match after.find('}') {
                Some(j) if placeholders(&rest[i..i + j + 2]).len() == 1 => {
                    let name = &after[..j];
                    let value = args.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                        I18nError::Argument {
                            lang: self.lang.clone(),
                            key: key.into(),
                            name: name.into(),
                        }
                    })?;
                    out.push_str(value.1);
                    rest = &after[j + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The browser's messages (`js.*`) as JSON for a `<script type="application/json">`
    /// block: `<` is written `\u003c`, so no message can end the block or open a comment.
    pub fn browser_json(&self) -> String {
        let js: BTreeMap<&str, &str> = self
            .messages
            .iter()
            .filter(|(k, _)| k.starts_with("js."))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        serde_json::to_string(&js)
            .expect("a map of strings serializes")
            .replace('<', "\\u003c")
    }
}

/// Every language's catalogue, checked against the first (English): same keys, same
/// placeholders per message.
pub fn catalogues() -> Result<Vec<Arc<Catalogue>>, I18nError> {
    let all = CATALOGUES
        .iter()
        .enumerate()
        .map(|(i, (lang, json))| {
            let dir = if i == 0 {
                String::new()
            } else {
                format!("{lang}/")
            };
            Catalogue::parse(lang, &dir, json)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (reference, others) = all.split_first().expect("at least one language");
    for c in others {
        check_against(reference, c)?;
    }
    Ok(all.into_iter().map(Arc::new).collect())
}

/// `c` has exactly `reference`'s keys, each message with the same placeholders.
pub fn check_against(reference: &Catalogue, c: &Catalogue) -> Result<(), I18nError> {
    for key in reference.messages.keys() {
        if !c.messages.contains_key(key) {
            return Err(I18nError::Missing {
                lang: c.lang.clone(),
                key: key.clone(),
            });
        }
    }
    for (key, message) in &c.messages {
        let Some(expected) = reference.messages.get(key) else {
            return Err(I18nError::Extra {
                lang: c.lang.clone(),
                key: key.clone(),
            });
        };
        let (found, expected) = (placeholders(message), placeholders(expected));
        if found != expected {
            return Err(I18nError::Placeholders {
                lang: c.lang.clone(),
                key: key.clone(),
                found,
                expected,
            });
        }
    }
    Ok(())
}

impl Object for Catalogue {}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The templates' `t(key, name=value, …)`: the message of the page's language (the
/// context's `i18n`). A plain message is returned as text (escaped when the page is
/// written); an `_html` one as markup, with its arguments escaped unless already safe
/// (a `|num` figure, another `_html` message).
pub fn template_t(state: &State, key: &str, kwargs: Kwargs) -> Result<Value, Error> {
    let catalogue = state
        .lookup("i18n")
        .ok_or_else(|| Error::new(ErrorKind::UndefinedError, "no i18n in the context"))?;
    let catalogue = catalogue
        .downcast_object_ref::<Catalogue>()
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "i18n is not a catalogue"))?;
    let html = key.ends_with("_html");
    let mut args: Vec<(String, String)> = Vec::new();
    for name in kwargs.args() {
        let v: Value = kwargs.get(name)?;
        let text = if !html || v.is_safe() {
            v.to_string()
        } else {
            escape_html(&v.to_string())
        };
        args.push((name.to_string(), text));
    }
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let out = catalogue
        .text(key, &borrowed)
        .map_err(|e| Error::new(ErrorKind::UndefinedError, e.to_string()))?;
    Ok(if html {
        Value::from_safe_string(out)
    } else {
        Value::from(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_exactly_the_reference_keys_and_placeholders() {
        let all = catalogues().unwrap();
        assert!(all.len() >= 2);
        assert_eq!(all[1].lang, "zh-CN");
        assert_eq!(all[1].dir, "zh-CN/");
        for c in &all {
            assert!(c.raw("lang.name").is_ok());
        }
    }

    #[test]
    fn a_missing_extra_or_changed_key_is_named() {
        let en = Catalogue::parse("en", "", r#"{"a": "x {n}", "b": "y"}"#).unwrap();
        let missing = Catalogue::parse("xx", "xx/", r#"{"a": "x {n}"}"#).unwrap();
        let e = check_against(&en, &missing).unwrap_err().to_string();
        assert_eq!(
            e,
            r#"site/i18n/xx.json: missing key "b" (it is in en.json)"#
        );
        let extra = Catalogue::parse("xx", "xx/", r#"{"a": "{n}", "b": "", "c": ""}"#).unwrap();
        let e = check_against(&en, &extra).unwrap_err().to_string();
        assert_eq!(e, r#"site/i18n/xx.json: extra key "c" (not in en.json)"#);
        let renamed = Catalogue::parse("xx", "xx/", r#"{"a": "{m}", "b": ""}"#).unwrap();
        let e = check_against(&en, &renamed).unwrap_err().to_string();
        assert!(
            e.contains(r#"key "a" has placeholders ["m"], en.json has ["n"]"#),
            "{e}"
        );
        let bad = Catalogue::parse("xx", "xx/", r#"{"a": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(bad.starts_with("site/i18n/xx.json: invalid type"), "{bad}");
    }

    #[test]
    fn placeholders_are_filled_and_required() {
        let c = Catalogue::parse("en", "", r#"{"a": "{n} of {m} {x y} {}"}"#).unwrap();
        assert_eq!(
            c.text("a", &[("n", "1"), ("m", "2")]).unwrap(),
            "1 of 2 {x y} {}"
        );
        let e = c.text("a", &[("n", "1")]).unwrap_err().to_string();
        assert_eq!(e, r#"site/i18n/en.json: key "a" needs {m}"#);
        assert!(c.text("nope", &[]).is_err());
    }

    #[test]
    fn the_browser_block_cannot_end_its_script_element() {
        let c = Catalogue::parse("en", "", r#"{"js.a": "</script><!--", "page": "x"}"#).unwrap();
        assert_eq!(c.browser_json(), r#"{"js.a":"\u003c/script>\u003c!--"}"#);
    }
}
