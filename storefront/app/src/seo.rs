//! What search engines and link previews read: title, description, canonical URL.

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

/// The `<head>` tags of one page. The canonical URL is an absolute path: the page's
/// own address without sort or currency parameters, so variants of a listing do not
/// compete with each other.
#[component]
pub fn PageMeta(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    #[prop(into)] canonical: String,
) -> impl IntoView {
    view! {
        <Title text=title.clone()/>
        <Meta name="description" content=description.clone()/>
        <Meta property="og:title" content=title/>
        <Meta property="og:description" content=description/>
        <Link rel="canonical" href=canonical/>
    }
}

/// A description short enough for a search result: whole words, at most ~160 chars.
pub fn summarize(text: &str) -> String {
    const MAX: usize = 160;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX {
        return text;
    }
    let mut out = String::new();
    for word in text.split(' ') {
        if out.chars().count() + word.chars().count() + 2 > MAX {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_descriptions_are_kept_whole() {
        assert_eq!(summarize("  A  warm\nwool hat. "), "A warm wool hat.");
    }

    #[test]
    fn long_descriptions_are_cut_at_a_word() {
        let long = "word ".repeat(100);
        let s = summarize(&long);
        assert!(s.chars().count() <= 160, "{s}");
        assert!(s.ends_with("word…"));
    }
}
