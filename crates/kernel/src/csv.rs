//! CSV cells as French spreadsheets open them (semicolon-separated exports).

/// One cell: a leading = + - @ would be a formula in a spreadsheet, so it is
/// neutralised with a quote; a cell holding a separator, quote or line break is quoted.
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_and_separators_are_neutralised() {
        assert_eq!(super::field("=1+1"), "'=1+1");
        assert_eq!(super::field("a;b"), "\"a;b\"");
        assert_eq!(super::field("Vaise"), "Vaise");
    }
}
