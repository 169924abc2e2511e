//! The templates (embedded in the binary, so `por render` works from any folder) and
//! the minijinja environment that renders them: strict about undefined variables,
//! HTML auto-escaping for `.html`, and no source of nondeterminism.

use super::check::Checked;
use super::view;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};

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
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Renders every page: `(file name, html)`, in a fixed order.
pub fn render_pages(
    env: &Environment<'_>,
    settings: &super::SiteSettings,
    snapshots: &[Checked],
    log: Option<&super::log::LogView>,
) -> Result<Vec<(&'static str, String)>, (String, minijinja::Error)> {
    let newest = snapshots.last().expect("at least one snapshot");
    let latest_id = newest.manifest.snapshot_id.to_string();
    let common = |page: &str| {
        context! {
            root => "",
            page => page,
            site_title => settings.title.clone(),
            exchange => settings.exchange.clone(),
            latest_id => latest_id.clone(),
            latest_as_of => newest.manifest.as_of.clone(),
            log => Value::from_serialize(log),
        }
    };
    let overview = view::overview(snapshots, &settings.explorers);
    let history = view::history(snapshots);
    let addresses = view::addresses(snapshots, &settings.explorers);
    let pages: Vec<(&'static str, Value)> = vec![
        (
            "index.html",
            context! { o => Value::from_serialize(&overview), ..common("overview") },
        ),
        (
            "history.html",
            context! { h => Value::from_serialize(&history), ..common("history") },
        ),
        (
            "addresses.html",
            context! { a => Value::from_serialize(&addresses), ..common("addresses") },
        ),
        (
            "verify.html",
            context! {
                snapshots => Value::from_serialize(view::snapshot_refs(snapshots)),
                verifier_version => env!("CARGO_PKG_VERSION"),
                ..common("verify")
            },
        ),
        (
            "methodology.html",
            context! {
                o => Value::from_serialize(&overview),
                schemas => super::SCHEMAS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                ..common("methodology")
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
