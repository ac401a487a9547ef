//! Extensiv's `description2` is plain text; techOMS descriptions are HTML.

/// Plain text of an HTML fragment: tags dropped (block ends become line breaks), the common
/// entities decoded, blank runs collapsed.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if matches!(
            tag.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
        ) {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = decode_entities(&out);
    let lines: Vec<String> = decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

fn decode_entities(s: &str) -> String {
    const ENTITIES: [(&str, &str); 7] = [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&apos;", "'"),
        ("&nbsp;", " "),
        ("&amp;", "&"),
    ];
    // `&amp;` last, so "&amp;lt;" becomes "&lt;" and not "<".
    ENTITIES
        .iter()
        .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
}

/// Plain text as an HTML fragment (escaped; line breaks kept as `<br>`).
pub(crate) fn text_to_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_round_trip() {
        let html = "<p>Blue <b>mug</b> &amp; saucer</p><ul><li>350 ml</li><li>Dishwasher &lt;safe&gt;</li></ul>";
        let text = html_to_text(html);
        assert_eq!(text, "Blue mug & saucer\n350 ml\nDishwasher <safe>");
        assert_eq!(html_to_text(&text_to_html(&text)), text);
        assert_eq!(html_to_text("a &amp;lt; b"), "a &lt; b");
        assert_eq!(html_to_text("x < y"), "x < y");
    }
}
