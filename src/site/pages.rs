//! The templates (embedded in the binary, so `por render` works from any folder) and
//! the minijinja environment that renders them: strict about undefined variables,
//! HTML auto-escaping for `.html`, and no source of nondeterminism. Every page is
//! rendered once per language ([`super::i18n`]): its words come from `t(key, …)`,
//! its counts through `|num` (digits grouped like the amounts).

use super::SiteSettings;
use super::check::Checked;
use super::i18n::{self, Catalogue, I18nError};
use super::view;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};
use std::sync::Arc;

/// `(name, source)` of every template.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../site/templates/base.html")),
    (
        "index.html",
        include_str!("../../site/templates/index.html"),
    ),
    (
        "history.html",
        include_str!("../../site/templates/history.html"),
    ),
    (
        "addresses.html",
        include_str!("../../site/templates/addresses.html"),
    ),
    (
        "verify.html",
        include_str!("../../site/templates/verify.html"),
    ),
    (
        "methodology.html",
        include_str!("../../site/templates/methodology.html"),
    ),
];

/// The environment every page is rendered with.
pub fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    // minijinja's HTML escaping also turns `/` into `&#x2f;`, which makes every URL
    // and date in the source unreadable; `/` is harmless in text and quoted
    // attributes, so escape only `& < > " '`.
    env.set_formatter(|out, state, value| {
        if state.auto_escape() != AutoEscape::Html || value.is_safe() {
            return minijinja::escape_formatter(out, state, value);
        }
        let text = value.to_string();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            out.write_str(&rest[..i])?;
            out.write_str(match rest.as_bytes()[i] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[i + 1..];
        }
        out.write_str(rest)?;
        Ok(())
    });
    env.add_function("t", i18n::template_t);
    // A count (`1234567`) with its digits grouped as amounts are (`view::grouped`).
    env.add_filter("num", |v: Value| {
        Value::from_safe_string(view::grouped(&v.to_string()))
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// The site title: the configured one, else `<exchange> proof of reserves` in the
/// catalogue's language.
pub fn site_title(settings: &SiteSettings, catalogue: &Catalogue) -> Result<String, I18nError> {
    match &settings.title {
        Some(title) => Ok(title.clone()),
        None => catalogue.text("base.default_title", &[("exchange", &settings.exchange)]),
    }
}

/// One entry of the language switch: the same page in `lang`.
#[derive(serde::Serialize)]
struct LangLink {
    lang: String,
    name: String,
    href: String,
}

/// The reserves updates side of a render (when [`SiteSettings::updates`] is set):
/// the checked updates and the events of the feed.
pub struct Live<'a> {
    /// The settings they were checked and judged with.
    pub settings: &'a super::UpdatesSettings,
    /// Every checked update and the failure record.
    pub updates: super::updates::Updates,
    /// Every event, oldest first ([`super::alerts::events`]).
    pub events: Vec<super::alerts::Event>,
}

/// Why a page could not be rendered: `(page, message)`.
pub type PageError = (String, minijinja::Error);

fn i18n_error(page: &str, e: I18nError) -> PageError {
    (
        page.to_string(),
        minijinja::Error::new(minijinja::ErrorKind::UndefinedError, e.to_string()),
    )
}

/// Renders every page in every language: `(path, html)`, the default language's
/// pages at the root and each other language's under its folder (`zh-CN/index.html`).
pub fn render_pages(
    env: &Environment<'_>,
    settings: &SiteSettings,
    snapshots: &[Checked],
    log: Option<&super::log::LogView>,
    live: Option<&Live<'_>>,
) -> Result<Vec<(String, String)>, PageError> {
    let catalogues = i18n::catalogues().map_err(|e| i18n_error("(catalogues)", e))?;
    let mut out = Vec::new();
    for c in &catalogues {
        for (name, html) in render_language(env, settings, snapshots, log, live, c, &catalogues)? {
            out.push((format!("{}{name}", c.dir), html));
        }
    }
    Ok(out)
}

/// Every page in one language.
fn render_language(
    env: &Environment<'_>,
    settings: &SiteSettings,
    snapshots: &[Checked],
    log: Option<&super::log::LogView>,
    live: Option<&Live<'_>>,
    c: &Arc<Catalogue>,
    all: &[Arc<Catalogue>],
) -> Result<Vec<(&'static str, String)>, PageError> {
    let newest = snapshots.last().expect("at least one snapshot");
    let latest_id = newest.manifest.snapshot_id.to_string();
    let title = site_title(settings, c).map_err(|e| i18n_error("(site title)", e))?;
    // From this language's folder back to the site root, where the data files are.
    let root = if c.dir.is_empty() { "" } else { "../" };
    let common = |page: &str, file: &str| {
        let langs: Vec<LangLink> = all
            .iter()
            .map(|l| {
                Ok(LangLink {
                    lang: l.lang.clone(),
                    name: l.raw("lang.name")?.to_string(),
                    href: format!("{root}{}{file}", l.dir),
                })
            })
            .collect::<Result<_, I18nError>>()
            .map_err(|e| i18n_error(file, e))?;
        Ok::<Value, PageError>(context! {
            root => root,
            lang => c.lang.clone(),
            langs => Value::from_serialize(&langs),
            i18n => Value::from_dyn_object(c.clone()),
            browser_messages => c.browser_json(),
            page => page,
            site_title => title.clone(),
            exchange => settings.exchange.clone(),
            latest_id => latest_id.clone(),
            latest_as_of => newest.manifest.as_of.clone(),
            log => Value::from_serialize(log),
            feed => live.map(|_| "feed.xml"),
        })
    };
    let overview = view::overview(snapshots, &settings.explorers);
    let history = view::history(snapshots, c).map_err(|e| i18n_error("history.html", e))?;
    let latest = live.and_then(|l| super::now::latest(snapshots, &l.updates));
    let addresses = view::addresses(snapshots, &settings.explorers, latest);
    let now = live
        .map(|l| {
            super::now::reserves_now(
                snapshots,
                &l.updates,
                &l.events,
                l.settings,
                &settings.explorers,
                c,
            )
        })
        .transpose()
        .map_err(|e| i18n_error("index.html", e))?;
    let pages: Vec<(&'static str, Value)> = vec![
        (
            "index.html",
            context! {
                o => Value::from_serialize(&overview),
                now => Value::from_serialize(&now),
                ..common("overview", "index.html")?
            },
        ),
        (
            "history.html",
            context! { h => Value::from_serialize(&history), ..common("history", "history.html")? },
        ),
        (
            "addresses.html",
            context! { a => Value::from_serialize(&addresses), ..common("addresses", "addresses.html")? },
        ),
        (
            "verify.html",
            context! {
                snapshots => Value::from_serialize(view::snapshot_refs(snapshots)),
                verifier_version => env!("CARGO_PKG_VERSION"),
                ..common("verify", "verify.html")?
            },
        ),
        (
            "methodology.html",
            context! {
                o => Value::from_serialize(&overview),
                schemas => super::SCHEMAS
                    .iter()
                    .chain(live.map_or(&[][..], |_| super::UPDATE_SCHEMAS))
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>(),
                ..common("methodology", "methodology.html")?
            },
        ),
    ];
    pages
        .into_iter()
        .map(|(name, ctx)| {
            let html = env
                .get_template(name)
                .and_then(|t| t.render(ctx))
                .map_err(|e| (name.to_string(), e))?;
            Ok((name, html))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::ErrorKind;

    #[test]
    fn undefined_variables_are_errors() {
        let mut env = environment().unwrap();
        env.add_template("probe.html", "<p>{{ missing }}</p>")
            .unwrap();
        let e = env
            .get_template("probe.html")
            .unwrap()
            .render(context! {})
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UndefinedError, "{e}");
        // Attribute access on something undefined, and a test on it, fail too.
        for src in ["{{ o.nope }}", "{% if nope %}x{% endif %}", "{{ o.a.b }}"] {
            env.add_template_owned("probe2.html", src.to_string())
                .unwrap();
            let r = env
                .get_template("probe2.html")
                .unwrap()
                .render(context! { o => context! { a => 1 } });
            assert!(r.is_err(), "{src} rendered {r:?}");
        }
        // The real base template refuses a context without its variables.
        let e = env
            .get_template("verify.html")
            .unwrap()
            .render(context! { root => "" })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UndefinedError, "{e}");
    }

    #[test]
    fn a_key_no_catalogue_has_fails_the_render_and_is_named() {
        let mut env = environment().unwrap();
        env.add_template("k.html", r#"{{ t("index.nope") }}"#)
            .unwrap();
        env.add_template("a.html", r#"{{ t("index.chain_id") }}"#)
            .unwrap();
        env.add_template(
            "h.html",
            r#"{{ t("index.root_html", root="<b>", height=3) }}"#,
        )
        .unwrap();
        let en = i18n::catalogues().unwrap().remove(0);
        let ctx = || context! { i18n => Value::from_dyn_object(en.clone()) };
        let e = env
            .get_template("k.html")
            .unwrap()
            .render(ctx())
            .unwrap_err();
        assert!(e.to_string().contains(r#"no key "index.nope""#), "{e}");
        // A placeholder without its argument is an error too.
        let e = env
            .get_template("a.html")
            .unwrap()
            .render(ctx())
            .unwrap_err();
        assert!(e.to_string().contains("needs {id}"), "{e}");
        // An _html message keeps its markup and escapes its arguments.
        let out = env.get_template("h.html").unwrap().render(ctx()).unwrap();
        assert_eq!(
            out,
            r#"<code class="mono hash">&lt;b&gt;</code> (tree height 3)"#
        );
    }

    #[test]
    fn html_is_escaped() {
        let env = environment().unwrap();
        let out = env.render_str("{{ x }}", context! { x => "<b>" }).unwrap();
        // render_str has no .html name: no escaping; pages are named .html.
        assert_eq!(out, "<b>");
        let mut env = env;
        env.add_template("e.html", "{{ x }}").unwrap();
        let out = env
            .get_template("e.html")
            .unwrap()
            .render(context! { x => "<b>\"&'/" })
            .unwrap();
        assert_eq!(out, "&lt;b&gt;&quot;&amp;&#39;/");
    }
}
