//! Marking the words a query matched, under the rules the embedded engine matches by:
//! each query word allows typos by its length (none below 5 characters, 1 from 5, 2 from
//! 9; a swap of two neighbours is one typo, as tantivy's fuzzy query counts it) and the
//! last word also matches as a prefix within the same budget. The text is cut into
//! words the way tantivy's default tokenizer cuts it, so what is marked is what matched.

use crate::Span;

/// Words of the description a snippet shows.
pub(crate) const SNIPPET_WORDS: usize = 12;
/// Words a snippet shows before the first matched one, when the text is cut there.
const SNIPPET_WORDS_BEFORE: usize = 4;
/// Marks where a snippet was cut (Meilisearch's default crop marker too).
pub(crate) const ELLIPSIS: &str = "…";
/// tantivy's default tokenizer drops tokens of this many bytes or more: never matched.
const LONGEST_TOKEN_BYTES: usize = 40;

/// The typos a query word of `chars` characters may have.
pub(crate) fn typo_budget(chars: usize) -> u8 {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The query's words, ready to test text words against.
pub(crate) struct Matcher {
    /// (characters, typo budget, whether it also matches as a prefix)
    words: Vec<(Vec<char>, usize, bool)>,
}

impl Matcher {
    /// `words` lower case, in query order (the last one is the prefix).
    pub(crate) fn new(words: &[String]) -> Self {
        let last = words.len().saturating_sub(1);
        Matcher {
            words: words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let chars: Vec<char> = w.chars().collect();
                    let budget = usize::from(typo_budget(chars.len()));
                    (chars, budget, i == last)
                })
                .collect(),
        }
    }

    /// Whether a word of the text (any case) is one a query word matched.
    pub(crate) fn matches(&self, word: &str) -> bool {
        if self.words.is_empty() || word.len() >= LONGEST_TOKEN_BYTES {
            return false;
        }
        let word: Vec<char> = word.to_lowercase().chars().collect();
        self.words
            .iter()
            .any(|(query, budget, prefix)| within(query, &word, *budget, *prefix))
    }
}

/// Whether `word` (or, with `prefix`, one of its prefixes) is within `budget` edits of
/// `query`: insertions, deletions, substitutions and swaps of neighbours (optimal string
/// alignment distance, as tantivy's Levenshtein automata with transposition cost 1).
fn within(query: &[char], word: &[char], budget: usize, prefix: bool) -> bool {
    let (n, m) = (query.len(), word.len());
    if !prefix && n.abs_diff(m) > budget {
        return false;
    }
    if prefix && m + budget < n {
        return false;
    }
    // d[i][j]: distance between query[..i] and word[..j].
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(query[i - 1] != word[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && query[i - 1] == word[j - 2] && query[i - 2] == word[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    if prefix {
        d[n].iter().any(|&v| v <= budget)
    } else {
        d[n][m] <= budget
    }
}

/// A run of `text`: `start..end` in bytes, and whether it is a word.
fn runs(text: &str) -> Vec<(usize, usize, bool)> {
    let mut out: Vec<(usize, usize, bool)> = Vec::new();
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric();
        let end = i + c.len_utf8();
        match out.last_mut() {
            Some(last) if last.2 == word => last.1 = end,
            _ => out.push((i, end, word)),
        }
    }
    out
}

/// Appends `text` to `spans`, joining it to the last span when both are (un)marked alike.
pub(crate) fn push_span(spans: &mut Vec<Span>, text: &str, matched: bool) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.matched == matched && last.text != ELLIPSIS => last.text.push_str(text),
        _ => spans.push(Span {
            text: text.to_owned(),
            matched,
        }),
    }
}

/// All of `text`, its matched words marked. Joined, the spans are `text`.
pub(crate) fn highlight(text: &str, matcher: &Matcher) -> Vec<Span> {
    let mut spans = Vec::new();
    for (start, end, word) in runs(text) {
        let piece = &text[start..end];
        push_span(&mut spans, piece, word && matcher.matches(piece));
    }
    spans
}

/// About [`SNIPPET_WORDS`] words of `text` around its first matched word, marked, with
/// an [`ELLIPSIS`] span where it was cut; empty when no word matched.
pub(crate) fn snippet(text: &str, matcher: &Matcher) -> Vec<Span> {
    let runs = runs(text);
    let words: Vec<(usize, usize)> = runs
        .iter()
        .filter(|r| r.2)
        .map(|&(start, end, _)| (start, end))
        .collect();
    let Some(first) = words
        .iter()
        .position(|&(start, end)| matcher.matches(&text[start..end]))
    else {
        return Vec::new();
    };
    let end = (first.saturating_sub(SNIPPET_WORDS_BEFORE) + SNIPPET_WORDS).min(words.len());
    let start = end.saturating_sub(SNIPPET_WORDS);
    let from = if start == 0 { 0 } else { words[start].0 };
    let to = if end == words.len() {
        text.len()
    } else {
        words[end - 1].1
    };
    let mut spans = Vec::new();
    if from > 0 {
        spans.push(Span {
            text: ELLIPSIS.to_owned(),
            matched: false,
        });
    }
    for span in highlight(&text[from..to], matcher) {
        push_span(&mut spans, &span.text, span.matched);
    }
    if to < text.len() {
        spans.push(Span {
            text: ELLIPSIS.to_owned(),
            matched: false,
        });
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(q: &str) -> Matcher {
        Matcher::new(&crate::query::words(q))
    }

    fn marked(spans: &[Span]) -> Vec<&str> {
        spans
            .iter()
            .filter(|s| s.matched)
            .map(|s| s.text.as_str())
            .collect()
    }

    fn joined(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn typos_follow_the_query_words_length_and_the_last_word_is_a_prefix() {
        let m = matcher("jakcet");
        assert!(m.matches("Jacket"), "a swap is one typo");
        assert!(!matcher("cop").matches("cap"), "no typo below 5 letters");
        assert!(
            matcher("cop").matches("copper"),
            "the last word as a prefix"
        );
        assert!(!matcher("cop kettle").matches("copper"), "only the last");
        assert!(matcher("watreproff").matches("waterproof"), "two from 9");
        assert!(!matcher("watreprooooff").matches("waterproof"));
        assert!(matcher("quitl").matches("quilted"), "a prefix with a typo");
        assert!(!matcher("").matches("anything"));
    }

    #[test]
    fn a_highlight_is_the_whole_text_cut_where_words_matched() {
        let title = "Vintage quilted cotton jacket";
        let spans = highlight(title, &matcher("jakcet"));
        assert_eq!(joined(&spans), title);
        assert_eq!(marked(&spans), vec!["jacket"]);
        assert_eq!(spans.len(), 2);
        let spans = highlight("Wool cap, wool", &matcher("wool"));
        assert_eq!(marked(&spans), vec!["Wool", "wool"]);
        assert_eq!(joined(&spans), "Wool cap, wool");
    }

    #[test]
    fn a_snippet_shows_a_dozen_words_around_the_first_match() {
        let text = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo \
                    lima mike november oscar papa quebec romeo sierra tango uniform victor \
                    whiskey xray yankee zulu.";
        let spans = snippet(text, &matcher("oscar"));
        assert_eq!(spans.first().map(|s| s.text.as_str()), Some(ELLIPSIS));
        assert_eq!(spans.last().map(|s| s.text.as_str()), Some(ELLIPSIS));
        assert_eq!(marked(&spans), vec!["oscar"]);
        assert_eq!(
            joined(&spans[1..spans.len() - 1]),
            "kilo lima mike november oscar papa quebec romeo sierra tango uniform victor"
        );
        // Near the end, the window reaches back to keep a dozen words.
        let spans = snippet(text, &matcher("zulu"));
        assert_eq!(spans.last().map(|s| s.text.as_str()), Some("."));
        assert_eq!(
            joined(&spans[1..]).split_whitespace().count(),
            SNIPPET_WORDS
        );
        // A short text is whole.
        let short = "Thin and white.";
        let spans = snippet(short, &matcher("white"));
        assert_eq!(joined(&spans), short);
        assert!(snippet(short, &matcher("black")).is_empty());
    }
}
