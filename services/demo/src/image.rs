//! The demo's product images: SVGs drawn on request from the image's path, so the demo
//! needs no files on disk and no network.

use emporium_catalog::import::is_handle;

/// The SVG drawn for a demo image path: `/media/demo/{product_handle}-{n}.svg` or just its
/// file name `{product_handle}-{n}.svg`. A gradient in colours derived from the handle,
/// the product's initials and its name; `n` varies the composition so each view of a
/// product looks different. `None` for anything that is not such a name.
pub fn demo_image_svg(path_name: &str) -> Option<String> {
    let file = path_name.strip_prefix("/media/demo/").unwrap_or(path_name);
    let stem = file.strip_suffix(".svg")?;
    let (handle, view) = stem.rsplit_once('-')?;
    if view.is_empty() || view.len() > 2 || !view.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let view: u64 = view.parse().ok()?;
    if view == 0 || !is_handle(handle) {
        return None;
    }

    let hash = fnv1a(handle.as_bytes());
    let hue = (hash % 360) as i64;
    let hue2 = (hue + 35 + ((hash >> 12) % 50) as i64) % 360;
    let angle = (hash >> 20) % 4 + view;
    let (x2, y2) = [(1, 1), (0, 1), (1, 0), (1, 1)][(angle % 4) as usize];

    // Words of the handle, without a trailing "-2" that only made it unique.
    let mut words: Vec<&str> = handle.split('-').collect();
    if words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.bytes().all(|b| b.is_ascii_digit()))
    {
        words.pop();
    }
    let name = words
        .iter()
        .map(|w| capitalise(w))
        .collect::<Vec<_>>()
        .join(" ");
    let initials: String = words
        .iter()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    let (line1, line2) = wrap(&name, 26);

    let mut circles = String::new();
    for k in 0..3u64 {
        let h = fnv1a(&[hash.to_le_bytes().as_slice(), &[k as u8, view as u8]].concat());
        let cx = 80 + h % 640;
        let cy = 80 + (h >> 16) % 640;
        let r = 60 + (h >> 32) % 180;
        circles.push_str(&format!(
            r##"<circle cx="{cx}" cy="{cy}" r="{r}" fill="#ffffff" fill-opacity="{op:.2}"/>"##,
            op = 0.08 + k as f64 * 0.04
        ));
    }
    let second_line = line2
        .map(|l| {
            format!(
                r#"<text x="400" y="700" text-anchor="middle" class="name">{}</text>"#,
                escape(&l)
            )
        })
        .unwrap_or_default();
    let first_y = if second_line.is_empty() { 690 } else { 652 };
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800" viewBox="0 0 800 800" role="img" aria-label="{label}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="{x2}" y2="{y2}"><stop offset="0" stop-color="hsl({hue}, 58%, 64%)"/><stop offset="1" stop-color="hsl({hue2}, 50%, 36%)"/></linearGradient><linearGradient id="shade" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.28"/></linearGradient>
<style>.initials{{font:600 240px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#fff;fill-opacity:.92}}.name{{font:500 38px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#fff}}.view{{font:500 22px system-ui,sans-serif;fill:#fff;fill-opacity:.7;letter-spacing:4px}}</style></defs>
<rect width="800" height="800" fill="url(#bg)"/>{circles}<rect y="520" width="800" height="280" fill="url(#shade)"/>
<text x="400" y="470" text-anchor="middle" class="initials">{initials}</text>
<text x="400" y="{first_y}" text-anchor="middle" class="name">{line1}</text>{second_line}
<text x="400" y="760" text-anchor="middle" class="view">VIEW {view}</text>
</svg>
"##,
        label = escape(&name),
        initials = escape(&initials),
        line1 = escape(&line1),
    ))
}

/// FNV-1a: a tiny, stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Up to two lines of at most `width` characters, the second shortened with "…".
fn wrap(text: &str, width: usize) -> (String, Option<String>) {
    let mut lines: Vec<String> = vec![String::new()];
    for word in text.split(' ') {
        let current = lines.last_mut().map(|l| l.len()).unwrap_or(0);
        if current > 0 && current + 1 + word.len() > width {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    let mut lines = lines.into_iter();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<String> = lines.collect();
    if rest.is_empty() {
        return (first, None);
    }
    let mut second = rest.join(" ");
    if second.len() > width {
        second.truncate(width.saturating_sub(1));
        second = format!("{}…", second.trim_end());
    }
    (first, Some(second))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_images_render_for_demo_paths_only() {
        let svg = demo_image_svg("/media/demo/alpine-ripstop-tent-2.svg").expect("an SVG");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains(">AR<") && svg.contains("Alpine Ripstop Tent"));
        assert_eq!(demo_image_svg("alpine-ripstop-tent-2.svg"), Some(svg));
        for junk in [
            "",
            "x.png",
            "../etc/passwd-1.svg",
            "Tent-1.svg",
            "tent.svg",
            "tent-0.svg",
            "tent-1.svg.gz",
            "<b>-1.svg",
        ] {
            assert_eq!(demo_image_svg(junk), None, "{junk}");
        }
    }
}
