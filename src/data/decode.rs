//! Text decoding: UTF-8 (with or without a BOM) and GB18030/GBK, declared or detected.

use super::Encoding;
use std::borrow::Cow;

/// Decode file bytes to text. Errors say which encoding was tried and where it failed.
pub fn decode(bytes: &[u8], enc: Encoding) -> Result<Cow<'_, str>, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8_row = || {
        std::str::from_utf8(body)
            .err()
            .map(|e| row_of(body, e.valid_up_to()))
    };
    let gb = || -> Option<Cow<'_, str>> {
        let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
        (!had_errors).then_some(text)
    };
    match enc {
        Encoding::Utf8 => match utf8_row() {
            None => std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| "the file is not valid UTF-8".into()),
            Some(r) => Err(format!("the file is not valid UTF-8 (bad bytes from row {r})")),
        },
        Encoding::Gbk | Encoding::Gb18030 => gb().ok_or_else(|| "the file is not valid GBK/GB18030".into()),
        Encoding::Auto => match utf8_row() {
            None => std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| "the file is not valid UTF-8".into()),
            // Neither reads the whole file: say where UTF-8 stops, the likelier intent.
            Some(r) => gb().ok_or_else(|| format!("the file is neither valid UTF-8 (bad bytes from row {r}) nor valid GBK/GB18030")),
        },
    }
}

/// The 1-based row (line) holding byte `offset`.
pub fn row_of(bytes: &[u8], offset: usize) -> usize {
    bytes
        .get(..offset)
        .unwrap_or(bytes)
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_gbk_and_bom() {
        let (gbk, _, _) = encoding_rs::GBK.encode("村名,齐山镇\n");
        assert_eq!(decode(&gbk, Encoding::Auto).unwrap(), "村名,齐山镇\n");
        let bom = b"\xEF\xBB\xBFid\n";
        assert_eq!(decode(bom, Encoding::Auto).unwrap(), "id\n");
        assert!(decode(&[0xff, 0xff, 0xff], Encoding::Utf8).is_err());
    }
}
