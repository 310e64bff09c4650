//! Translations: every text of the portal is a Fluent message in
//! `i18n/<language>/*.ftl`. The build script embeds every such folder, so
//! a language (Uzbek `uz`, Kyrgyz `ky`, Ukrainian `uk`, …) is one more
//! folder with the same message ids; `tests::every_language_has_every_message`
//! checks that none is missing.
//!
//! The language of a page ([`negotiate`]) is the user's choice (the `lang`
//! query parameter, then the `lang` cookie) when it names a language we
//! have, else the best of the browser's `Accept-Language` (q-values
//! honoured, a region falls back to its language: `ru-KZ` is `ru`), else
//! [`DEFAULT`].
//!
//! Texts are plain text: a template escapes them like any other value, so
//! a translation can never inject markup.

use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/languages.rs"));

/// The language used when nothing else decides.
pub const DEFAULT: &str = "en";

struct Catalog {
    /// Tags in folder order.
    tags: Vec<&'static str>,
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut tags = Vec::new();
    let mut bundles = HashMap::new();
    for (tag, files) in LANGUAGES {
        let id: LanguageIdentifier = tag
            .parse()
            .unwrap_or_else(|e| panic!("i18n/{tag}: not a language tag: {e}"));
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Unicode isolation marks around placeables are for bidirectional
        // text in plain strings; HTML and the languages here need none.
        bundle.set_use_isolating(false);
        for (name, text) in *files {
            let resource = FluentResource::try_new((*text).to_owned())
                .unwrap_or_else(|(_, e)| panic!("i18n/{tag}/{name}: syntax errors {e:?}"));
            bundle
                .add_resource(resource)
                .unwrap_or_else(|e| panic!("i18n/{tag}/{name}: duplicate messages {e:?}"));
        }
        tags.push(*tag);
        bundles.insert(*tag, bundle);
    }
    assert!(bundles.contains_key(DEFAULT), "i18n/{DEFAULT}/ is missing");
    Catalog { tags, bundles }
});

/// Every language the portal speaks (the `i18n/` folders), by tag.
pub fn languages() -> &'static [&'static str] {
    &CATALOG.tags
}

/// The tag of ours that `wanted` names, exactly or by its language
/// (`RU`, `ru-RU` and `ru_KZ` are `ru`).
pub fn supported(wanted: &str) -> Option<&'static str> {
    let w = wanted.trim().replace('_', "-").to_ascii_lowercase();
    if w.is_empty() {
        return None;
    }
    let tags = languages();
    if let Some(t) = tags.iter().find(|t| t.eq_ignore_ascii_case(&w)) {
        return Some(t);
    }
    let primary = w.split('-').next().unwrap_or_default();
    tags.iter()
        .find(|t| t.split('-').next().unwrap_or_default() == primary)
        .copied()
}

/// The language ranges of an `Accept-Language` header, best first (by
/// q-value; equal q-values keep their order). Ranges with `q=0`, and
/// malformed entries, are left out.
pub fn accept_language(header: &str) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = Vec::new();
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let range = pieces.next().unwrap_or_default().trim();
        if range.is_empty()
            || range.len() > 35
            || !range
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*')
        {
            continue;
        }
        let mut q = 1.0f32;
        for p in pieces {
            if let Some(v) = p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")) {
                q = match v.trim().parse::<f32>() {
                    Ok(x) if (0.0..=1.0).contains(&x) => x,
                    _ => -1.0,
                };
            }
        }
        if q > 0.0 {
            out.push((range.to_owned(), q));
        }
    }
    // A stable sort keeps the header's order among equals.
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// The page's language: the user's `choice` (query, then cookie) if we
/// have it, else the best match of `accept` (`Accept-Language`), else
/// [`DEFAULT`].
pub fn negotiate(choice: &[Option<&str>], accept: Option<&str>) -> &'static str {
    if let Some(t) = choice.iter().flatten().find_map(|c| supported(c)) {
        return t;
    }
    if let Some(h) = accept {
        for (range, _) in accept_language(h) {
            if range == "*" {
                break;
            }
            if let Some(t) = supported(&range) {
                return t;
            }
        }
    }
    DEFAULT
}

/// The translator of one page: every text of the page comes from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: &'static str,
}

impl Tr {
    /// `lang` if we have it, else [`DEFAULT`].
    pub fn new(lang: &str) -> Tr {
        Tr {
            lang: supported(lang).unwrap_or(DEFAULT),
        }
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundles = &CATALOG.bundles;
        for tag in [self.lang, DEFAULT] {
            let Some(bundle) = bundles.get(tag) else {
                continue;
            };
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                return text.into_owned();
            }
        }
        // Never reached for the ids the portal uses (a test checks them);
        // the id is a visible, harmless placeholder.
        id.to_owned()
    }

    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with one variable.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), FluentValue::from(value.to_owned()));
        self.format(id, Some(&args))
    }

    /// The message `id` with two variables.
    pub fn t2(&self, id: &str, a: (&str, &str), b: (&str, &str)) -> String {
        let mut args = FluentArgs::new();
        args.set(a.0.to_owned(), FluentValue::from(a.1.to_owned()));
        args.set(b.0.to_owned(), FluentValue::from(b.1.to_owned()));
        self.format(id, Some(&args))
    }

    /// The message `id` with any number of variables.
    pub fn ta(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(name.to_string(), FluentValue::from(value.to_string()));
        }
        self.format(id, Some(&fluent_args))
    }

    /// The message `id` (or its attribute `attr`) in this language alone,
    /// with the variables `args`: `None` when this language lacks it or a
    /// variable it uses is not given. No fallback to [`DEFAULT`], so a
    /// caller never mixes languages unknowingly (the API's error texts).
    pub fn exact(&self, id: &str, attr: Option<&str>, args: &[(&str, &str)]) -> Option<String> {
        let bundle = CATALOG.bundles.get(self.lang)?;
        let message = bundle.get_message(id)?;
        let pattern = match attr {
            Some(a) => message.get_attribute(a)?.value(),
            None => message.value()?,
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(name.to_string(), FluentValue::from(value.to_string()));
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        errors.is_empty().then(|| text.into_owned())
    }

    /// Whether this language (or the default) has the message `id`.
    pub fn has(&self, id: &str) -> bool {
        CATALOG
            .bundles
            .get(self.lang)
            .is_some_and(|b| b.has_message(id))
    }

    /// A decimal number as written in this language: groups of three
    /// digits and the decimal separator of `fmt-group-separator` and
    /// `fmt-decimal-separator` (`1,234,567.89`; `1 234 567,89`).
    pub fn number(&self, text: &str) -> String {
        let group = self.t("fmt-group-separator");
        let decimal = self.t("fmt-decimal-separator");
        let (sign, rest) = match text.strip_prefix('-') {
            Some(r) => ("-", r),
            None => ("", text),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) {
            return text.to_owned();
        }
        let mut out = String::from(sign);
        let n = int.len();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (n - i) % 3 == 0 {
                out.push_str(&group);
            }
            out.push(c);
        }
        if let Some(f) = frac {
            out.push_str(&decimal);
            out.push_str(f);
        }
        out
    }

    /// A duty line's base as the duty engine writes it (`customs value
    /// 1000 UZS; 0.04 MIL`, `customs value … + duties … + excise … = …`)
    /// in this language: the engine's few words are translated
    /// (`engine-*` messages), its numbers written as [`Tr::number`] does
    /// (each word that is a decimal number, `;` after it kept), units and
    /// currencies kept.
    pub fn engine(&self, text: &str) -> String {
        if self.lang == DEFAULT {
            return text.to_owned();
        }
        let mut out = text
            .split(' ')
            .map(|word| {
                let (n, rest) = match word.strip_suffix(';') {
                    Some(n) => (n, ";"),
                    None => (word, ""),
                };
                let numeric = !n.is_empty()
                    && n.chars().any(|c| c.is_ascii_digit())
                    && n.trim_start_matches('-')
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.')
                    && n.matches('.').count() <= 1;
                if numeric {
                    format!("{}{rest}", self.number(n))
                } else {
                    word.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        for (words, id) in [
            ("customs value", "engine-customs-value"),
            ("duties", "engine-duties"),
            ("excise", "engine-excise"),
        ] {
            out = out.replace(words, &self.t(id));
        }
        out
    }

    /// The name of a language in that language (for the switch).
    pub fn language_name(tag: &str) -> String {
        Tr::new(tag).t("language-name")
    }

    /// Every message id of a language (tests, and the untranslated-text
    /// check).
    pub fn message_ids(lang: &str) -> Vec<String> {
        let Some((_, files)) = LANGUAGES.iter().find(|(t, _)| *t == lang) else {
            return Vec::new();
        };
        let mut ids = Vec::new();
        for (_, text) in *files {
            let Ok(res) = FluentResource::try_new((*text).to_owned()) else {
                continue;
            };
            for entry in res.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    ids.push(m.id.name.to_owned());
                }
            }
        }
        ids
    }
}

/// What of `html`, a page in `lang`, is left untranslated: the English
/// texts (messages of two words or more without variables, different in
/// `lang`) it contains, and message ids shown instead of a text (a
/// message missing everywhere). Empty for a fully translated page; the
/// browser and page tests run it over every page in every language.
pub fn untranslated(lang: &str, html: &str) -> Vec<String> {
    if lang == DEFAULT {
        return Vec::new();
    }
    let en = Tr::new(DEFAULT);
    let other = Tr::new(lang);
    let escape = |s: &str| {
        s.replace('&', "&#38;")
            .replace('\'', "&#39;")
            .replace('"', "&#34;")
            .replace('<', "&#60;")
            .replace('>', "&#62;")
    };
    let mut found = Vec::new();
    for id in Tr::message_ids(DEFAULT) {
        if html.contains(&format!(">{id}<")) {
            found.push(format!("message id {id}"));
            continue;
        }
        let english = en.t(&id);
        if english.contains('{')
            || english.split_whitespace().count() < 2
            || !english.chars().any(char::is_alphabetic)
            || !other.has(&id)
            || other.t(&id) == english
        {
            continue;
        }
        if html.contains(&english) || html.contains(&escape(&english)) {
            found.push(format!("{id}: {english}"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_bases_are_written_with_the_languages_numbers() {
        let base = "customs value 12500.50 UZS; 0.04 MIL; 1 USD = 12650.5 UZS";
        assert_eq!(Tr::new("en").engine(base), base);
        let ru = Tr::new("ru");
        assert_eq!(
            ru.engine(base),
            format!(
                "{} 12\u{a0}500,50 UZS; 0,04 MIL; 1 USD = 12\u{a0}650,5 UZS",
                ru.t("engine-customs-value")
            )
        );
    }

    #[test]
    fn untranslated_text_is_found() {
        let ru = Tr::new("ru");
        let page = format!(
            "<p>{}</p><p>{}</p>",
            ru.t("nav-calculator"),
            ru.t("skip-to-content")
        );
        assert!(untranslated("ru", &page).is_empty());
        let leak = format!("<p>{}</p>", Tr::new("en").t("skip-to-content"));
        assert_eq!(untranslated("ru", &leak).len(), 1);
        assert_eq!(untranslated("ru", "<td>nav-calculator</td>").len(), 1);
        assert!(untranslated("en", &leak).is_empty());
    }

    #[test]
    fn accept_language_is_read_with_its_q_values() {
        assert_eq!(
            accept_language("de-CH, fr;q=0.9, ru;q=0.95, en;q=0.1, *;q=0.05"),
            vec![
                ("de-CH".to_owned(), 1.0),
                ("ru".to_owned(), 0.95),
                ("fr".to_owned(), 0.9),
                ("en".to_owned(), 0.1),
                ("*".to_owned(), 0.05)
            ]
        );
        assert_eq!(
            accept_language("en;q=0, ru;q=x, <script>, uk;q=2, kk"),
            vec![("kk".to_owned(), 1.0)]
        );
        assert!(accept_language("").is_empty());
    }

    #[test]
    fn negotiation_prefers_the_choice_then_the_browser() {
        assert_eq!(negotiate(&[Some("ru")], Some("en")), "ru");
        assert_eq!(negotiate(&[Some("xx"), Some("ru")], Some("en")), "ru");
        assert_eq!(
            negotiate(&[Some("zz")], Some("fr, ru-KZ;q=0.8, en;q=0.5")),
            "ru"
        );
        assert_eq!(negotiate(&[None], Some("fr, en-GB;q=0.8, ru;q=0.5")), "en");
        assert_eq!(negotiate(&[], Some("fr, de")), DEFAULT);
        assert_eq!(negotiate(&[], Some("*, ru;q=0.1")), DEFAULT);
        assert_eq!(negotiate(&[], None), DEFAULT);
        assert_eq!(supported("RU_ru"), Some("ru"));
        assert_eq!(supported(""), None);
    }

    #[test]
    fn every_language_has_every_message() {
        let en: std::collections::BTreeSet<String> = Tr::message_ids("en").into_iter().collect();
        assert!(en.len() > 50, "{}", en.len());
        for lang in languages() {
            let ids: std::collections::BTreeSet<String> =
                Tr::message_ids(lang).into_iter().collect();
            let missing: Vec<_> = en.difference(&ids).collect();
            assert!(missing.is_empty(), "i18n/{lang} lacks {missing:?}");
            let extra: Vec<_> = ids.difference(&en).collect();
            assert!(
                extra.is_empty(),
                "i18n/{lang} has ids English lacks: {extra:?}"
            );
        }
    }

    #[test]
    fn numbers_follow_the_language() {
        let en = Tr::new("en");
        let ru = Tr::new("ru");
        assert_eq!(en.number("1234567.89"), "1,234,567.89");
        assert_eq!(en.number("-123.4"), "-123.4");
        assert_eq!(en.number("1000"), "1,000");
        assert_eq!(ru.number("1234567.89"), "1\u{a0}234\u{a0}567,89");
        assert_eq!(ru.number("abc"), "abc");
        assert_eq!(Tr::new("xx").lang, DEFAULT);
    }

    #[test]
    fn exact_texts_never_fall_back() {
        let ru = Tr::new("ru");
        let args = [("refund", "42")];
        let text = ru
            .exact("api-LEDGER-UNKNOWN-REFUND", Some("details"), &args)
            .unwrap();
        assert_eq!(text, "Заявление на возврат 42 не найдено.");
        // A variable the text needs is missing: no half-filled text.
        assert_eq!(
            ru.exact("api-LEDGER-UNKNOWN-REFUND", Some("details"), &[]),
            None
        );
        assert_eq!(ru.exact("api-NO-SUCH-CODE", None, &[]), None);
        assert_eq!(
            ru.exact("api-LEDGER-UNKNOWN-REFUND", Some("nope"), &[]),
            None
        );
        // A language we do not have is the default one, by `Tr::new`.
        assert_eq!(
            Tr::new("xx").exact("api-NOT_FOUND", None, &[]).as_deref(),
            Some("not found")
        );
    }

    #[test]
    fn variables_are_filled_in() {
        let tr = Tr::new("en");
        let s = tr.t1("tariff-results-for", "query", "horses");
        assert!(s.contains("horses"), "{s}");
        assert_eq!(Tr::language_name("ru"), "Русский");
    }
}
